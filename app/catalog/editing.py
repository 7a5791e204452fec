"""Writing the catalog: categories, products and services, variants and attributes. Staff pages,
CSV imports and the demo loader all come through here; each call checks the actor's role, checks
the input (app/catalog/inputs.py, so a CSV row or an API call gets the same rules as a form) and
writes an audit entry. A service's booking slots are written by
app/catalog/booking_slots.py, pictures by app/catalog/pictures.py; the staff's view of the
catalog (drafts included) is app/catalog/staff_search.py.

`actor` None is the system itself (demo loader, command line, tests' factories).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from app import db
from app.accounts.services import User  # the type of `actor`
from app.audit import services as audit
from app.catalog import category_tree
from app.catalog.inputs import (
    LIMITS,
    MAX_POSITION,
    STATUSES,
    CategoryInput,
    ProductDetails,
    ProductInput,
    VariantInput,
    _check_attributes,
    _text,
    check_details,
    check_slug,
    check_value_translations,
    check_variant,
    service_place,
    slugify,
)
from app.catalog.models import Category, Product, ProductAttribute, Variant
from app.catalog.services import refresh_min_price
from app.db import transaction, utcnow
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.security.roles import Permission, can


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


# ---- shared by the writes -----------------------------------------------------------------

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
    category_tree.forget()
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
            **service_place(data),
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
            **service_place(data),
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
                   translations: dict[str, dict[str, str]] | None = None,
                   actor: User | None = None) -> Product:
    """Replace a product's attributes (colour=red, material=cotton …). `translations`
    ({"si": {"red": "රතු"}, "ta": {…}}) sets their values' Sinhala and Tamil; None keeps the
    translations of the values that stay. Raises Invalid, NotFound, Forbidden."""
    _require(actor)
    _check_attributes(pairs)
    wanted = list(dict.fromkeys(pairs))
    check_value_translations({v for _n, v in wanted}, translations)
    with transaction():
        product = _load_product(product_id)
        before = {(a.name, a.value): (a.value_si, a.value_ta) for a in product.attributes}
        keep = [a for a in product.attributes if (a.name, a.value) in set(wanted)]
        product.attributes = keep + [ProductAttribute(name=n, value=v) for n, v in wanted
                                     if (n, v) not in before]
        if translations is not None:
            for attribute in product.attributes:
                attribute.value_si = translations.get("si", {}).get(attribute.value)
                attribute.value_ta = translations.get("ta", {}).get(attribute.value)
        after = {(a.name, a.value): (a.value_si, a.value_ta) for a in product.attributes}
        if before == after:
            return product
        product.updated_at = utcnow()
        db.session.flush()
        audit.record("catalog.attributes_set", actor_id=_actor_id(actor),
                     target_type="product", target_id=product.id, count=len(wanted))
    return product
