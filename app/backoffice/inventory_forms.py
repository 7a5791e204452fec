"""Back-office stock forms: the stock list's filters (from the query string) and the forms
that change stock. They check shape (a SKU, a whole number in range, a warehouse from the
list); the inventory service checks the rules (never below the reserved units)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, SelectField, StringField
from wtforms.fields import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from app.catalog.inputs import LIMITS
from app.forms import Form
from app.inventory.services import MAX_UNITS

NUMERIC = {"inputmode": "numeric", "autocomplete": "off"}


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _sku_field():
    return StringField(_l("SKU"), filters=[_strip], validators=[
        DataRequired(_l("Enter the SKU.")), Length(max=LIMITS["sku"])],
        render_kw={"autocapitalize": "characters", "spellcheck": "false",
                   "autocomplete": "off"})


def _units_field(label):
    return IntegerField(label, validators=[
        InputRequired(_l("Enter a number of units.")), NumberRange(min=1, max=MAX_UNITS)],
        render_kw=NUMERIC)


def _warehouse_choices(warehouses) -> list[SelectChoice]:
    return [SelectChoice(str(w.id), f"{w.code} · {w.name}") for w in warehouses]


class StockFilterForm(Form):
    """Read from the query string (GET), so no CSRF token."""

    class Meta:
        csrf = False

    q = StringField(_l("SKU or product"), filters=[_strip],
                    validators=[Optional(), Length(max=100)])
    warehouse = SelectField(_l("Warehouse"), validators=[Optional()])
    low = BooleanField(_l("Low stock only"))

    def __init__(self, formdata, *, warehouses=()):
        super().__init__(formdata)
        self.warehouse.choices = [SelectChoice("", _l("All warehouses")),
                                  *_warehouse_choices(warehouses)]


class _StockForm(Form):
    """A form about one variant in one warehouse."""

    sku = _sku_field()
    warehouse = SelectField(_l("Warehouse"), validators=[InputRequired()])

    def __init__(self, *args, warehouses=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.warehouse.choices = _warehouse_choices(warehouses)

    @property
    def warehouse_id(self) -> int:
        return int(self.warehouse.data)


class ReceiveForm(_StockForm):
    units = _units_field(_l("Units received"))
    reference = StringField(_l("Reference (optional)"), filters=[_strip],
                            validators=[Optional(), Length(max=64)],
                            render_kw={"placeholder": _l("Delivery note or invoice number")})


class AdjustForm(_StockForm):
    change = IntegerField(_l("Change in units (+ or −)"), validators=[
        InputRequired(_l("Enter the change, like -2 or 5.")),
        NumberRange(min=-MAX_UNITS, max=MAX_UNITS)], render_kw=NUMERIC)
    reason = StringField(_l("Reason"), filters=[_strip], validators=[
        DataRequired(_l("Say why the stock changes.")), Length(max=200)],
        render_kw={"placeholder": _l("Stock count, breakage, loss …")})

    def validate_change(self, field):
        if field.data == 0:
            raise ValidationError(_l("Enter a change other than 0."))


class ThresholdForm(_StockForm):
    threshold = IntegerField(_l("Low-stock threshold"), validators=[
        Optional(), NumberRange(min=0, max=MAX_UNITS)], render_kw=NUMERIC)


class TransferForm(Form):
    sku = _sku_field()
    units = _units_field(_l("Units to move"))
    source = SelectField(_l("From warehouse"), validators=[InputRequired()])
    target = SelectField(_l("To warehouse"), validators=[InputRequired()])

    def __init__(self, *args, warehouses=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.source.choices = self.target.choices = _warehouse_choices(warehouses)

    def validate_target(self, field):
        if field.data and field.data == self.source.data:
            raise ValidationError(_l("Choose two different warehouses."))


class WarehouseForm(Form):
    code = StringField(_l("Code"), filters=[_strip], validators=[
        DataRequired(), Length(max=20)],
        render_kw={"autocapitalize": "characters", "placeholder": "KANDY"})
    name = StringField(_l("Name"), filters=[_strip], validators=[
        DataRequired(), Length(max=80)])
