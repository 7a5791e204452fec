"""Variants on sale as plain rows: what adding to a cart, pricing it and checking its stock
read about each variant, in two statements built once and no ORM graph.

Every checkout request reads its cart's variants (app.catalog.services.variants_for_sale,
kept for the request). Loaded as ORM objects with their product and its pictures they cost
about a tenth of a checkout's CPU: identity map, instance state and a relationship loader
for each. Frozen values read the same way the models do where checkout reads them (a
variant's `options_text()` and `product`; a product's `text()`, `is_service`, `images`),
and nothing writes through them: what changes a product goes through the models.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, select

from app import prepared
from app.catalog.cards import Picture, ProductHead, VariantHead
from app.catalog.models import (
    Product,
    ProductImage,
    Variant,
)


@dataclass(frozen=True, slots=True)
class ProductOnSale(ProductHead):
    duration_minutes: int | None
    service_location: str | None
    service_districts: list | None
    images: tuple[Picture, ...] = ()  # by position


@dataclass(frozen=True, slots=True)
class VariantOnSale(VariantHead):
    product_id: int
    product: ProductOnSale
    is_active: bool = True  # only active variants are on sale


_product, _variant, _image = (m.__table__.c for m in (Product, Variant, ProductImage))

# A row is the product's fields (ProductOnSale's, before its pictures), then the variant's.
_VARIANTS = (
    select(_product.id, _product.slug, _product.kind, _product.category_id, _product.name_en,
           _product.name_si, _product.name_ta, _product.duration_minutes,
           _product.service_location, _product.service_districts,
           _variant.id, _variant.sku, _variant.options, _variant.options_si,
           _variant.options_ta, _variant.price_cents, _variant.compare_at_cents)
    .select_from(Variant.__table__.join(Product.__table__, _product.id == _variant.product_id))
    .where(_variant.id.in_(bindparam("ids", expanding=True)), _variant.is_active,
           _product.status == "published"))
_VARIANT_AT = 10  # where a row's variant columns begin

_PICTURES = (
    select(_image.product_id, _image.id, _image.key, _image.width, _image.height,
           _image.alt_en, _image.variant_id)
    .where(_image.product_id.in_(bindparam("ids", expanding=True)))
    .order_by(_image.product_id, _image.position, _image.id))


def read(ids: list[int]) -> dict[int, VariantOnSale]:
    """{id: variant} for those of `ids` that are active variants of published products."""
    rows = prepared.rows(_VARIANTS, {"ids": ids})
    if not rows:
        return {}
    pictures: dict[int, list[Picture]] = {}
    for product_id, *picture in prepared.rows(_PICTURES, {"ids": sorted({r[0] for r in rows})}):
        pictures.setdefault(product_id, []).append(Picture(*picture))
    products: dict[int, ProductOnSale] = {}
    found = {}
    for row in rows:
        product = products.get(row[0])
        if product is None:
            product = products[row[0]] = ProductOnSale(
                *row[:_VARIANT_AT], images=tuple(pictures.get(row[0], ())))
        variant = VariantOnSale(*row[_VARIANT_AT:], product_id=product.id, product=product)
        found[variant.id] = variant
    return found
