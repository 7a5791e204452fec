"""The back-office promotion forms. They check shape (lengths, whole numbers, rupees parsed to
cents without floats, Colombo dates and times made UTC, tiers typed one a line); the
promotions service checks the rules and that what is named exists."""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.fields import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from app.accounts import districts
from app.backoffice.catalog_forms import RupeesField
from app.catalog.inputs import rupees
from app.digits import is_digits
from app.forms import Form
from app.i18n import COLOMBO
from app.promotions import admin as promotions
from app.promotions.models import CLASSES

NAME_MAX = promotions.NAME_MAX
LIST_MAX = 20_000  # characters in a textarea of SKUs or ids
COMBINE_LABELS = {"line": _l("Item discounts"), "order": _l("Order discounts"),
                  "delivery": _l("Delivery discounts")}

# The service's field names, on the form's fields (errors land where staff typed).
FIELDS = {
    "amount_cents": "amount", "min_subtotal_cents": "min_subtotal",
    "max_discount_cents": "max_discount", "bundle_variant_ids": "bundle_skus",
    "product_ids": "products", "variant_ids": "variants", "category_ids": "categories",
    "segment_customer_ids": "segment",
}


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _optional(text: str | None) -> str | None:
    return text or None


class CheckboxesField(SelectMultipleField):
    """Tick boxes (easier on a phone than a multiple select)."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def _count(label, *, minimum: int = 1, maximum: int | None = None, **kwargs):
    return IntegerField(label, validators=[Optional(), NumberRange(min=minimum, max=maximum)],
                        render_kw={"inputmode": "numeric"}, **kwargs)


def _list(label, rows: int = 3, **kwargs):
    return TextAreaField(label, filters=[_strip], validators=[Optional(), Length(max=LIST_MAX)],
                         render_kw={"rows": rows, "autocapitalize": "none",
                                    "spellcheck": "false"}, **kwargs)


def to_utc(local: dt.datetime | None) -> dt.datetime | None:
    """A datetime-local value, which staff enter in Colombo time, as aware UTC."""
    return None if local is None else local.replace(tzinfo=COLOMBO).astimezone(dt.UTC)


def to_local(value: dt.datetime | None) -> dt.datetime | None:
    return None if value is None else value.astimezone(COLOMBO).replace(tzinfo=None)


def format_tiers(tiers) -> str:
    return "\n".join(f"{quantity} {percent}" for quantity, percent in tiers or ())


def parse_tiers(text: str | None) -> list[list[int]] | None:
    """"3 10" a line (quantity, percent) → [[3, 10], …]; None when a line is not two whole
    numbers (the service checks the values)."""
    tiers = []
    for line in (text or "").splitlines():
        parts = line.replace("%", " ").replace(",", " ").split()
        if not parts:
            continue
        if len(parts) != 2 or not all(is_digits(p) and len(p) < 7 for p in parts):
            return None
        tiers.append([int(parts[0]), int(parts[1])])
    return tiers


def parse_ids(text: str | None) -> list[int] | None:
    """Customer ids, one a line (or separated by commas or spaces); None when one is not a
    whole number."""
    parts = (text or "").replace(",", " ").split()
    if not all(is_digits(p) and len(p) < 11 for p in parts):
        return None
    return [int(p) for p in parts]


class PromotionForm(Form):
    # Names and description
    name_en = StringField(_l("Name (English)"), filters=[_strip],
                          validators=[InputRequired(), Length(max=NAME_MAX)])
    name_si = StringField(_l("Name (Sinhala)"), filters=[_strip],
                          validators=[Optional(), Length(max=NAME_MAX)],
                          render_kw={"lang": "si"})
    name_ta = StringField(_l("Name (Tamil)"), filters=[_strip],
                          validators=[Optional(), Length(max=NAME_MAX)],
                          render_kw={"lang": "ta"})
    description_en = TextAreaField(_l("Description (English)"), filters=[_strip],
                                   validators=[Optional(), Length(max=2000)],
                                   render_kw={"rows": 3})
    description_si = TextAreaField(_l("Description (Sinhala)"), filters=[_strip],
                                   validators=[Optional(), Length(max=2000)],
                                   render_kw={"rows": 3, "lang": "si"})
    description_ta = TextAreaField(_l("Description (Tamil)"), filters=[_strip],
                                   validators=[Optional(), Length(max=2000)],
                                   render_kw={"rows": 3, "lang": "ta"})
    # Benefit
    benefit = SelectField(_l("What it gives"), validators=[InputRequired()],
                          render_kw={"data-shows-control": ""})
    percent = _count(_l("Percent off"), maximum=100)
    amount = RupeesField(_l("Amount (rupees)"))
    buy_quantity = _count(_l("Buy (X)"), maximum=1000)
    get_quantity = _count(_l("Get (Y)"), maximum=1000)
    tiers = _list(_l("Tiers"))
    bundle_skus = _list(_l("Bundle items (SKUs)"))
    # Who and what qualifies
    starts_at = DateTimeLocalField(_l("Starts (Colombo time)"), format="%Y-%m-%dT%H:%M",
                                   validators=[Optional()])
    ends_at = DateTimeLocalField(_l("Ends (Colombo time)"), format="%Y-%m-%dT%H:%M",
                                 validators=[Optional()])
    min_subtotal = RupeesField(_l("Smallest subtotal (rupees)"))
    min_quantity = _count(_l("Fewest items"), maximum=10_000)
    categories = CheckboxesField(_l("Categories"), coerce=int, validators=[Optional()])
    products = _list(_l("Products (slug or any SKU, one a line)"))
    variants = _list(_l("Variants (SKU, one a line)"))
    districts = CheckboxesField(_l("Districts"), validators=[Optional()])
    first_order_only = BooleanField(_l("First order only"))
    signed_in_only = BooleanField(_l("Signed-in customers only"))
    segment = _list(_l("Only these customers (ids, one a line)"))
    # Stacking
    priority = IntegerField(_l("Priority (higher goes first)"), default=0,
                            validators=[Optional(), NumberRange(min=-1000, max=1000)],
                            render_kw={"inputmode": "numeric"})
    exclusive = BooleanField(_l("Exclusive: never combined with another promotion"))
    combines_with = CheckboxesField(_l("Combines with"), validators=[Optional()])
    # Limits
    max_uses = _count(_l("Uses in all"))
    max_uses_per_customer = _count(_l("Uses per customer"))
    max_discount = RupeesField(_l("Most discount in all (rupees)"))
    # Public
    is_public = BooleanField(_l("Show on the offers page"), default=True)
    # A sample cart for the preview (not saved)
    sample = TextAreaField(_l("Sample cart (SKU and quantity, one a line)"), filters=[_strip],
                           validators=[Optional(), Length(max=2000)],
                           render_kw={"rows": 3, "autocapitalize": "none",
                                      "spellcheck": "false", "placeholder": "TEA-100 2"})
    preview_district = SelectField(_l("District"), validators=[Optional()])
    preview_delivery = SelectField(_l("Delivery option"), validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.benefit.choices = [SelectChoice(k, v)
                                for k, v in promotions.BENEFIT_LABELS.items()]
        self.categories.choices = promotions.category_choices()
        self.districts.choices = [SelectChoice(code, name)
                                  for code, name in districts.choices()]
        self.preview_district.choices = [SelectChoice("", _l("Any")), *(
            SelectChoice(code, name) for code, name in districts.choices())]
        self.preview_delivery.choices = [SelectChoice("", _l("None (no delivery fee)")), *(
            SelectChoice(code, name) for code, name in promotions.delivery_choices())]
        self.combines_with.choices = [SelectChoice(c, COMBINE_LABELS[c]) for c in CLASSES]

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.benefit.data == "tiered" and parse_tiers(self.tiers.data) is None:
            self.tiers.errors = [*self.tiers.errors, str(_l(
                "Write each tier as a quantity and a percent, like 3 10."))]
            valid = False
        if parse_ids(self.segment.data) is None:
            self.segment.errors = [*self.segment.errors, str(_l(
                "Write customer ids: whole numbers, one a line."))]
            valid = False
        return valid

    @classmethod
    def for_promotion(cls, promotion):
        return cls(formdata=None, data={
            **{name: getattr(promotion, name) for name in (
                "name_en", "name_si", "name_ta", "description_en", "description_si",
                "description_ta", "benefit", "percent", "buy_quantity", "get_quantity",
                "min_quantity", "first_order_only", "signed_in_only", "priority",
                "exclusive", "max_uses", "max_uses_per_customer", "is_public")},
            "amount": rupees(promotion.amount_cents),
            "tiers": format_tiers(promotion.tiers),
            "bundle_skus": "\n".join(promotions.skus_of(promotion.bundle_variant_ids)),
            "starts_at": to_local(promotion.starts_at), "ends_at": to_local(promotion.ends_at),
            "min_subtotal": rupees(promotion.min_subtotal_cents),
            "categories": list(promotion.category_ids),
            "products": "\n".join(promotions.slugs_of(promotion.product_ids)),
            "variants": "\n".join(promotions.skus_of(promotion.variant_ids)),
            "districts": list(promotion.districts),
            "segment": "\n".join(str(i) for i in promotion.segment_customer_ids),
            "combines_with": list(promotion.combines_with),
            "max_discount": rupees(promotion.max_discount_cents)})

    def to_data(self) -> dict:
        """The service's input. SKUs and slugs are looked up here (promotions.Invalid naming
        the form's field when one is unknown)."""
        kind = self.benefit.data
        return {
            "name_en": self.name_en.data, "name_si": _optional(self.name_si.data),
            "name_ta": _optional(self.name_ta.data),
            "description_en": _optional(self.description_en.data),
            "description_si": _optional(self.description_si.data),
            "description_ta": _optional(self.description_ta.data),
            "benefit": kind, "percent": self.percent.data,
            "amount_cents": self.amount.cents if self.amount.data else None,
            "buy_quantity": self.buy_quantity.data, "get_quantity": self.get_quantity.data,
            "tiers": parse_tiers(self.tiers.data) or [],
            "bundle_variant_ids": promotions.variant_ids_for(self.bundle_skus.data,
                                                             "bundle_skus")
            if kind == "bundle" else [],
            "starts_at": to_utc(self.starts_at.data), "ends_at": to_utc(self.ends_at.data),
            "min_subtotal_cents": self.min_subtotal.cents if self.min_subtotal.data else None,
            "min_quantity": self.min_quantity.data,
            "category_ids": list(self.categories.data or ()),
            "product_ids": promotions.product_ids_for(self.products.data, "products"),
            "variant_ids": promotions.variant_ids_for(self.variants.data, "variants"),
            "districts": list(self.districts.data or ()),
            "first_order_only": self.first_order_only.data,
            "signed_in_only": self.signed_in_only.data,
            "segment_customer_ids": parse_ids(self.segment.data) or [],
            "priority": self.priority.data or 0, "exclusive": self.exclusive.data,
            "combines_with": list(self.combines_with.data or ()),
            "max_uses": self.max_uses.data,
            "max_uses_per_customer": self.max_uses_per_customer.data,
            "max_discount_cents": self.max_discount.cents if self.max_discount.data else None,
            "is_public": self.is_public.data,
        }


