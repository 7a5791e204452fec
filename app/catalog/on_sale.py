"""Variants on sale as plain rows: what adding to a cart, pricing it and checking its stock
read about each variant, in one statement built once and no ORM graph.

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

# A row is the product's fields (ProductOnSale's, before its pictures), then the variant's,
# then one of the product's pictures (none: NULLs): one statement where pictures were a
# second one. A cart holds a few variants of products with a few pictures, so the repeated
# columns cost less than the round trip did.
_VARIANTS = (
    select(_product.id, _product.slug, _product.kind, _product.category_id, _product.name_en,
           _product.name_si, _product.name_ta, _product.duration_minutes,
           _product.service_location, _product.service_districts,
           _variant.id, _variant.sku, _variant.options, _variant.options_si,
           _variant.options_ta, _variant.price_cents, _variant.compare_at_cents,
           _image.id, _image.key, _image.width, _image.height, _image.alt_en,
           _image.variant_id)
    .select_from(Variant.__table__.join(Product.__table__, _product.id == _variant.product_id)
                 .outerjoin(ProductImage.__table__, _image.product_id == _product.id))
    .where(_variant.id.in_(bindparam("ids", expanding=True)), _variant.is_active,
           _product.status == "published")
    .order_by(_variant.id, _image.position, _image.id))
_VARIANT_AT = 10  # where a row's variant columns begin
_PICTURE_AT = 17  # and its picture's


def read(ids: list[int]) -> dict[int, VariantOnSale]:
    """{id: variant} for those of `ids` that are active variants of published products."""
    rows_of: dict[int, list] = {}  # variant id: its rows, one a picture of its product
    for row in prepared.rows(_VARIANTS, {"ids": ids}):
        rows_of.setdefault(row[_VARIANT_AT], []).append(row)
    products: dict[int, ProductOnSale] = {}
    found = {}
    for variant_id, rows in rows_of.items():
        row = rows[0]
        product = products.get(row[0])
        if product is None:
            pictures = tuple(Picture(*r[_PICTURE_AT:]) for r in rows
                             if r[_PICTURE_AT] is not None)
            product = products[row[0]] = ProductOnSale(*row[:_VARIANT_AT], images=pictures)
        found[variant_id] = VariantOnSale(*row[_VARIANT_AT:_PICTURE_AT],
                                          product_id=product.id, product=product)
    return found
