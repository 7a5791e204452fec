"""Writing the catalog: categories, products and services, variants, attributes, images and
booking slots, and the staff's view of it all (drafts included). Staff pages, CSV imports and
the demo loader all come through here; each call checks the actor's role, checks the input
(so a CSV row or an API call gets the same rules as a form) and writes an audit entry.

`actor` None is the system itself (demo loader, command line, tests' factories).
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app import db
from app.accounts.models import User
from app.audit import services as audit
from app.catalog import images
from app.catalog.models import (
    Category,
    Product,
    ProductAttribute,
    ProductImage,
    ServiceSlot,
    Variant,
)
from app.catalog.services import refresh_min_price
from app.db import transaction, utcnow
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.security.roles import Permission, can
from app.storage import storage

log = logging.getLogger(__name__)

KINDS = ("product", "service")
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


def require_catalog_manager(actor: User | None) -> None:
    """Only roles with MANAGE_CATALOG (catalog managers, admins) write or see drafts.
    Raises Forbidden."""
    if actor is not None and not can(actor.role, Permission.MANAGE_CATALOG):
        raise Forbidden()


_require = require_catalog_manager


MAX_ID = 2**31 - 1  # ids are 32-bit on PostgreSQL: a bigger number is no id, not an error


def _get(model, ident: int):
    """A row by id, or None; an id out of range finds nothing instead of a DataError."""
    return db.session.get(model, ident) if 0 < ident <= MAX_ID else None


def _actor_id(actor: User | None) -> int | None:
    return actor.id if actor else None


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
    weight_grams: int | None = None
    barcode: str | None = None


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


@dataclass(frozen=True)
class ProductInput:
    name_en: str
    variants: list[VariantInput]
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
    attributes: dict[str, str] = field(default_factory=dict)
    status: str = "draft"


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


CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def has_control_characters(value: str | None) -> bool:
    """Invisible characters no one types (NUL, which PostgreSQL cannot store, and the
    like); tabs and line breaks are fine."""
    return bool(value) and CONTROL_CHARACTERS.search(value) is not None


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


def _check_cents(cents: int, field_name: str) -> None:
    if cents < 0:
        raise Invalid(_l("A price cannot be negative."), field=field_name)
    if cents > MAX_PRICE_CENTS:
        raise Invalid(_l("That is more than Rs. 10,000,000.00. Check the amount."),
                      field=field_name)


def check_variant(v: VariantInput) -> None:
    """Raises Invalid naming the first field at fault (sku, price, compare_at …)."""
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


def _check_attributes(pairs) -> None:
    for name, value in pairs:
        if not name or not value or len(name) > LIMITS["pair_name"] \
                or len(value) > LIMITS["pair_value"] or has_control_characters(name + value):
            raise Invalid(_l("Write each pair as name=value, like colour=red."),
                          field="attributes")


def _sku_taken(sku: str) -> Conflict:
    return Conflict(_l("SKU %(sku)s is already used by another variant.", sku=sku), field="sku")


def _slug_taken() -> Conflict:
    return Conflict(_l("Another product already uses this slug."), field="slug")


def _category_by_slug(slug: str | None) -> Category | None:
    if not slug:
        return None
    category = db.session.scalar(select(Category).where(Category.slug == slug))
    if category is None:
        raise NotFound(_l("There is no category with that slug."), field="category")
    return category


def _flush_or_conflict() -> None:
    """Checks ran before the write; a unique index still catches a twin saved a moment ago
    by someone else, and that is a conflict to show, not a crash."""
    try:
        db.session.flush()
    except IntegrityError as exc:
        raise Conflict(_l("Someone saved the same slug or SKU a moment ago. Check and try "
                          "again.")) from exc


# ---- categories -----------------------------------------------------------------------------

def _check_category(data: CategoryInput) -> None:
    check_slug(data.slug, "slug", LIMITS["category_slug"])
    _text(data.name_en, "name_en", LIMITS["category_name"], required=True)
    _text(data.name_si, "name_si", LIMITS["category_name"])
    _text(data.name_ta, "name_ta", LIMITS["category_name"])
    if not 0 <= data.position <= MAX_POSITION:
        raise Invalid(_l("Enter a position from 0 to %(max)d.", max=MAX_POSITION),
                      field="position")


def save_category(data: CategoryInput, *, category_id: int | None = None,
                  actor: User | None = None) -> Category:
    """Create a category (no `category_id`) or change one. A category cannot move under
    itself or under one of its own sub-categories. Raises Invalid, Conflict, NotFound,
    Forbidden."""
    _require(actor)
    _check_category(data)
    with transaction():
        category = None
        if category_id is not None:
            category = _get(Category, category_id)
            if category is None:
                raise NotFound()
        twin = db.session.scalar(select(Category.id).where(Category.slug == data.slug))
        if twin is not None and (category is None or twin != category.id):
            raise Conflict(_l("Another category already uses this slug."), field="slug")
        parent = None
        if data.parent_slug:
            parent = db.session.scalar(select(Category).where(Category.slug == data.parent_slug))
            if parent is None:
                raise NotFound(_l("There is no category with that slug."), field="parent")
            if category is not None and _is_within(parent, category):
                raise Invalid(_l("A category cannot be inside itself or one of its own "
                                 "sub-categories."), field="parent")
        values = {"slug": data.slug, "name_en": data.name_en.strip(),
                  "name_si": data.name_si or None, "name_ta": data.name_ta or None,
                  "parent_id": parent.id if parent else None, "position": data.position}
        if category is None:
            category = Category(**values)
            db.session.add(category)
            changed = sorted(values)
            action = "catalog.category_create"
        else:
            changed = sorted(k for k, v in values.items() if getattr(category, k) != v)
            for key, value in values.items():
                setattr(category, key, value)
            action = "catalog.category_update"
        _flush_or_conflict()
        audit.record(action, actor_id=_actor_id(actor), target_type="category",
                     target_id=category.id, fields=changed)
    return category


def _is_within(node: Category, ancestor: Category) -> bool:
    """Is `node` the category `ancestor` or somewhere below it?"""
    seen = set()
    while node is not None and node.id not in seen:
        if node.id == ancestor.id:
            return True
        seen.add(node.id)
        node = node.parent
    return False


def create_category(slug: str, name_en: str, *, name_si: str | None = None,
                    name_ta: str | None = None, parent_slug: str | None = None,
                    position: int = 0, actor: User | None = None) -> Category:
    return save_category(CategoryInput(slug=slug, name_en=name_en, name_si=name_si,
                                       name_ta=name_ta, parent_slug=parent_slug,
                                       position=position), actor=actor)


def category_rows(*, actor: User | None = None) -> list[tuple[Category, int]]:
    """Every category (inactive too) in tree order, with its depth: for the staff's tree
    and for choosing a parent."""
    _require(actor)
    every = list(db.session.scalars(select(Category).order_by(Category.position,
                                                              Category.name_en)))
    children: dict[int | None, list[Category]] = {}
    for category in every:
        children.setdefault(category.parent_id, []).append(category)
    rows: list[tuple[Category, int]] = []

    def walk(parent_id, depth):
        for category in children.get(parent_id, []):
            rows.append((category, depth))
            walk(category.id, depth + 1)

    walk(None, 0)
    return rows


def get_category(category_id: int, *, actor: User | None = None) -> Category:
    _require(actor)
    category = _get(Category, category_id)
    if category is None:
        raise NotFound()
    return category


# ---- products ---------------------------------------------------------------------------------

def _free_slug(base: str) -> str:
    """`base`, or `base-2`, `base-3` … when taken: for slugs made from a name."""
    taken = set(db.session.scalars(select(Product.slug).where(
        or_(Product.slug == base, Product.slug.startswith(base + "-", autoescape=True)))))
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def create_product(data: ProductInput, *, actor: User | None = None) -> Product:
    """A product or service with its first variants. A slug given and taken is a Conflict;
    one made from the name gets a number instead. Raises Invalid, Conflict, NotFound
    (category), Forbidden."""
    _require(actor)
    check_details(data)
    if not data.variants:
        raise Invalid(_l("Add at least one variant."), field="variants")
    for variant in data.variants:
        check_variant(variant)
    _check_attributes(data.attributes.items())
    skus = [v.sku for v in data.variants]
    if len(set(skus)) != len(skus):
        raise Conflict(_l("Each variant needs its own SKU."), field="sku")
    with transaction():
        if data.slug:
            if db.session.scalar(select(Product.id).where(Product.slug == data.slug)):
                raise _slug_taken()
            slug = data.slug
        else:
            slug = _free_slug(slugify(data.name_en))
        taken = db.session.scalar(select(Variant.sku).where(Variant.sku.in_(skus)))
        if taken:
            raise _sku_taken(taken)
        category = _category_by_slug(data.category_slug)
        product = Product(
            slug=slug, kind=data.kind, status=data.status, category=category,
            name_en=data.name_en.strip(), name_si=data.name_si or None,
            name_ta=data.name_ta or None, description_en=data.description_en or "",
            description_si=data.description_si or None,
            description_ta=data.description_ta or None, brand=data.brand or None,
            is_featured=data.is_featured,
            duration_minutes=data.duration_minutes if data.kind == "service" else None,
            published_at=utcnow() if data.status == "published" else None,
            variants=[Variant(position=i, **vars(v)) for i, v in enumerate(data.variants)],
            attributes=[ProductAttribute(name=k, value=v) for k, v in data.attributes.items()])
        db.session.add(product)
        _flush_or_conflict()  # column defaults (is_active) are set by the flush
        refresh_min_price(product)
        audit.record("catalog.product_create", actor_id=_actor_id(actor),
                     target_type="product", target_id=product.id, kind=product.kind,
                     variants=len(skus))
    return product


def _load_product(product_id: int) -> Product:
    product = _get(Product, product_id)
    if product is None:
        raise NotFound()
    return product


def update_product(product_id: int, data: ProductDetails, *,
                   actor: User | None = None) -> Product:
    """Change a product's own fields. The slug stays as it is unless `data.slug` names a new
    one (links and search engines keep working when a name is corrected). Publishing sets
    `published_at` the first time only. Raises Invalid, Conflict, NotFound, Forbidden."""
    _require(actor)
    check_details(data)
    with transaction():
        product = _load_product(product_id)
        if data.slug and data.slug != product.slug:
            if db.session.scalar(select(Product.id).where(Product.slug == data.slug)):
                raise _slug_taken()
        category = _category_by_slug(data.category_slug)
        values = {
            "slug": data.slug or product.slug, "kind": data.kind, "status": data.status,
            "category_id": category.id if category else None,
            "name_en": data.name_en.strip(), "name_si": data.name_si or None,
            "name_ta": data.name_ta or None, "description_en": data.description_en or "",
            "description_si": data.description_si or None,
            "description_ta": data.description_ta or None, "brand": data.brand or None,
            "is_featured": data.is_featured,
            "duration_minutes": data.duration_minutes if data.kind == "service" else None,
        }
        changed = sorted(k for k, v in values.items() if getattr(product, k) != v)
        if not changed:
            return product
        for key, value in values.items():
            setattr(product, key, value)
        if product.status == "published" and product.published_at is None:
            product.published_at = utcnow()
        product.updated_at = utcnow()
        _flush_or_conflict()
        audit.record("catalog.product_update", actor_id=_actor_id(actor),
                     target_type="product", target_id=product.id, fields=changed)
    return product


def set_status(product_ids: list[int], status: str, *, actor: User | None = None) -> int:
    """Publish, archive or return to draft many products at once (one audit entry each).
    Returns how many changed. Raises Invalid, Forbidden."""
    _require(actor)
    if status not in STATUSES:
        raise Invalid(_l("Choose draft, published or archived."), field="status")
    changed = 0
    with transaction():
        wanted = {i for i in product_ids if 0 < i <= MAX_ID}
        products = db.session.scalars(select(Product).where(Product.id.in_(wanted))
                                      .order_by(Product.id))
        for product in products:
            if product.status == status:
                continue
            audit.record("catalog.product_status", actor_id=_actor_id(actor),
                         target_type="product", target_id=product.id,
                         from_status=product.status, to_status=status)
            product.status = status
            if status == "published" and product.published_at is None:
                product.published_at = utcnow()
            product.updated_at = utcnow()
            changed += 1
    return changed


# ---- variants and attributes --------------------------------------------------------------------

def add_variant(product_id: int, data: VariantInput, *, actor: User | None = None) -> Variant:
    """Raises Invalid, Conflict (SKU taken), NotFound, Forbidden."""
    _require(actor)
    check_variant(data)
    with transaction():
        product = _load_product(product_id)
        if db.session.scalar(select(Variant.id).where(Variant.sku == data.sku)):
            raise _sku_taken(data.sku)
        variant = Variant(position=len(product.variants), **vars(data))
        product.variants.append(variant)
        _flush_or_conflict()
        refresh_min_price(product)
        product.updated_at = utcnow()
        audit.record("catalog.variant_add", actor_id=_actor_id(actor), target_type="variant",
                     target_id=variant.id, product_id=product.id)
    return variant


def get_variant(variant_id: int, *, actor: User | None = None) -> Variant:
    _require(actor)
    variant = _get(Variant, variant_id)
    if variant is None:
        raise NotFound()
    return variant


def update_variant(variant_id: int, data: VariantInput, *,
                   actor: User | None = None) -> Variant:
    """Raises Invalid, Conflict (SKU taken), NotFound, Forbidden."""
    _require(actor)
    check_variant(data)
    with transaction():
        variant = get_variant(variant_id)
        if data.sku != variant.sku and db.session.scalar(
                select(Variant.id).where(Variant.sku == data.sku)):
            raise _sku_taken(data.sku)
        values = vars(data)
        changed = sorted(k for k, v in values.items() if getattr(variant, k) != v)
        for key, value in values.items():
            setattr(variant, key, value)
        _flush_or_conflict()
        refresh_min_price(variant.product)
        variant.product.updated_at = utcnow()
        audit.record("catalog.variant_update", actor_id=_actor_id(actor),
                     target_type="variant", target_id=variant.id,
                     product_id=variant.product_id, fields=changed)
    return variant


def set_variant_active(variant_id: int, active: bool, *, actor: User | None = None) -> Variant:
    """Deactivate (hide from sale, keep for old orders) or reactivate a variant. A published
    product keeps at least one active variant. Raises Invalid, NotFound, Forbidden."""
    _require(actor)
    with transaction():
        variant = get_variant(variant_id)
        product = variant.product
        if not active and variant.is_active and product.status == "published" and not any(
                v.is_active for v in product.variants if v.id != variant.id):
            raise Invalid(_l("A published product needs one active variant. Archive the "
                             "product instead."), field="variant")
        if variant.is_active != active:
            variant.is_active = active
            refresh_min_price(product)
            product.updated_at = utcnow()
            audit.record("catalog.variant_activate" if active else "catalog.variant_deactivate",
                         actor_id=_actor_id(actor), target_type="variant",
                         target_id=variant.id, product_id=product.id)
    return variant


def set_attributes(product_id: int, pairs: list[tuple[str, str]], *,
                   actor: User | None = None) -> Product:
    """Replace a product's attributes (colour=red, material=cotton …)."""
    _require(actor)
    _check_attributes(pairs)
    with transaction():
        product = _load_product(product_id)
        before = {(a.name, a.value) for a in product.attributes}
        wanted = list(dict.fromkeys(pairs))
        if before == set(wanted):
            return product
        keep = [a for a in product.attributes if (a.name, a.value) in set(wanted)]
        product.attributes = keep + [ProductAttribute(name=n, value=v) for n, v in wanted
                                     if (n, v) not in before]
        product.updated_at = utcnow()
        db.session.flush()
        audit.record("catalog.attributes_set", actor_id=_actor_id(actor),
                     target_type="product", target_id=product.id, count=len(wanted))
    return product