class StatusFilterForm(Form):
    class Meta:
        csrf = False

    status = SelectField(_l("Status"), validators=[Optional()])
    q = StringField(_l("Name or code"), filters=[_strip], validators=[Optional(),
                                                                     Length(max=100)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.status.choices = [SelectChoice("", _l("All")), *(
            SelectChoice(s, promotions.STATUS_LABELS[s]) for s in promotions.STATUSES)]


class AddCodeForm(Form):
    code = StringField(_l("Code"), filters=[_strip], validators=[InputRequired(),
                                                                 Length(max=32)],
                       render_kw={"autocapitalize": "characters", "spellcheck": "false",
                                  "placeholder": "WELCOME10"})
    max_uses = _count(_l("Uses allowed (empty: no limit)"))


class GenerateCodesForm(Form):
    count = IntegerField(_l("How many"), validators=[
        InputRequired(), NumberRange(min=1, max=promotions.MAX_GENERATE)],
        render_kw={"inputmode": "numeric"})
    prefix = StringField(_l("Prefix (optional)"), filters=[_strip],
                         validators=[Optional(), Length(max=16)],
                         render_kw={"autocapitalize": "characters", "spellcheck": "false"})
    length = IntegerField(_l("Random characters"), default=8, validators=[
        InputRequired(), NumberRange(min=promotions.CODE_LENGTHS[0],
                                     max=promotions.CODE_LENGTHS[1])],
        render_kw={"inputmode": "numeric"})
    uses_each = _count(_l("Uses allowed per code (empty: no limit)"), default=1)
    batch = StringField(_l("Batch label (optional)"), filters=[_strip],
                        validators=[Optional(), Length(max=promotions.BATCH_MAX)])
