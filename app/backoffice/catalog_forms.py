"""Back-office catalog forms. They check shape (required, length, a number, a rupee amount);
the catalog services check the rules (unique slug and SKU, a category's place in the tree)."""

from __future__ import annotations

import dataclasses
import datetime as dt

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
    widgets,
)
from wtforms.fields import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from app.accounts import districts
from app.catalog import inputs, staff_search
from app.errors import Invalid
from app.forms import Form
from app.i18n import COLOMBO

STATUS_LABELS = {"draft": _l("Draft"), "published": _l("Published"), "archived": _l("Archived")}
KIND_LABELS = {"product": _l("Product"), "service": _l("Service")}
SERVICE_LOCATION_LABELS = {"address": _l("At the customer's address"),
                           "shop": _l("At the shop"), "online": _l("Online")}
NAME_MAX = inputs.LIMITS["product_name"]


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _lower(value):
    return value.strip().lower() if isinstance(value, str) else value


def _slug_format(form, field):
    if field.data:
        try:
            inputs.check_slug(field.data, limit=field.slug_limit)
        except Invalid as exc:
            raise ValidationError(str(exc.message)) from exc


class SlugField(StringField):
    def __init__(self, label, limit: int, **kwargs):
        super().__init__(label, filters=[_lower], validators=[Optional(), _slug_format],
                         render_kw={"autocapitalize": "none", "spellcheck": "false",
                                    "maxlength": limit}, **kwargs)
        self.slug_limit = limit


class RupeesField(StringField):
    """Text, so "1,250.00" stays as typed next to its error; `cents` holds the parsed value
    (Decimal inside inputs.parse_rupees, never a float)."""

    def __init__(self, label, required: bool = False, **kwargs):
        validators = [InputRequired()] if required else [Optional()]
        super().__init__(label, filters=[_strip], validators=[*validators, Length(max=20)],
                         render_kw={"inputmode": "decimal", "autocomplete": "off"}, **kwargs)
        self.cents: int | None = None

    def post_validate(self, form, validation_stopped):
        if self.errors or validation_stopped or not self.data:
            return
        try:
            self.cents = inputs.parse_rupees(self.data)
        except Invalid as exc:
            self.errors.append(str(exc.message))


class DistrictsField(SelectMultipleField):
    """Districts as tick boxes (easier on a phone than a multiple select)."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def _choices(labels: dict) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in labels.items()]


def _optional(text: str | None) -> str | None:
    return text or None


class ProductForm(Form):
    name_en = StringField(_l("Name (English)"), filters=[_strip],
                          validators=[InputRequired(), Length(max=NAME_MAX)])
    name_si = StringField(_l("Name (Sinhala)"), filters=[_strip],
                          validators=[Optional(), Length(max=NAME_MAX)],
                          render_kw={"lang": "si"})
    name_ta = StringField(_l("Name (Tamil)"), filters=[_strip],
                          validators=[Optional(), Length(max=NAME_MAX)],
                          render_kw={"lang": "ta"})
    slug = SlugField(_l("Slug (web address)"), inputs.LIMITS["product_slug"])
    kind = SelectField(_l("Kind"), choices=_choices(KIND_LABELS), validators=[InputRequired()])
    status = SelectField(_l("Status"), choices=_choices(STATUS_LABELS),
                         validators=[InputRequired()])
    category = SelectField(_l("Category"), validators=[Optional()])
    brand = StringField(_l("Brand"), filters=[_strip],
                        validators=[Optional(), Length(max=inputs.LIMITS["brand"])])
    is_featured = BooleanField(_l("Featured on the home page"))
    duration_minutes = IntegerField(
        _l("Duration in minutes (services)"),
        validators=[Optional(), NumberRange(min=1, max=inputs.MAX_DURATION_MINUTES)],
        render_kw={"inputmode": "numeric"})
    service_location = SelectField(
        _l("Where the service happens (services)"), choices=_choices(SERVICE_LOCATION_LABELS),
        default="shop", validators=[Optional()])
    service_districts = DistrictsField(_l("Districts served at customers' addresses"),
                                       validators=[Optional()])
    description_en = TextAreaField(
        _l("Description (English)"), filters=[_strip],
        validators=[Optional(), Length(max=inputs.MAX_DESCRIPTION)], render_kw={"rows": 4})
    description_si = TextAreaField(
        _l("Description (Sinhala)"), filters=[_strip],
        validators=[Optional(), Length(max=inputs.MAX_DESCRIPTION)],
        render_kw={"rows": 4, "lang": "si"})
    description_ta = TextAreaField(
        _l("Description (Tamil)"), filters=[_strip],
        validators=[Optional(), Length(max=inputs.MAX_DESCRIPTION)],
        render_kw={"rows": 4, "lang": "ta"})

    def __init__(self, *args, categories: list[tuple] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.category.choices = [SelectChoice("", _l("No category")), *(
            SelectChoice(c.slug, "— " * depth + c.name_en) for c, depth in categories)]
        self.service_districts.choices = [SelectChoice(code, name)
                                          for code, name in districts.choices()]

    def details(self) -> inputs.ProductDetails:
        return inputs.ProductDetails(
            name_en=self.name_en.data, name_si=_optional(self.name_si.data),
            name_ta=_optional(self.name_ta.data), slug=self.slug.data or None,
            kind=self.kind.data, status=self.status.data,
            category_slug=self.category.data or None, brand=_optional(self.brand.data),
            is_featured=self.is_featured.data,
            duration_minutes=self.duration_minutes.data if self.kind.data == "service"
            else None,
            service_location=self.service_location.data or "shop",
            service_districts=tuple(self.service_districts.data or ()),
            description_en=self.description_en.data or "",
            description_si=_optional(self.description_si.data),
            description_ta=_optional(self.description_ta.data))


def _options_format(form, field):
    try:
        field.pairs = inputs.parse_pairs(field.data or "", field=field.name,
                                         unique_names=True)
    except Invalid as exc:
        raise ValidationError(str(exc.message)) from exc


class VariantFields:
    """The fields of one variant: in the variant form, and the new-product form's first."""

    sku = StringField(_l("SKU"), filters=[_strip],
                      validators=[InputRequired(), Length(max=inputs.LIMITS["sku"])],
                      render_kw={"autocapitalize": "characters", "spellcheck": "false"})
    price = RupeesField(_l("Price (rupees)"), required=True)
    compare_at = RupeesField(_l("Compare-at price (rupees, optional)"))
    cost = RupeesField(_l("Cost price (rupees, optional)"))
    weight_grams = IntegerField(_l("Weight in grams"), validators=[
        Optional(), NumberRange(min=0, max=inputs.MAX_WEIGHT_GRAMS)],
        render_kw={"inputmode": "numeric"})

    def variant_input(self, options=None, barcode=None) -> inputs.VariantInput:
        return inputs.VariantInput(
            sku=self.sku.data, price_cents=self.price.cents,
            compare_at_cents=self.compare_at.cents if self.compare_at.data else None,
            cost_cents=self.cost.cents if self.cost.data else None,
            weight_grams=self.weight_grams.data, options=dict(options or {}),
            barcode=barcode)