# ---- booking slots ---------------------------------------------------------------------------

def add_slot(product_id: int, starts_at: dt.datetime, *, capacity: int = 1,
             actor: User | None = None) -> ServiceSlot:
    """A bookable time for a service, lasting the service's duration. Raises Invalid (a time
    in the past, a capacity out of range), NotFound (no such service), Forbidden."""
    _require(actor)
    if not 1 <= capacity <= MAX_CAPACITY:
        raise Invalid(_l("Enter a capacity from 1 to %(max)d.", max=MAX_CAPACITY),
                      field="capacity")
    if starts_at <= utcnow():
        raise Invalid(_l("Choose a time in the future."), field="starts_at")
    with transaction():
        product = _get(Product, product_id)
        if product is None or not product.is_service:
            raise NotFound()
        slot = ServiceSlot(product_id=product_id, starts_at=starts_at, capacity=capacity,
                           ends_at=starts_at + dt.timedelta(minutes=product.duration_minutes))
        db.session.add(slot)
        db.session.flush()
        audit.record("catalog.slot_add", actor_id=_actor_id(actor), target_type="product",
                     target_id=product_id, slot_id=slot.id)
    return slot


def upcoming_slots(product_id: int, *, limit: int = 50,
                   actor: User | None = None) -> list[ServiceSlot]:
    """Slots still to come, full ones too (staff see the bookings)."""
    _require(actor)
    return list(db.session.scalars(
        select(ServiceSlot).where(ServiceSlot.product_id == product_id,
                                  ServiceSlot.starts_at > utcnow())
        .order_by(ServiceSlot.starts_at).limit(limit)))


