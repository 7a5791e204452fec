"""Back-office order forms: the list's filters (from the query string), and the detail
page's status change, shipment and note forms. They check shape; the order services check
the rules (which status may follow which, how many units are left to send)."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, SelectField, StringField, TextAreaField
from wtforms.fields import SelectChoice
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from app.accounts import districts
from app.forms import Form
from app.orders import services as orders
from app.payments.methods import METHODS

# Dates outside these years are typing slips (and year 1 cannot even be turned into UTC).
FIRST_YEAR, LAST_YEAR = 2000, 2100
SEND_FIELD = re.compile(r"^send-(\d{1,9})$")


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def sensible_date(form, field):
    """A filter's date within FIRST_YEAR and LAST_YEAR (a typo'd year 20266 is no filter)."""
    if field.data is not None and not FIRST_YEAR <= field.data.year <= LAST_YEAR:
        raise ValidationError(_l("Enter a date between %(first)d and %(last)d.",
                                 first=FIRST_YEAR, last=LAST_YEAR))


def payment_label(code: str | None):
    method = METHODS.get(code or "")
    return method.label if method else (code or "")


def order_payment_label(order, services_only: bool | None = None):
    """The method as this order uses it: cash for a services-only order is paid on the day
    of the booking, not on delivery (as the customer's page and the invoice say). A list
    passes `services_only` (orders.services_only_ids), so its rows need not load lines."""
    if services_only is None:
        services_only = order.is_services_only
    if order.payment_method == "cod" and services_only:
        return _l("Cash on the day of the booking")
    return payment_label(order.payment_method)


def units_per_line(formdata, field_name: re.Pattern[str]) -> dict[int, int]:
    """{line id: units} from the posted fields whose name `field_name` matches, the line id
    being its first group (`send-<id>`, `units-<id>`). A blank box is none; a minus sign
    passes through, for the service to judge. Raises ValueError for anything that is not a
    whole number."""
    units: dict[int, int] = {}
    for name, raw in formdata.items():
        found = field_name.match(name)
        if not found:
            continue
        raw = raw.strip()
        if not raw:
            continue
        if not re.fullmatch(r"-?\d{1,9}", raw):
            raise ValueError(raw)
        units[int(found.group(1))] = int(raw)
    return units


def order_number_field():
    """A search box for (part of) an order number, as order and payment filters use it."""
    return StringField(_l("Order number"), filters=[_strip],
                       validators=[Optional(), Length(max=24)],
                       render_kw={"autocapitalize": "characters", "spellcheck": "false",
                                  "placeholder": "KD-2026-000123"})


class OrderFilterForm(Form):
    """Read from the query string (GET), so no CSRF token."""

    class Meta:
        csrf = False

    number = order_number_field()
    status = SelectField(_l("Status"), validators=[Optional()], choices=[
        SelectChoice("", _l("Any status")),
        *(SelectChoice(code, label) for code, label in orders.STATUS_LABELS.items())])
    placed_from = DateField(_l("Placed from"), validators=[Optional(), sensible_date])
    placed_to = DateField(_l("Placed until (included)"),
                          validators=[Optional(), sensible_date])
    district = SelectField(_l("District"), validators=[Optional()])
    payment_method = SelectField(_l("Payment method"), validators=[Optional()], choices=[
        SelectChoice("", _l("Any payment method")),
        *(SelectChoice(code, method.label) for code, method in METHODS.items())])
    channel = SelectField(_l("Channel"), validators=[Optional()], choices=[
        SelectChoice("", _l("Any channel")),
        *(SelectChoice(code, label) for code, label in orders.CHANNEL_LABELS.items())])

    def __init__(self, formdata):
        super().__init__(formdata)
        self.district.choices = [SelectChoice("", _l("Any district")),
                                 *(SelectChoice(code, name)
                                   for code, name in districts.choices())]

    def validate_placed_to(self, field):
        if field.data and self.placed_from.data and field.data < self.placed_from.data:
            raise ValidationError(_l("The end date is before the start date."))

    def to_filter(self) -> orders.OrderFilter:
        """Dates are days in Colombo, as the service expects."""
        return orders.OrderFilter(
            status=self.status.data or None, payment_method=self.payment_method.data or None,
            district=self.district.data or None, placed_from=self.placed_from.data,
            placed_to=self.placed_to.data, number=self.number.data or None,
            channel=self.channel.data or None)


class StatusForm(Form):
    # Any value is passed on: the service says in words why a status cannot follow.
    status = SelectField(_l("New status"), validate_choice=False,
                         validators=[InputRequired(_l("Choose the new status."))])
    # The order page holds three forms with a `note`: each its own id, so each label and hint
    # points at its own box.
    note = TextAreaField(_l("Note for the timeline (optional)"), filters=[_strip],
                         validators=[Optional(), Length(max=orders.MAX_NOTE)],
                         render_kw={"rows": 2}, id="status-note")

    def __init__(self, *args, order=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.status.choices = [SelectChoice(code, orders.STATUS_LABELS[code])
                               for code in (orders.next_statuses(order) if order else [])]


class NoteForm(Form):
    note = TextAreaField(_l("Note"), filters=[_strip], validators=[
        InputRequired(_l("Write a note.")), Length(max=orders.MAX_NOTE)],
        render_kw={"rows": 3}, id="timeline-note")
    public = BooleanField(_l("Show this note to the customer"))


class ResendLinkForm(Form):
    """Only the CSRF token: revoke a guest's order links and send a fresh one."""


class FulfilForm(Form):
    """The units to send per line come as `send-<line id>` fields (see `quantities`)."""

    note = TextAreaField(_l("Shipment note (optional)"), filters=[_strip],
                         validators=[Optional(), Length(max=orders.MAX_NOTE)],
                         render_kw={"rows": 2}, id="shipment-note")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.problems: list[str] = []  # what the service refused, shown above the lines

    def quantities(self, formdata) -> dict[int, int]:
        """{line id: units} from the posted fields. A blank box sends none. Raises
        ValueError for anything that is not a whole number."""
        return units_per_line(formdata, SEND_FIELD)

