"""Routes of the catalogue: /categories, /products and /products/{slug}. Public: no token.

Only published products are shown; a draft or archived product answers 404, as an unknown
slug does. Names and descriptions follow Accept-Language (en, si, ta), with English where a
translation is missing. A listing runs a fixed number of queries whatever its page size (the
catalog service loads variants, pictures, categories and stock per page, not per product).
"""

from __future__ import annotations

import functools
from urllib.parse import urljoin

from flask import current_app, request

from app import page_cache
from app.api.blueprint import bp
from app.api.catalog_schemas import (
    AttributeOut,
    CategoryNode,
    CategoryRef,
    CategoryTreeOut,
    ImageOut,
    Money,
    ProductCard,
    ProductOut,
    ProductPage,
    ProductPath,
    ProductQuery,
    SlotOut,
    VariantOut,
    availability,
)
from app.api.languages import api_locale
from app.api.openapi import error_responses
from app.catalog import images as product_images, search, services as catalog
from app.db import reads_only
from app.storage import public_url

# The catalogue holds nothing personal, so the phone and shared caches (a CDN) may keep an
# answer a minute, per language. Stock may lag that long; checkout checks it again.
CACHING = {"Cache-Control": "public, max-age=60"}


def _kept(view):
    """The answer from the page cache (app/page_cache.py) for PAGE_CACHE_SECONDS: it is the
    same for every caller in a language. Goes between the route and APIFlask's input and
    output decorators, so a kept answer skips validating and serialising too; a bad query
    (422) or a 404 is never kept."""

    @functools.wraps(view)  # keeps APIFlask's `_spec` for the OpenAPI document
    def answer(*args, **kwargs):
        return page_cache.serve(
            lambda: (current_app.make_response(view(*args, **kwargs)), None),
            vary=api_locale())

    return answer


# A search lists at most this many of its best matches (pages of a phone app go no deeper).
SEARCH_RESULTS = 1000


class _Pictures:
    """Absolute URLs of stored pictures, for one request.

    A listing has two URLs a product, and building each through the store (`url_for`, an
    S3 client) and `urljoin` took a tenth of the request: app.storage.public_url asks the
    store once a request, and a path on this site is put after the root directly."""

    def __init__(self):
        # PUBLIC_URL when set: answers may be cached and shared (CACHING), and a forged Host
        # header must not put its own address into one.
        self.root = (current_app.config.get("PUBLIC_URL") or request.host_url).rstrip("/") + "/"

    def url(self, key: str) -> str:
        address = public_url(key)
        if address.startswith("/") and not address.startswith("//"):
            return self.root + address[1:]
        return urljoin(self.root, address)

    def of(self, image) -> ImageOut:
        return ImageOut(url=self.url(image.key),
                        thumbnail_url=self.url(product_images.thumb_key(image.key)),
                        width=image.width, height=image.height, alt=image.alt_en,
                        variant_id=image.variant_id)


def _category(category, locale: str) -> CategoryRef | None:
    if category is None:
        return None
    return CategoryRef(id=category.id, slug=category.slug, name=category.text("name", locale))


def _node(category, locale: str) -> CategoryNode:
    return CategoryNode(id=category.id, slug=category.slug, name=category.text("name", locale),
                        children=[_node(child, locale) for child in category.children
                                  if child.is_active])


def _active_variants(product) -> list:
    return [variant for variant in product.variants if variant.is_active]


def _sale_price(variants) -> int | None:
    """The cheapest variant's price before its sale, when it is on sale."""
    if not variants:
        return None
    cheapest = min(variants, key=lambda variant: (variant.price_cents, variant.position))
    was = cheapest.compare_at_cents
    return was if was is not None and was > cheapest.price_cents else None


def card_out(product, units: int, locale: str, pictures: _Pictures | None = None, *,
             cls: type[ProductCard] = ProductCard, **extra) -> ProductCard:
    """A product card as lists answer it; `cls` a ProductCard with more fields, `extra`
    their values."""
    pictures = pictures or _Pictures()
    return cls(
        id=product.id, slug=product.slug, kind=product.kind,
        name=product.text("name", locale),
        price=Money.of(product.min_price_cents),
        compare_at_price=Money.of(_sale_price(_active_variants(product))),
        availability=_availability(product, units),
        duration_minutes=product.duration_minutes if product.is_service else None,
        category=_category(product.category, locale),
        image=pictures.of(product.images[0]) if product.images else None, **extra)


def _availability(product, units: int) -> str:
    # Services have no stock: they are booked, and the slots say when.
    return "in_stock" if product.is_service else availability(units)