class ProductNewForm(VariantFields, ProductForm):
    pass


class VariantForm(VariantFields, Form):
    barcode = StringField(_l("Barcode"), filters=[_strip], validators=[
        Optional(), Length(max=inputs.LIMITS["barcode"])],
        render_kw={"inputmode": "numeric", "autocomplete": "off"})
    options = StringField(_l("Options"), filters=[_strip],
                          validators=[Optional(), Length(max=500), _options_format])
    options_si = StringField(_l("Options in Sinhala"), filters=[_strip],
                             validators=[Optional(), Length(max=500), _options_format],
                             render_kw={"lang": "si"})
    options_ta = StringField(_l("Options in Tamil"), filters=[_strip],
                             validators=[Optional(), Length(max=500), _options_format],
                             render_kw={"lang": "ta"})

    def to_input(self) -> inputs.VariantInput:
        plain = self.variant_input(getattr(self.options, "pairs", []),
                                   self.barcode.data or None)
        return dataclasses.replace(
            plain, options_si=dict(getattr(self.options_si, "pairs", [])) or None,
            options_ta=dict(getattr(self.options_ta, "pairs", [])) or None)


def _pairs_format(form, field):
    try:
        field.pairs = inputs.parse_pairs(field.data or "", field=field.short_name)
    except Invalid as exc:
        raise ValidationError(str(exc.message)) from exc


class AttributesForm(Form):
    attributes = TextAreaField(_l("Attributes"), filters=[_strip],
                               validators=[Optional(), Length(max=2000), _pairs_format],
                               render_kw={"rows": 4, "spellcheck": "false"})
    attributes_si = TextAreaField(_l("Their values in Sinhala"), filters=[_strip],
                                  validators=[Optional(), Length(max=2000), _pairs_format],
                                  render_kw={"rows": 3, "lang": "si"})
    attributes_ta = TextAreaField(_l("Their values in Tamil"), filters=[_strip],
                                  validators=[Optional(), Length(max=2000), _pairs_format],
                                  render_kw={"rows": 3, "lang": "ta"})

    def pairs(self) -> list[tuple[str, str]]:
        return getattr(self.attributes, "pairs", [])

    def translations(self) -> dict[str, dict[str, str]]:
        """{"si": {English value: Sinhala value}, "ta": {…}}."""
        return {lang: dict(getattr(self[f"attributes_{lang}"], "pairs", []))
                for lang in ("si", "ta")}


