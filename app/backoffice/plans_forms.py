"""Forms of the back office's plan pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from app.accounts import districts
from app.backoffice.catalog_forms import DistrictsField, RupeesField
from app.backoffice.promotions_forms import CheckboxesField, _strip
from app.catalog import services as catalog
from app.catalog.inputs import parse_rupees, rupees
from app.digits import is_digits
from app.errors import Invalid, NotFound
from app.forms import Form
from app.plans.services import PlanInput
from app.promotions import admin as promotions


def _count(label, low: int, high: int, **kwargs):
    return IntegerField(label, validators=[Optional(), NumberRange(min=low, max=high)],
                        render_kw={"inputmode": "numeric"}, **kwargs)


class PlanForm(Form):
    code = StringField(_l("Code (in links)"), filters=[_strip],
                       validators=[InputRequired(), Length(max=40)])
    name_en = StringField(_l("Name (English)"), filters=[_strip],
                          validators=[InputRequired(), Length(max=80)])
    name_si = StringField(_l("Name (Sinhala)"), filters=[_strip], validators=[Length(max=80)])
    name_ta = StringField(_l("Name (Tamil)"), filters=[_strip], validators=[Length(max=80)])
    description_en = TextAreaField(_l("Description (English)"), filters=[_strip],
                                   validators=[Length(max=2000)], render_kw={"rows": 2})
    description_si = TextAreaField(_l("Description (Sinhala)"), filters=[_strip],
                                   validators=[Length(max=2000)], render_kw={"rows": 2})
    description_ta = TextAreaField(_l("Description (Tamil)"), filters=[_strip],
                                   validators=[Length(max=2000)], render_kw={"rows": 2})
    price = RupeesField(_l("Price (rupees)"), required=True)
    period = SelectField(_l("Each"), choices=[SelectChoice("month", _l("Month")),
                                              SelectChoice("year", _l("Year"))])
    trial_days = _count(_l("Free trial (days)"), 0, 90)
    grace_days = _count(_l("Grace after a missed payment (days)"), 0, 30)
    free_delivery = BooleanField(_l("Free delivery"))
    free_delivery_districts = DistrictsField(
        _l("Only in these districts (none ticked: everywhere)"), validators=[Optional()])
    percent_off = _count(_l("Percent off chosen categories"), 1, 90)
    categories = CheckboxesField(_l("Categories for the percent off"), coerce=int)
    member_prices = TextAreaField(
        _l("Member prices: one SKU = price a line"), filters=[_strip],
        validators=[Length(max=20_000)], render_kw={"rows": 3, "spellcheck": "false",
                                                    "placeholder": "TEA-250 = 1000.00"})
    service_credits = TextAreaField(
        _l("Service visits each period: one service link name = visits a line"),
        filters=[_strip], validators=[Length(max=5_000)],
        render_kw={"rows": 2, "spellcheck": "false", "placeholder": "home-deep-cleaning = 4"})
    priority_support = BooleanField(_l("Priority support"))
    position = _count(_l("Place on the plans page"), 0, 1000)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.categories.choices = [SelectChoice(i, name)
                                   for i, name in promotions.category_choices()]
        # The districts' names in the reader's language (the choice's value is the code).
        self.free_delivery_districts.choices = [SelectChoice(code, name)
                                                for code, name in districts.choices()]

    @classmethod
    def of(cls, plan) -> PlanForm:
        form = cls(formdata=None, obj=plan)
        form.price.data = rupees(plan.price_cents)
        form.free_delivery_districts.data = list(plan.free_delivery_districts or [])
        form.categories.data = list(plan.percent_off_category_ids or [])
        skus = catalog.skus_of([p.variant_id for p in plan.member_prices])
        form.member_prices.data = "\n".join(
            f"{skus.get(p.variant_id, p.variant_id)} = {rupees(p.price_cents)}"
            for p in plan.member_prices)
        slugs = catalog.slugs_of([c.product_id for c in plan.service_credits])
        form.service_credits.data = "\n".join(
            f"{slugs.get(c.product_id, c.product_id)} = {c.visits}"
            for c in plan.service_credits)
        return form

    def _pairs(self, field) -> list[tuple[str, str]]:
        pairs = []
        for line in (field.data or "").splitlines():
            if not line.strip():
                continue
            key, sep, value = line.partition("=")
            if not sep or not key.strip() or not value.strip():
                raise Invalid(_l("Write each line as name = value."), field=field.name)
            pairs.append((key.strip(), value.strip()))
        return pairs

    def plan_input(self) -> PlanInput:
        """The plan as the service takes it. Raises Invalid (on this form's field names)."""
        member_prices = {}
        for sku, price in self._pairs(self.member_prices):
            variant = catalog.variant_by_sku(sku)
            if variant is None:
                raise Invalid(_l("No product has the SKU %(sku)s.", sku=sku),
                              field="member_prices")
            member_prices[variant.id] = parse_rupees(price, field="member_prices")
        credits = {}
        for slug, visits in self._pairs(self.service_credits):
            try:
                product = catalog.get_published(slug)
            except NotFound:
                raise Invalid(_l("No service is at /p/%(slug)s.", slug=slug),
                              field="service_credits") from None
            if not is_digits(visits):
                raise Invalid(_l("Give the visits as a whole number."), field="service_credits")
            credits[product.id] = int(visits)
        return PlanInput(
            code=self.code.data or "", name_en=self.name_en.data or "",
            name_si=self.name_si.data or None, name_ta=self.name_ta.data or None,
            description_en=self.description_en.data or None,
            description_si=self.description_si.data or None,
            description_ta=self.description_ta.data or None,
            price_cents=self.price.cents or 0, period=self.period.data,
            trial_days=self.trial_days.data or 0,
            grace_days=7 if self.grace_days.data is None else self.grace_days.data,
            free_delivery=bool(self.free_delivery.data),
            free_delivery_districts=tuple(self.free_delivery_districts.data)
            if self.free_delivery_districts.data else None,
            percent_off=self.percent_off.data or None,
            percent_off_category_ids=tuple(self.categories.data or ()),
            member_prices=member_prices, service_credits=credits,
            priority_support=bool(self.priority_support.data),
            position=self.position.data or 0)


class PointsForm(Form):
    enabled = BooleanField(_l("Customers earn and spend points"))
    points_per_100_rupees = _count(_l("Points for each Rs 100 paid"), 0, 100)
    point_value = RupeesField(_l("A point is worth (rupees)"), required=True)
    expiry_months = _count(_l("Points last (months)"), 1, 60)
    reminder_days = _count(_l("Remind this many days before they lapse"), 0, 90)