# ---- images ------------------------------------------------------------------------------------

def add_image(product_id: int, data: bytes, *, alt: str | None = None,
              actor: User | None = None) -> ProductImage:
    """Check, re-encode and store a picture. Raises NotAnImage, ImageTooLarge, Invalid (alt
    text), NotFound, Forbidden."""
    _require(actor)
    _text(alt, "alt", LIMITS["alt"])
    processed = images.process(data)
    with transaction():
        product = _load_product(product_id)
        key, thumb = images.new_keys(product_id)
        store = storage()
        store.save(key, processed.full, "image/webp")
        store.save(thumb, processed.thumb, "image/webp")
        image = ProductImage(key=key, width=processed.width, height=processed.height,
                             position=len(_images_of(product_id)), alt_en=alt or None)
        product.images.append(image)
        db.session.flush()
        audit.record("catalog.image_add", actor_id=_actor_id(actor),
                     target_type="product", target_id=product_id, image_id=image.id)
    return image


def _images_of(product_id: int) -> list[ProductImage]:
    """From the database, not a relationship loaded earlier in this session."""
    return list(db.session.scalars(select(ProductImage).where(
        ProductImage.product_id == product_id).order_by(ProductImage.position,
                                                        ProductImage.id)))


def _load_image(image_id: int) -> ProductImage:
    image = _get(ProductImage, image_id)
    if image is None:
        raise NotFound()
    return image