class SlotForm(Form):
    date = DateField(_l("Date"), validators=[InputRequired()])
    time = TimeField(_l("Start time"), validators=[InputRequired()])
    capacity = IntegerField(_l("Places"), default=1, validators=[
        InputRequired(), NumberRange(min=1, max=inputs.MAX_CAPACITY)],
        render_kw={"inputmode": "numeric"})

    def validate_date(self, field):
        # Checked here, not only by the service: a date like 0001-01-01 cannot even be turned
        # into UTC.
        if field.data is None:
            return  # not a date at all: the field says so already
        today = dt.datetime.now(COLOMBO).date()
        if field.data < today:
            raise ValidationError(_l("Choose a time in the future."))
        if field.data > today + dt.timedelta(days=2 * 366):
            raise ValidationError(_l("Choose a date within the next two years."))

    def utc_start(self) -> dt.datetime:
        """The date and time are Colombo's; the service wants aware UTC."""
        local = dt.datetime.combine(self.date.data, self.time.data, tzinfo=COLOMBO)
        return local.astimezone(dt.UTC)


class ImageForm(Form):
    image = FileField(_l("Picture"), validators=[FileRequired(_l("Choose a picture."))],
                      render_kw={"accept": "image/jpeg,image/png,image/webp",
                                 "data-preview": "image-preview"})
    alt = StringField(_l("Description for screen readers (optional)"), filters=[_strip],
                      validators=[Optional(), Length(max=inputs.LIMITS["alt"])])


class CategoryForm(Form):
    name_en = StringField(_l("Name (English)"), filters=[_strip], validators=[
        InputRequired(), Length(max=inputs.LIMITS["category_name"])])
    name_si = StringField(_l("Name (Sinhala)"), filters=[_strip], validators=[
        Optional(), Length(max=inputs.LIMITS["category_name"])], render_kw={"lang": "si"})
    name_ta = StringField(_l("Name (Tamil)"), filters=[_strip], validators=[
        Optional(), Length(max=inputs.LIMITS["category_name"])], render_kw={"lang": "ta"})
    slug = SlugField(_l("Slug (web address)"), inputs.LIMITS["category_slug"])
    parent = SelectField(_l("Inside"), validators=[Optional()])
    position = IntegerField(_l("Position (smaller comes first)"), default=0, validators=[
        Optional(), NumberRange(min=0, max=inputs.MAX_POSITION)],
        render_kw={"inputmode": "numeric"})

    def __init__(self, *args, parents: list[tuple] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.parent.choices = [SelectChoice("", _l("Top level")), *(
            SelectChoice(c.slug, "— " * depth + c.name_en) for c, depth in parents)]

    def to_input(self) -> inputs.CategoryInput:
        return inputs.CategoryInput(
            slug=self.slug.data or inputs.slugify(self.name_en.data)[:80],
            name_en=self.name_en.data, name_si=_optional(self.name_si.data),
            name_ta=_optional(self.name_ta.data), parent_slug=self.parent.data or None,
            position=self.position.data or 0)


class ProductFilterForm(Form):
    """Read from the query string (GET), so no CSRF token."""

    class Meta:
        csrf = False

    q = StringField(_l("Name or SKU"), filters=[_strip], validators=[Optional(),
                                                                      Length(max=200)])
    status = SelectField(_l("Status"), validators=[Optional()],
                         choices=[SelectChoice("", _l("Any status")), *_choices(STATUS_LABELS)])
    kind = SelectField(_l("Kind"), validators=[Optional()],
                       choices=[SelectChoice("", _l("Any kind")),
                                *_choices(KIND_LABELS)])
    category = SelectField(_l("Category"), validators=[Optional()])

    def __init__(self, formdata, *, categories: list[tuple] = ()):
        super().__init__(formdata)
        self.category.choices = [SelectChoice("", _l("Any category")), *(
            SelectChoice(str(c.id), "— " * depth + c.name_en) for c, depth in categories)]

    def to_query(self) -> staff_search.ProductQuery:
        return staff_search.ProductQuery(
            text=self.q.data or "", status=self.status.data or None,
            kind=self.kind.data or None,
            category_id=int(self.category.data) if self.category.data else None)


BULK_ACTIONS = {"published": _l("Publish"), "archived": _l("Archive"),
                "draft": _l("Back to draft")}


class BulkForm(Form):
    ids = SelectMultipleField(coerce=int, validate_choice=False, validators=[
        InputRequired(_l("Tick at least one product."))])
    action = SelectField(_l("With the ticked products"), choices=_choices(BULK_ACTIONS),
                         validators=[InputRequired()])


class ImportForm(Form):
    file = FileField(_l("CSV file"), validators=[FileRequired(_l("Choose a CSV file."))],
                     render_kw={"accept": ".csv,text/csv"})
