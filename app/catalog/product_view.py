"""A product page's data as plain rows: the product, its active variants with the units each
has to sell, its pictures and its attributes, in four small queries and no ORM graph. The
first two are what the page's ETag is made of, so they are read once a request (`core`),
whether the visitor then gets a 304 or the page.

Read-only and frozen, duck-typed like the models where the product page, its htmx fragment,
the promotion badges and the API read them (`text()`, `variants`, `images`, `attributes`,
`is_service`, a variant's `label()` and `options_in()`, an attribute's `value_in()`). What
changes a product goes through the models (app.catalog.editing), never through these.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from flask import g
from sqlalchemy import select

from app import db
from app.catalog.cards import Picture
from app.catalog.models import (
    InLanguages,
    OptionLabels,
    Product,
    ProductAttribute,
    ProductImage,
    ProductKind,
    ValueInLanguages,
    Variant,
)
from app.errors import NotFound
from app.inventory import services as inventory


@dataclass(frozen=True, slots=True)
class PageVariant(OptionLabels):
    id: int
    sku: str
    options: dict
    options_si: dict | None
    options_ta: dict | None
    price_cents: int
    compare_at_cents: int | None
    position: int
    units: int  # available to sell over every warehouse
    is_active: bool = True  # the page lists active variants only


@dataclass(frozen=True, slots=True)
class PageAttribute(ValueInLanguages):
    name: str
    value: str
    value_si: str | None
    value_ta: str | None


_PRODUCT_COLUMNS = (
    Product.id, Product.slug, Product.kind, Product.category_id, Product.name_en,
    Product.name_si, Product.name_ta, Product.description_en, Product.description_si,
    Product.description_ta, Product.brand, Product.duration_minutes, Product.service_location,
    Product.service_districts, Product.min_price_cents, Product.published_at,
    Product.updated_at)


@dataclass(frozen=True, slots=True)
class ProductView(ProductKind, InLanguages):
    id: int
    slug: str
    kind: str
    category_id: int | None
    name_en: str
    name_si: str | None
    name_ta: str | None
    description_en: str
    description_si: str | None
    description_ta: str | None
    brand: str | None
    duration_minutes: int | None
    service_location: str | None
    service_districts: list | None
    min_price_cents: int
    published_at: dt.datetime | None
    updated_at: dt.datetime
    variants: tuple[PageVariant, ...] = ()  # active ones, by position
    images: tuple[Picture, ...] = ()  # by position
    attributes: tuple[PageAttribute, ...] = ()

    @property
    def units(self) -> dict[int, int]:
        """{variant id: units available} (empty for a service: it is booked, not stocked)."""
        return {} if self.is_service else {v.id: v.units for v in self.variants}


def core(slug: str) -> ProductView | None:
    """The published product `slug` with its active variants and their units, without its
    pictures and attributes: what its page's ETag is made of (app/catalog/versions.py),
    read once a request and completed by `published` for the page itself. None: there is
    no such product."""
    found = g.setdefault("catalog_product_core", {})
    if slug not in found:
        found[slug] = _read_core(slug)
    return found[slug]


def _read_core(slug: str) -> ProductView | None:
    if "\x00" in slug:  # PostgreSQL refuses NUL in a parameter; no slug has one
        return None
    row = db.session.execute(select(*_PRODUCT_COLUMNS).where(
        Product.slug == slug, Product.status == "published")).first()
    if row is None:
        return None
    variants = tuple(PageVariant(*r[:8], int(r[8] or 0)) for r in db.session.execute(
        select(Variant.id, Variant.sku, Variant.options, Variant.options_si, Variant.options_ta,
               Variant.price_cents, Variant.compare_at_cents, Variant.position,
               inventory.units_available(Variant.id))
        .where(Variant.product_id == row.id, Variant.is_active)
        .order_by(Variant.position, Variant.id)))
    return ProductView(*row, variants=variants)


def published(slug: str) -> ProductView:
    """The published product `slug` as its page shows it. Raises NotFound."""
    product = core(slug)
    if product is None:
        raise NotFound()
    images = tuple(Picture(*r) for r in db.session.execute(
        select(ProductImage.id, ProductImage.key, ProductImage.width, ProductImage.height,
               ProductImage.alt_en, ProductImage.variant_id)
        .where(ProductImage.product_id == product.id)
        .order_by(ProductImage.position, ProductImage.id)))
    attributes = tuple(PageAttribute(*r) for r in db.session.execute(
        select(ProductAttribute.name, ProductAttribute.value, ProductAttribute.value_si,
               ProductAttribute.value_ta)
        .where(ProductAttribute.product_id == product.id)
        .order_by(ProductAttribute.name, ProductAttribute.value)))
    return replace(product, images=images, attributes=attributes)