def move_image(image_id: int, offset: int, *, actor: User | None = None) -> ProductImage:
    """Move a picture one place earlier (-1) or later (+1); the first is the main one."""
    _require(actor)
    with transaction():
        image = _load_image(image_id)
        ordered = _images_of(image.product_id)
        at = ordered.index(image)
        to = min(max(at + (1 if offset > 0 else -1), 0), len(ordered) - 1)
        ordered.insert(to, ordered.pop(at))
        for position, each in enumerate(ordered):
            each.position = position
        audit.record("catalog.image_move", actor_id=_actor_id(actor), target_type="product",
                     target_id=image.product_id, image_id=image.id, position=to)
    return image


def delete_image(image_id: int, *, actor: User | None = None) -> int:
    """Remove a picture and its files; returns its product's id."""
    _require(actor)
    with transaction():
        image = _load_image(image_id)
        product_id = image.product_id
        keys = (image.key, images.thumb_key(image.key))
        others = [i for i in _images_of(product_id) if i.id != image.id]
        db.session.delete(image)
        for position, each in enumerate(others):
            each.position = position
        audit.record("catalog.image_delete", actor_id=_actor_id(actor), target_type="product",
                     target_id=product_id, image_id=image_id)
    # Files go after the commit: a failed commit must not leave a row without its picture.
    store = storage()
    for key in keys:
        try:
            store.delete(key)
        except Exception:
            log.exception("image_file_delete_failed", extra={"image_id": image_id})
    return product_id


