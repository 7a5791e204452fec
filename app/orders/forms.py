"""The customer's order forms: cancelling (a reason is optional) and asking for a return."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from app.forms import Form
from app.orders.services import MAX_NOTE


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class CancelForm(Form):
    reason = TextAreaField(_l("Why are you cancelling? (optional)"), filters=[_strip],
                           validators=[Optional(), Length(max=MAX_NOTE)])
    t = HiddenField()  # a guest's order link token, when the guest cancels


class ReturnForm(Form):
    reason = TextAreaField(_l("What is wrong with it?"), filters=[_strip],
                           validators=[InputRequired(message=_l(
                               "Tell us why you are returning it.")), Length(max=MAX_NOTE)])
    t = HiddenField()


class OrderLinkForm(Form):
    """A guest who lost their order link: the order's number and its email or phone."""

    number = StringField(_l("Order number"), filters=[_strip], validators=[
        InputRequired(message=_l("Enter the order number, as KD-2026-000123.")),
        Length(max=24)])
    contact = StringField(_l("The email or mobile number on the order"), filters=[_strip],
                          validators=[InputRequired(message=_l(
                              "Enter the email or mobile number you ordered with.")),
                                      Length(max=254)])
