"""Back-office payment forms: the list's filters, cash collected, a refund (amount, the units
of each line, back to stock or not, the reason), a slip's rejection and the cash-on-delivery
limits. They check shape; the payment services check the rules (never more than is left to
refund, the lines of this order only)."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, HiddenField, SelectField, TextAreaField
from wtforms.fields import SelectChoice
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from app.accounts import districts
from app.backoffice.catalog_forms import RupeesField
from app.backoffice.delivery_forms import DistrictsField
from app.backoffice.orders_forms import order_number_field, sensible_date, units_per_line
from app.forms import Form
from app.payments import refunds, slips
from app.payments.methods import METHODS

UNITS_FIELD = re.compile(r"^units-(\d{1,9})$")

PAYMENT_STATUS_LABELS = {
    "initiated": _l("Started"),
    "pending": _l("Pending"),
    "captured": _l("Paid"),
    "failed": _l("Failed"),
    "cancelled": _l("Cancelled"),
    "charged_back": _l("Charged back"),
    "refunded": _l("Refunded"),
    "partially_refunded": _l("Partly refunded"),
}
EVENT_LABELS = {
    "initiated": _l("Started"),
    "pending": _l("Pending at PayHere"),
    "captured": _l("Money received"),
    "failed": _l("Failed"),
    "cancelled": _l("Cancelled by the customer"),
    "charged_back": _l("Charged back"),
    "refunded": _l("Refunded"),
}


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class PaymentFilterForm(Form):
    """Read from the query string (GET), so no CSRF token."""

    class Meta:
        csrf = False

    number = order_number_field()
    method = SelectField(_l("Method"), validators=[Optional()], choices=[
        SelectChoice("", _l("Any method")),
        *(SelectChoice(code, method.label) for code, method in METHODS.items())])
    status = SelectField(_l("Status"), validators=[Optional()], choices=[
        SelectChoice("", _l("Any status")),
        *(SelectChoice(code, label) for code, label in PAYMENT_STATUS_LABELS.items())])
    created_from = DateField(_l("From"), validators=[Optional(), sensible_date])
    created_to = DateField(_l("Until (included)"), validators=[Optional(), sensible_date])
    flagged = BooleanField(_l("Flagged for a look only"))
    slips = BooleanField(_l("Slips waiting to be checked only"))

    def validate_created_to(self, field):
        if field.data and self.created_from.data and field.data < self.created_from.data:
            raise ValidationError(_l("The end date is before the start date."))


class CollectedForm(Form):
    amount = RupeesField(_l("Cash collected (rupees)"), required=True, id="collected-amount")


class RefundForm(Form):
    """The units per line come as `units-<line id>` fields (see `units`)."""

    amount = RupeesField(_l("Amount to refund (rupees)"), required=True, id="refund-amount")
    restock = BooleanField(_l("Return the items chosen above to stock"))
    # Shown for orders with a customer account; money that came from the wallet goes back
    # there whatever this says.
    as_credit = BooleanField(_l("Give it as store credit (the customer chose it)"))
    reason = TextAreaField(_l("Reason (the customer reads it)"), filters=[_strip], validators=[
        InputRequired(_l("Say why the money goes back.")),
        Length(max=refunds.MAX_REASON)], render_kw={"rows": 2})
    request_key = HiddenField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.problems: list[str] = []

    def units(self, formdata) -> dict[int, int]:
        """{order line id: units} from the posted fields; a blank box is none. Raises
        ValueError for anything but a whole number."""
        return units_per_line(formdata, UNITS_FIELD)


class RejectSlipForm(Form):
    reason = TextAreaField(_l("Why (the customer reads it)"), filters=[_strip], validators=[
        InputRequired(_l("Tell the customer why.")), Length(max=slips.MAX_NOTE)],
        render_kw={"rows": 2,
                   "placeholder": _l("The amount on the slip is not the order's total.")})


class CodLimitsForm(Form):
    cod_max = RupeesField(_l("Largest order cash on delivery may pay (rupees)"))
    cod_districts = DistrictsField(_l("Districts where cash on delivery is offered"),
                                   validate_choice=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.cod_districts.choices = [SelectChoice(code, name)
                                      for code, name in districts.choices()]