# ---- the staff's view: every status, search by name or SKU --------------------------------------

@dataclass(frozen=True)
class ProductQuery:
    text: str = ""
    status: str | None = None
    kind: str | None = None
    category_id: int | None = None


@dataclass(frozen=True)
class StaffProductPage:
    items: list[Product]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


def find_products(query: ProductQuery = ProductQuery(), *, page: int = 1, per_page: int = 50,
                  actor: User | None = None) -> StaffProductPage:
    """Products in any status whose English, Sinhala or Tamil name, or a variant's SKU,
    contains `query.text`; newest change first."""
    _require(actor)
    stmt = select(Product)
    text = CONTROL_CHARACTERS.sub("", query.text).strip()[:200]
    if text:
        stmt = stmt.where(or_(
            Product.name_en.icontains(text, autoescape=True),
            Product.name_si.icontains(text, autoescape=True),
            Product.name_ta.icontains(text, autoescape=True),
            Product.slug.icontains(text, autoescape=True),
            exists().where(Variant.product_id == Product.id,
                           Variant.sku.icontains(text, autoescape=True))))
    if query.status in STATUSES:
        stmt = stmt.where(Product.status == query.status)
    if query.kind in KINDS:
        stmt = stmt.where(Product.kind == query.kind)
    if query.category_id is not None:
        stmt = stmt.where(Product.category_id.in_(_with_descendants(query.category_id)))
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    page = max(1, min(page, 100_000))
    items = list(db.session.scalars(
        stmt.options(selectinload(Product.variants), selectinload(Product.images),
                     selectinload(Product.category))
        .order_by(Product.updated_at.desc(), Product.id.desc())
        .limit(per_page).offset((page - 1) * per_page)))
    return StaffProductPage(items, total, page, per_page)


def _with_descendants(category_id: int) -> list[int]:
    ids, frontier = [category_id], [category_id]
    while frontier:
        frontier = list(db.session.scalars(
            select(Category.id).where(Category.parent_id.in_(frontier))))
        frontier = [i for i in frontier if i not in ids]
        ids.extend(frontier)
    return ids


def get_product(product_id: int, *, actor: User | None = None) -> Product:
    """A product in any status, with what its edit page shows. Raises NotFound, Forbidden."""
    _require(actor)
    if not 0 < product_id <= MAX_ID:
        raise NotFound()
    product = db.session.scalar(
        select(Product).where(Product.id == product_id)
        .options(selectinload(Product.variants), selectinload(Product.images),
                 selectinload(Product.attributes), selectinload(Product.category)))
    if product is None:
        raise NotFound()
    return product
