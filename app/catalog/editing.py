"""Writing the catalog: categories, products with variants, images. Staff pages, CSV
imports and the demo loader all come through here; each call checks the actor's role."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field

from sqlalchemy import select

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


def _require(actor: User | None) -> None:
    """`actor` None is the system itself (demo loader, command line)."""
    if actor is not None and not can(actor.role, Permission.MANAGE_CATALOG):
        raise Forbidden()


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:100] or "item"


@dataclass(frozen=True)
class VariantInput:
    sku: str
    price_cents: int
    options: dict[str, str] = field(default_factory=dict)
    compare_at_cents: int | None = None
    weight_grams: int | None = None
    barcode: str | None = None


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


def create_category(slug: str, name_en: str, *, name_si: str | None = None,
                    name_ta: str | None = None, parent_slug: str | None = None,
                    position: int = 0, actor: User | None = None) -> Category:
    _require(actor)
    with transaction():
        if db.session.scalar(select(Category.id).where(Category.slug == slug)):
            raise Conflict(field="slug")
        parent = None
        if parent_slug:
            parent = db.session.scalar(select(Category).where(Category.slug == parent_slug))
            if parent is None:
                raise NotFound(field="parent")
        category = Category(slug=slug, name_en=name_en, name_si=name_si, name_ta=name_ta,
                            parent=parent, position=position)
        db.session.add(category)
        db.session.flush()
        audit.record("catalog.category_create", actor_id=actor.id if actor else None,
                     target_type="category", target_id=category.id)
    return category


def _check(data: ProductInput) -> None:
    if data.kind not in ("product", "service"):
        raise Invalid(field="kind")
    if data.status not in ("draft", "published", "archived"):
        raise Invalid(field="status")
    if not data.variants:
        raise Invalid(field="variants")
    if any(v.price_cents < 0 or (v.compare_at_cents or 0) < 0 for v in data.variants):
        raise Invalid(field="price")
    if data.kind == "service" and not (data.duration_minutes or 0) > 0:
        raise Invalid(field="duration_minutes")
    skus = [v.sku for v in data.variants]
    if len(set(skus)) != len(skus):
        raise Conflict(field="sku")


def create_product(data: ProductInput, *, actor: User | None = None) -> Product:
    """Raises Invalid, Conflict (slug or SKU taken), NotFound (category), Forbidden."""
    _require(actor)
    _check(data)
    with transaction():
        slug = data.slug or slugify(data.name_en)
        if db.session.scalar(select(Product.id).where(Product.slug == slug)):
            raise Conflict(field="slug")
        if db.session.scalar(select(Variant.id).where(
                Variant.sku.in_([v.sku for v in data.variants]))):
            raise Conflict(field="sku")
        category = None
        if data.category_slug:
            category = db.session.scalar(
                select(Category).where(Category.slug == data.category_slug))
            if category is None:
                raise NotFound(field="category")
        product = Product(
            slug=slug, kind=data.kind, status=data.status, category=category,
            name_en=data.name_en, name_si=data.name_si, name_ta=data.name_ta,
            description_en=data.description_en, description_si=data.description_si,
            description_ta=data.description_ta, brand=data.brand,
            is_featured=data.is_featured, duration_minutes=data.duration_minutes,
            published_at=utcnow() if data.status == "published" else None,
            variants=[Variant(position=i, **vars(v)) for i, v in enumerate(data.variants)],
            attributes=[ProductAttribute(name=k, value=v) for k, v in data.attributes.items()])
        db.session.add(product)
        db.session.flush()  # column defaults (is_active) are set by the flush
        refresh_min_price(product)
        audit.record("catalog.product_create", actor_id=actor.id if actor else None,
                     target_type="product", target_id=product.id)
    return product


def add_image(product_id: int, data: bytes, *, alt: str | None = None,
              actor: User | None = None) -> ProductImage:
    """Check, re-encode and store a picture. Raises NotAnImage, ImageTooLarge, NotFound."""
    _require(actor)
    processed = images.process(data)
    with transaction():
        product = db.session.get(Product, product_id)
        if product is None:
            raise NotFound()
        key, thumb = images.new_keys(product_id)
        store = storage()
        store.save(key, processed.full, "image/webp")
        store.save(thumb, processed.thumb, "image/webp")
        image = ProductImage(product_id=product_id, key=key, width=processed.width,
                             height=processed.height, position=len(product.images),
                             alt_en=alt)
        db.session.add(image)
        db.session.flush()
        audit.record("catalog.image_add", actor_id=actor.id if actor else None,
                     target_type="product", target_id=product_id)
    return image


def add_slot(product_id: int, starts_at, *, capacity: int = 1,
             actor: User | None = None) -> ServiceSlot:
    """A bookable time for a service; it lasts the service's duration."""
    _require(actor)
    with transaction():
        product = db.session.get(Product, product_id)
        if product is None or not product.is_service:
            raise NotFound()
        if capacity < 1:
            raise Invalid(field="capacity")
        slot = ServiceSlot(product_id=product_id, starts_at=starts_at, capacity=capacity,
                           ends_at=starts_at + dt.timedelta(minutes=product.duration_minutes))
        db.session.add(slot)
        db.session.flush()
    return slot
