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
from sqlalchemy import Integer, String, and_, bindparam, literal, select, text, union_all

from app import db, prepared
from app.catalog.cards import Picture, ProductHead, VariantHead
from app.catalog.models import (
    Product,
    ProductAttribute,
    ProductImage,
    ValueInLanguages,
    Variant,
)
from app.errors import NotFound
from app.inventory import services as inventory


@dataclass(frozen=True, slots=True)
class PageVariant(VariantHead):
    position: int
    units: int  # available to sell over every warehouse
    is_active: bool = True  # the page lists active variants only


@dataclass(frozen=True, slots=True)
class PageAttribute(ValueInLanguages):
    name: str
    value: str
    value_si: str | None
    value_ta: str | None


@dataclass(frozen=True, slots=True)
class ProductView(ProductHead):
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


_product, _variant, _image, _attribute = (
    m.__table__.c for m in (Product, Variant, ProductImage, ProductAttribute))

# The statements are built once, as SQLAlchemy Core (not ORM) statements: building a select
# every request cost more CPU than running it (about 0.3 ms each on PostgreSQL, measured), and
# the ORM's column entities added as much again. Only the bound slug or id changes.
#
# The product with its active variants and their units, one row a variant (one row with the
# variant's columns NULL when it has none): ProductView's fields, then PageVariant's.
_CORE = (
    select(_product.id, _product.slug, _product.kind, _product.category_id, _product.name_en,
           _product.name_si, _product.name_ta, _product.description_en,
           _product.description_si, _product.description_ta, _product.brand,
           _product.duration_minutes, _product.service_location, _product.service_districts,
           _product.min_price_cents, _product.published_at, _product.updated_at,
           _variant.id, _variant.sku, _variant.options, _variant.options_si,
           _variant.options_ta, _variant.price_cents, _variant.compare_at_cents,
           _variant.position, inventory.units_available(_variant.id))
    .select_from(Product.__table__.outerjoin(
        Variant.__table__, and_(_variant.product_id == _product.id, _variant.is_active)))
    .where(_product.slug == bindparam("slug"), _product.status == "published")
    .order_by(_variant.position, _variant.id))
_VARIANT_AT = 17  # where a row's variant columns begin
# Its pictures and its attributes in one statement (one round trip, not two), each kind in
# its own order: a row is (part, picture's columns, attribute's columns), the other kind's
# columns NULL; pictures (part 0) by position, attributes (part 1) by name and value.
_PICTURE_PART, _ATTRIBUTE_PART = 0, 1


_PICTURES_AND_ATTRIBUTES = union_all(
    select(literal(_PICTURE_PART).label("part"), _image.position.label("position"),
           _image.id.label("id"), _image.key, _image.width, _image.height, _image.alt_en,
           _image.variant_id, db.null_of(String).label("name"), db.null_of(String).label("value"),
           db.null_of(String).label("value_si"), db.null_of(String).label("value_ta"))
    .where(_image.product_id == bindparam("product")),
    select(literal(_ATTRIBUTE_PART), db.null_of(Integer), db.null_of(Integer), db.null_of(String),
           db.null_of(Integer), db.null_of(Integer), db.null_of(String), db.null_of(Integer),
           _attribute.name, _attribute.value, _attribute.value_si, _attribute.value_ta)
    .where(_attribute.product_id == bindparam("product")),
).order_by(text("part"), text("position"), text("id"), text("name"), text("value"))


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
    rows = prepared.rows(_CORE, {"slug": slug})
    if not rows:
        return None
    variants = tuple(PageVariant(*row[_VARIANT_AT:-1], int(row[-1] or 0))
                     for row in rows if row[_VARIANT_AT] is not None)
    return ProductView(*rows[0][:_VARIANT_AT], variants=variants)


def published(slug: str) -> ProductView:
    """The published product `slug` as its page shows it. Raises NotFound."""
    product = core(slug)
    if product is None:
        raise NotFound()
    rows = prepared.rows(_PICTURES_AND_ATTRIBUTES, {"product": product.id})
    images = tuple(Picture(*row[2:8]) for row in rows if row[0] == _PICTURE_PART)
    attributes = tuple(PageAttribute(*row[8:]) for row in rows if row[0] == _ATTRIBUTE_PART)
    return replace(product, images=images, attributes=attributes)
