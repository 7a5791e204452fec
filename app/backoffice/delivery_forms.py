"""The back-office delivery option form. It checks shape (a code, names, rupee amounts parsed
to cents without floats, districts from the 25); the delivery service checks the rules."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, SelectMultipleField, StringField, widgets
from wtforms.fields import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from app.accounts import districts
from app.backoffice.catalog_forms import RupeesField
from app.checkout.delivery import DeliveryOptionInput
from app.forms import Form

MAX_DAYS = 60
MAX_POSITION = 10_000
NAME_MAX = 80


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _optional(text: str | None) -> str | None:
    return text or None


class DistrictsField(SelectMultipleField):
    """The 25 districts as tick boxes (easier on a phone than a multiple select)."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class DeliveryOptionForm(Form):
    code = StringField(_l("Code"), filters=[_strip], validators=[
        InputRequired(), Length(max=32)],
        render_kw={"autocapitalize": "none", "spellcheck": "false",
                   "placeholder": "colombo-same-day"})
    name_en = StringField(_l("Name (English)"), filters=[_strip],
                          validators=[InputRequired(), Length(max=NAME_MAX)])
    name_si = StringField(_l("Name (Sinhala)"), filters=[_strip],
                          validators=[Optional(), Length(max=NAME_MAX)],
                          render_kw={"lang": "si"})
    name_ta = StringField(_l("Name (Tamil)"), filters=[_strip],
                          validators=[Optional(), Length(max=NAME_MAX)],
                          render_kw={"lang": "ta"})
    fee = RupeesField(_l("Fee (rupees)"), required=True)
    free_over = RupeesField(_l("Free for orders from (rupees)"))
    districts = DistrictsField(_l("Districts"), validators=[Optional()])
    min_days = IntegerField(_l("Fewest days to arrive"), default=0, validators=[
        InputRequired(), NumberRange(min=0, max=MAX_DAYS)], render_kw={"inputmode": "numeric"})
    max_days = IntegerField(_l("Most days to arrive"), default=0, validators=[
        InputRequired(), NumberRange(min=0, max=MAX_DAYS)], render_kw={"inputmode": "numeric"})
    is_pickup = BooleanField(_l("Collected from the shop (no address needed)"))
    is_active = BooleanField(_l("Offered at checkout"), default=True)
    position = IntegerField(_l("Position (smaller comes first)"), default=0, validators=[
        Optional(), NumberRange(min=0, max=MAX_POSITION)], render_kw={"inputmode": "numeric"})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.districts.choices = [SelectChoice(code, name)
                                  for code, name in districts.choices()]

    def to_input(self) -> DeliveryOptionInput:
        return DeliveryOptionInput(
            code=self.code.data, name_en=self.name_en.data, name_si=_optional(self.name_si.data),
            name_ta=_optional(self.name_ta.data), fee_cents=self.fee.cents,
            free_over_cents=self.free_over.cents if self.free_over.data else None,
            districts=tuple(self.districts.data or ()), min_days=self.min_days.data,
            max_days=self.max_days.data, is_pickup=self.is_pickup.data,
            is_active=self.is_active.data, position=self.position.data or 0)