@bp.get("/categories")
@_kept
@bp.output(CategoryTreeOut)
@bp.doc(tags=["Catalogue"])
def list_categories():
    """The category tree

    Active categories only, in display order, each with its active sub-categories. Names
    follow Accept-Language, in English where a translation is missing.
    """
    locale = api_locale()
    tree = CategoryTreeOut(items=[_node(category, locale)
                                  for category in catalog.category_tree()])
    return tree, 200, CACHING


@bp.get("/products")
@reads_only
@_kept
@bp.input(ProductQuery, location="query", arg_name="query")
@bp.output(ProductPage)
@bp.doc(tags=["Catalogue"], responses=error_responses(404, 422, when={
    404: "No active category has the slug given in `category`.",
    422: "A parameter is wrong (a page out of range, a negative price, an unknown `kind` "
         "or `sort`, a `q` over 200 characters): see `errors`.",
}))
def list_products(query: ProductQuery):
    """Published products and services

    Filters combine. Prices (`min_price`, `max_price`) are integer cents of LKR, as in the
    answers' `amount_cents`, compared with a product's lowest variant price. `category`
    includes its sub-categories; an unknown one is a 404. With `q`, the default order is
    relevance. Names follow Accept-Language, in English where a translation is missing.
    """
    locale = api_locale()
    searching = bool(query.q)
    filters = catalog.ProductFilter(
        category=query.category, kind=query.kind, min_price_cents=query.min_price,
        max_price_cents=query.max_price, in_stock=query.in_stock,
        product_ids=(tuple(search.search_ids(query.q, limit=SEARCH_RESULTS)) if searching
                     else None))
    sort = query.sort or ("relevance" if searching else "newest")
    found = catalog.list_products(filters, sort=sort, page=query.page,
                                  per_page=query.per_page)
    pictures = _Pictures()
    items = [card_out(product, found.stock.get(product.id, 0), locale, pictures)
             for product in found.items]
    page = ProductPage(items=items, page=query.page, per_page=query.per_page,
                       total=found.total)
    return page, 200, CACHING


@bp.get("/products/<slug>")
@reads_only
@_kept
@bp.input(ProductPath, location="path", arg_name="path")
@bp.output(ProductOut)
@bp.doc(tags=["Catalogue"], responses=error_responses(404, 422, when={
    404: "No published product has this slug (drafts and archived ones included).",
    422: "The slug is longer than 120 characters or holds control characters.",
}))
def get_product(slug: str, path: ProductPath):
    """One product or service

    Its buyable variants with prices and availability (`in_stock`, `low` at 5 units or
    fewer, `sold_out`), pictures with absolute URLs, and for a service its duration and next
    free booking slots. A draft answers 404, as an unknown slug does.
    """
    locale = api_locale()
    product = catalog.get_published(path.slug)
    variants = _active_variants(product)
    units = product.units
    slots = catalog.next_free_slots(product.id) if product.is_service else []
    pictures = _Pictures()
    answer = ProductOut(
        id=product.id, slug=product.slug, kind=product.kind,
        name=product.text("name", locale), description=product.text("description", locale),
        brand=product.brand, category=_category(catalog.category_of(product), locale),
        price=Money.of(product.min_price_cents),
        compare_at_price=Money.of(_sale_price(variants)),
        availability=_availability(product, sum(units.values())),
        variants=[VariantOut(
            id=variant.id, sku=variant.sku, name=variant.label(locale),
            options={str(name): str(value)
                     for name, value in variant.options_in(locale).items()},
            price=Money.of(variant.price_cents),
            compare_at_price=Money.of(variant.compare_at_cents
                                      if (variant.compare_at_cents or 0) > variant.price_cents
                                      else None),
            availability=_availability(product, units.get(variant.id, 0)))
            for variant in variants],
        images=[pictures.of(image) for image in product.images],
        attributes=[AttributeOut(name=attribute.name, value=attribute.value,
                                 label=attribute.value_in(locale))
                    for attribute in sorted(product.attributes,
                                            key=lambda a: (a.name, a.value))],
        duration_minutes=product.duration_minutes if product.is_service else None,
        service_location=(product.service_location or "shop") if product.is_service else None,
        service_districts=list(product.service_districts or ())
        if product.at_customer_address else [],
        next_slots=[SlotOut(id=slot.id, starts_at=slot.starts_at, ends_at=slot.ends_at,
                            free=slot.free) for slot in slots],
        published_at=product.published_at)
    return answer, 200, CACHING
