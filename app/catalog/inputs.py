"""What staff type into the catalog and the rules it must follow: the limits of the columns,
prices and name=value pairs parsed from text, the input dataclasses and their checks. A form, a
CSV row and an API call all go through the same checks. Nothing here touches the database.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l

from app.accounts import districts
from app.errors import Invalid
from app.security import characters

KINDS = ("product", "service")
# Where a service happens: at the customer's address (in the districts it serves), at the
# shop, or online.
SERVICE_LOCATIONS = ("address", "shop", "online")
STATUSES = ("draft", "published", "archived")
# Integer columns are 32-bit on PostgreSQL; these caps keep every value far inside them and
# turn a typo (an extra zero or five) into a message rather than a database error.
MAX_PRICE_CENTS = 10_000_000_00  # Rs. 10 million
MAX_WEIGHT_GRAMS = 1_000_000  # one tonne
MAX_DURATION_MINUTES = 7 * 24 * 60
MAX_CAPACITY = 1000
MAX_POSITION = 10_000
MAX_DESCRIPTION = 5000
MAX_OPTIONS = 5
# The lengths of the columns (app/catalog/models.py).
LIMITS = {"product_slug": 120, "category_slug": 80, "product_name": 200, "category_name": 120,
          "brand": 80, "sku": 64, "barcode": 32, "pair_name": 40, "pair_value": 80, "alt": 200}
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SKU_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")
_RUPEES_RE = re.compile(r"^(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]{1,2})?$")

SLUG_HINT = _l("Lower-case letters, digits and hyphens, like red-cotton-sarong.")


# ---- parsing what people type -------------------------------------------------------------

def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:100].strip("-") or "item"


def parse_rupees(text: str, *, field: str = "price") -> int:
    """"1,250.00" (or "Rs. 1250") → 125000 cents, through Decimal: no float ever rounds a
    price. Raises Invalid naming `field`."""
    cleaned = (text or "").strip()
    for prefix in ("Rs.", "Rs", "රු.", "ரூ."):
        cleaned = cleaned.removeprefix(prefix).strip()
    if cleaned.startswith("-"):
        raise Invalid(_l("A price cannot be negative."), field=field)
    if not _RUPEES_RE.match(cleaned):
        raise Invalid(_l("Enter an amount in rupees, like 1,250.00."), field=field)
    try:
        cents = Decimal(cleaned.replace(",", "")) * 100
    except InvalidOperation as exc:  # the pattern lets only digits through; belt and braces
        raise Invalid(_l("Enter an amount in rupees, like 1,250.00."), field=field) from exc
    if cents > MAX_PRICE_CENTS:
        raise Invalid(_l("That is more than Rs. 10,000,000.00. Check the amount."), field=field)
    return int(cents)


def rupees(cents: int | None) -> str:
    """125000 → "1250.00": how forms and CSV files show a price to be edited."""
    if cents is None:
        return ""
    return f"{cents // 100}.{cents % 100:02d}"


def parse_pairs(text: str, *, field: str, unique_names: bool = False) -> list[tuple[str, str]]:
    """"size=M; colour=Red" (or one pair a line) → [("size", "M"), ("colour", "Red")].
    Raises Invalid naming `field`."""
    pairs: list[tuple[str, str]] = []
    for part in re.split(r"[;\n]", text or ""):
        part = part.strip()
        if not part:
            continue
        name, sep, value = part.partition("=")
        name, value = name.strip(), value.strip()
        if not sep or not name or not value:
            raise Invalid(_l("Write each pair as name=value, like colour=red."), field=field)
        if has_control_characters(name + value):
            raise Invalid(_l("Remove the invisible control characters."), field=field)
        if len(name) > LIMITS["pair_name"] or len(value) > LIMITS["pair_value"]:
            raise Invalid(_l("Keep names under %(name)d and values under %(value)d characters.",
                             name=LIMITS["pair_name"] + 1, value=LIMITS["pair_value"] + 1),
                          field=field)
        if unique_names and any(n == name for n, _ in pairs):
            raise Invalid(_l("“%(name)s” is given twice.", name=name), field=field)
        if (name, value) not in pairs:
            pairs.append((name, value))
    return pairs


def format_pairs(pairs) -> str:
    return "; ".join(f"{name}={value}" for name, value in pairs)


# ---- inputs and their checks ----------------------------------------------------------------

@dataclass(frozen=True)
class VariantInput:
    sku: str
    price_cents: int
    options: dict[str, str] = field(default_factory=dict)
    compare_at_cents: int | None = None
    # What the shop paid for one unit (staff and reports only); None: not known.
    cost_cents: int | None = None
    weight_grams: int | None = None
    barcode: str | None = None
    # The options in Sinhala and Tamil, pair for pair in the order of `options`; None (or
    # empty) shows the English ones.
    options_si: dict[str, str] | None = None
    options_ta: dict[str, str] | None = None


@dataclass(frozen=True)
class ProductDetails:
    """Everything about a product but its variants and attributes. `slug` None (or "")
    keeps the current slug on an edit, and is made from the English name on a create."""

    name_en: str
    kind: str = "product"
    slug: str | None = None
    category_slug: str | None = None
    name_si: str | None = None
    name_ta: str | None = None
    description_en: str = ""
    description_si: str | None = None
    description_ta: str | None = None
    brand: str | None = None
    is_featured: bool = False
    duration_minutes: int | None = None
    status: str = "draft"
    # Services only (ignored for products): where it happens, and for "address" the district
    # codes it serves (at least one).
    service_location: str = "shop"
    service_districts: tuple[str, ...] = ()


@dataclass(frozen=True)
class ProductInput(ProductDetails):
    """A new product: its details, its variants (at least one) and its attributes."""

    variants: list[VariantInput] = field(default_factory=list)
    attributes: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CategoryInput:
    slug: str
    name_en: str
    name_si: str | None = None
    name_ta: str | None = None
    parent_slug: str | None = None
    position: int = 0


def _too_long(field_name: str, limit: int) -> Invalid:
    return Invalid(_l("Use at most %(max)d characters.", max=limit), field=field_name)


CONTROL_CHARACTERS = characters.FORBIDDEN_IN_TEXT


def has_control_characters(value: str | None) -> bool:
    """Invisible characters no one types (NUL, which PostgreSQL cannot store, the other
    controls, bidi overrides: app/security/characters.py); tabs and line breaks are fine."""
    return characters.has_forbidden_characters(value, multiline=True)


def _text(value: str | None, field_name: str, limit: int, *, required: bool = False) -> None:
    if required and not (value or "").strip():
        raise Invalid(_l("This field is required."), field=field_name)
    if value is not None and len(value) > limit:
        raise _too_long(field_name, limit)
    if has_control_characters(value):
        raise Invalid(_l("Remove the invisible control characters."), field=field_name)


def check_slug(slug: str, field_name: str = "slug", limit: int = LIMITS["product_slug"]) -> None:
    if len(slug) > limit:
        raise _too_long(field_name, limit)
    if not SLUG_RE.match(slug):
        raise Invalid(SLUG_HINT, field=field_name)


def check_details(data) -> None:
    """The rules of a product's own fields (ProductDetails or ProductInput). Raises Invalid
    naming the first field at fault."""
    if data.kind not in KINDS:
        raise Invalid(_l("Choose product or service."), field="kind")
    if data.status not in STATUSES:
        raise Invalid(_l("Choose draft, published or archived."), field="status")
    _text(data.name_en, "name_en", LIMITS["product_name"], required=True)
    for lang in ("si", "ta"):
        _text(getattr(data, f"name_{lang}"), f"name_{lang}", LIMITS["product_name"])
    for lang in ("en", "si", "ta"):
        _text(getattr(data, f"description_{lang}"), f"description_{lang}", MAX_DESCRIPTION)
    _text(data.brand, "brand", LIMITS["brand"])
    if data.slug:
        check_slug(data.slug)
    if data.kind == "service":
        minutes = data.duration_minutes
        if minutes is None or not 0 < minutes <= MAX_DURATION_MINUTES:
            raise Invalid(_l("A service needs a duration from 1 to %(max)d minutes.",
                             max=MAX_DURATION_MINUTES), field="duration_minutes")
        check_service_place(data.service_location, data.service_districts)


def check_service_place(location: str | None, district_codes) -> None:
    """Raises Invalid unless `location` is known and, for a service at the customer's
    address, `district_codes` names at least one district and only real ones."""
    if location not in SERVICE_LOCATIONS:
        raise Invalid(_l("Choose where the service happens."), field="service_location")
    if location == "address":
        codes = list(district_codes or ())
        if not codes:
            raise Invalid(_l("Tick the districts this service covers at customers' "
                             "addresses."), field="service_districts")
        if not all(districts.is_district(code) for code in codes):
            raise Invalid(_l("Choose districts from the list."), field="service_districts")


def service_place(data) -> dict:
    """The service place columns as a product stores them (None for products; districts
    only for a service at the customer's address, sorted, each once)."""
    if data.kind != "service":
        return {"service_location": None, "service_districts": None}
    codes = sorted(set(data.service_districts or ())) if data.service_location == "address" \
        else None
    return {"service_location": data.service_location, "service_districts": codes}


def _check_cents(cents: int, field_name: str) -> None:
    if cents < 0:
        raise Invalid(_l("A price cannot be negative."), field=field_name)
    if cents > MAX_PRICE_CENTS:
        raise Invalid(_l("That is more than Rs. 10,000,000.00. Check the amount."),
                      field=field_name)


def check_variant(v: VariantInput) -> None:
    """Raises Invalid naming the first field at fault (sku, price, compare_at, cost …)."""
    _text(v.sku, "sku", LIMITS["sku"], required=True)
    if not SKU_RE.match(v.sku):
        raise Invalid(_l("Letters, digits and . _ / - only, starting with a letter or digit."),
                      field="sku")
    _check_cents(v.price_cents, "price")
    if v.compare_at_cents is not None:
        _check_cents(v.compare_at_cents, "compare_at")
        if v.compare_at_cents <= v.price_cents:
            raise Invalid(_l("The compare-at price is the old price: make it higher than the "
                             "price, or leave it empty."), field="compare_at")
    if v.cost_cents is not None:
        _check_cents(v.cost_cents, "cost")
    if v.weight_grams is not None and not 0 <= v.weight_grams <= MAX_WEIGHT_GRAMS:
        raise Invalid(_l("Enter a weight from 0 to %(max)d grams.", max=MAX_WEIGHT_GRAMS),
                      field="weight_grams")
    _text(v.barcode, "barcode", LIMITS["barcode"])
    if len(v.options) > MAX_OPTIONS:
        raise Invalid(_l("At most %(max)d options.", max=MAX_OPTIONS), field="options")
    for name, value in v.options.items():
        if not name or not value or len(name) > LIMITS["pair_name"] \
                or len(value) > LIMITS["pair_value"] or has_control_characters(name + value):
            raise Invalid(_l("Write each pair as name=value, like colour=red."), field="options")
    for lang in ("si", "ta"):
        _check_translated_options(v.options, getattr(v, f"options_{lang}"), lang)


def _check_translated_options(options: dict, translated: dict | None, lang: str) -> None:
    """A translation gives one pair for each English option, in the same order (so the n-th
    translates the n-th). Raises Invalid naming options_si or options_ta."""
    if not translated:
        return
    field_name = f"options_{lang}"
    for name, value in translated.items():
        if not name or not value or len(name) > LIMITS["pair_name"] \
                or len(value) > LIMITS["pair_value"] or has_control_characters(name + value):
            raise Invalid(_l("Write each pair as name=value, like colour=red."),
                          field=field_name)
    if not options:
        raise Invalid(_l("Give the options in English first; these translate them."),
                      field=field_name)
    if len(translated) != len(options):
        count = len(options)
        raise Invalid(_l("Give one Sinhala pair for each of the %(count)d options, in the same "
                         "order, or leave this empty to show the English ones.", count=count)
                      if lang == "si" else
                      _l("Give one Tamil pair for each of the %(count)d options, in the same "
                         "order, or leave this empty to show the English ones.", count=count),
                      field=field_name)


def _check_attributes(pairs) -> None:
    for name, value in pairs:
        if not name or not value or len(name) > LIMITS["pair_name"] \
                or len(value) > LIMITS["pair_value"] or has_control_characters(name + value):
            raise Invalid(_l("Write each pair as name=value, like colour=red."),
                          field="attributes")


def check_value_translations(values, translations: dict[str, dict[str, str]] | None) -> None:
    """`translations` is {"si": {English value: Sinhala value}, "ta": {…}}: each English
    value must be one of `values`. Raises Invalid naming attributes_si or attributes_ta."""
    for lang, pairs in (translations or {}).items():
        field_name = f"attributes_{lang}"
        for english, translated in (pairs or {}).items():
            if english not in values:
                raise Invalid(_l("“%(value)s” is not one of this product's attribute values. "
                                 "Write the English value, =, then its translation.",
                                 value=english), field=field_name)
            if not translated or len(translated) > LIMITS["pair_value"] \
                    or has_control_characters(translated):
                raise Invalid(_l("Write each pair as name=value, like colour=red."),
                              field=field_name)
