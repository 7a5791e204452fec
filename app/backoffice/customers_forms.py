"""Forms of the back office's customer pages."""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l
from wtforms import DateField, HiddenField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from app.backoffice.catalog_forms import RupeesField
from app.backoffice.forms import _colombo_midnight, _strip
from app.catalog import inputs
from app.digits import is_digits
from app.errors import Invalid
from app.forms import Form
from app.wallet.services import MAX_REASON


class FindCustomerForm(Form):
    class Meta:
        csrf = False  # a search: GET, changes nothing

    q = StringField(_l("Email or mobile number"), filters=[_strip],
                    validators=[InputRequired(_l("Enter an email or a mobile number.")),
                                Length(max=120)])


class _ReasonForm(Form):
    """Both forms share a page: each is made with its own prefix (PREFIX), so their fields'
    names and ids differ."""

    reason = TextAreaField(_l("Reason (the customer reads it)"), filters=[_strip], validators=[
        InputRequired(_l("Say why: the customer reads it with the entry.")),
        Length(max=MAX_REASON)], render_kw={"rows": 2})
    request_key = HiddenField()


class GoodwillForm(_ReasonForm):
    PREFIX = "credit"
    amount = RupeesField(_l("Credit to give (rupees)"), required=True)
    expires_on = DateField(_l("Expires on (optional)"), validators=[Optional()])

    @property
    def expires_at(self) -> dt.datetime | None:
        """The end of the chosen Colombo day, in UTC."""
        day = self.expires_on.data
        return _colombo_midnight(day + dt.timedelta(days=1)) if day else None


class SignedRupeesField(StringField):
    """Rupees with an optional minus: `cents` holds the signed value."""

    def __init__(self, label, **kwargs):
        super().__init__(label, filters=[_strip], validators=[InputRequired(), Length(max=21)],
                         render_kw={"inputmode": "text", "autocomplete": "off"}, **kwargs)
        self.cents: int | None = None

    def post_validate(self, form, validation_stopped):
        if self.errors or validation_stopped:
            return
        text = self.data.replace("−", "-")
        sign = -1 if text.startswith("-") else 1
        try:
            self.cents = sign * inputs.parse_rupees(text.removeprefix("-"), field="amount")
        except Invalid as exc:
            self.errors.append(str(exc.message))


class AdjustmentForm(_ReasonForm):
    PREFIX = "adjust"
    amount = SignedRupeesField(_l("Correction (rupees; a minus takes credit off)"))


class PointsAdjustmentForm(_ReasonForm):
    PREFIX = "points"

    amount = StringField(_l("Points (a minus takes them off)"), filters=[_strip],
                         validators=[InputRequired(), Length(max=9)],
                         render_kw={"inputmode": "text", "autocomplete": "off"})

    @property
    def points(self) -> int | None:
        text = (self.amount.data or "").replace("−", "-")
        digits = text.removeprefix("-")
        return (-1 if text.startswith("-") else 1) * int(digits) if is_digits(digits) else None
