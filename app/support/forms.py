"""The customer's support forms: a new question, and a reply in its thread. They check
shape (filled in, not too long); the services check the rules again (the order is theirs)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from app.forms import Form
from app.support.models import MAX_BODY, MAX_SUBJECT


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _body_field(label):
    # DataRequired, not InputRequired: a message of spaces is empty once stripped.
    return TextAreaField(label, filters=[_strip], render_kw={"rows": 6}, validators=[
        DataRequired(message=_l("Write your message.")),
        Length(max=MAX_BODY, message=_l("Keep the message to %(max)d characters or fewer."))])


class TicketForm(Form):
    subject = StringField(_l("Subject"), filters=[_strip], validators=[
        DataRequired(message=_l("Write a subject.")),
        Length(max=MAX_SUBJECT,
               message=_l("Keep the subject to %(max)d characters or fewer."))])
    body = _body_field(_l("Your message"))
    # Choices are the customer's own orders, set by the view; "" is "not about an order".
    order_number = SelectField(_l("About an order (optional)"), choices=[], default="",
                               validate_choice=True)

    def set_orders(self, numbers: list[str]) -> None:
        self.order_number.choices = [("", _l("Not about an order")),
                                     *((n, n) for n in numbers)]


class ReplyForm(Form):
    body = _body_field(_l("Your reply"))


class GuestQuestionForm(Form):
    """A guest's question on their order's page (the order link is the form's credential)."""

    body = _body_field(_l("Your question"))
