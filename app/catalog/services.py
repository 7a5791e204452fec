"""Reading the catalog: listings with filters and sorting, one product, categories, slots.

Shoppers only ever see published products. Listings load what a card shows (variants, the
first image, stock) in a fixed number of queries, whatever the page size.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from dataclasses import dataclass, field

from flask import g
from sqlalchemy import bindparam, exists, func, select
from sqlalchemy.orm import selectinload

from app import db, memo, prepared
from app.catalog import (
    cards,
    category_tree as categories,
    facet_counts,
    on_sale,
    product_view,
)
from app.catalog.cards import Card
from app.catalog.models import (
    LANGS,
    Category,
    FacetCount,
    Product,
    ProductAttribute,
    ProductImage,
    ServiceSlot,
    Variant,
)
from app.db import transaction, utcnow
from app.errors import NotFound
from app.inventory import services as inventory
from app.request_memo import RequestMemo

# A request's variants, read once (variants_for_sale); a write to any of these forgets them.
_variants_on_sale = RequestMemo("variants_for_sale", (Variant, Product, ProductImage))


def variant_labels():
    """Every variant's id, SKU and product name (English) and slug, as a select: how other
    domains (inventory's stock rows) name a variant in their own queries."""
    return (select(Variant.id.label("variant_id"), Variant.sku,
                   Product.name_en.label("product_name"), Product.slug.label("product_slug"))
            .join(Product, Product.id == Variant.product_id))


# Listings' reads are SQLAlchemy Core statements over the tables' columns, not the ORM's
# attributes: an ORM-enabled select costs about twice the CPU to run (measured: 0.5 ms against
# 0.23 ms a query on PostgreSQL) and a listing runs five. What changes a product goes through
# the models.
_product, _variant, _attribute, _facet = (
    m.__table__.c for m in (Product, Variant, ProductAttribute, FacetCount))

SORTS = ("newest", "price_asc", "price_desc", "name")
MAX_PER_PAGE = 100


@dataclass(frozen=True)
class ProductFilter:
    category: str | None = None  # a slug; includes its sub-categories
    kind: str | None = None  # "product" | "service"
    min_price_cents: int | None = None
    max_price_cents: int | None = None
    in_stock: bool = False
    attributes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # From search, in relevance order: published products only (list_products relies on it).
    product_ids: tuple[int, ...] | None = None


@dataclass(frozen=True)
class ProductPage:
    items: list[Card]
    total: int
    page: int
    per_page: int
    stock: dict[int, int]  # product id -> units available over its variants

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def get_category(slug: str) -> categories.Node:
    """The active category `slug`, from the kept tree (no query once read). Raises
    NotFound."""
    return categories.active(slug)


def category_tree() -> list[categories.Node]:
    """Top-level active categories with their children, in display order."""
    return categories.tree().top


def descendants(category_ids: set[int]) -> dict[int, set[int]]:
    """Each of `category_ids` with every category below it (active or not: a promotion on
    "Groceries" covers a sub-category hidden for a while), from the kept tree."""
    return {top: set(categories.below(top)) for top in category_ids}


def category_of(product) -> categories.Node | None:
    """A product's category (active or not) from the kept tree: no query."""
    return categories.node(product.category_id)


def breadcrumbs(category) -> list:
    """The path from the top category down to `category` (a categories.Node or a
    Category). Stops at a parent loop (bad data) rather than walking it forever."""
    return categories.trail(category)


def _conditions(filters: ProductFilter) -> list:
    """The WHERE of a listing: published products that every filter keeps."""
    where = [_product.status == "published"]
    if filters.category:
        where.append(_product.category_id.in_(categories.subtree_ids(filters.category)))
    if filters.kind in ("product", "service"):
        where.append(_product.kind == filters.kind)
    if filters.min_price_cents is not None:
        where.append(_product.min_price_cents >= filters.min_price_cents)
    if filters.max_price_cents is not None:
        where.append(_product.min_price_cents <= filters.max_price_cents)
    for name, values in filters.attributes.items():
        if values:
            where.append(exists().where(
                _attribute.product_id == _product.id, _attribute.name == name,
                _attribute.value.in_(values)))
    if filters.in_stock:
        # Services have no stock and are always bookable; products need a unit somewhere.
        in_stock = exists().where(_variant.product_id == _product.id, _variant.is_active,
                                  inventory.has_stock(_variant.id))
        where.append((_product.kind == "service") | in_stock)
    if filters.product_ids is not None:
        where.append(db.one_of(_product.id, filters.product_ids))
    return where


def _name_in(locale: str):
    """The name a shopper reading `locale` sees (`Translated.text`), as an SQL expression."""
    if locale in LANGS and locale != "en":
        return func.coalesce(func.nullif(_product[f"name_{locale}"], ""),
                             _product.name_en)
    return _product.name_en


def _ordered(query, sort: str, locale: str = "en"):
    if sort == "price_asc":
        return query.order_by(_product.min_price_cents, _product.id)
    if sort == "price_desc":
        return query.order_by(_product.min_price_cents.desc(), _product.id)
    if sort == "name":
        return query.order_by(_name_in(locale), _product.id)
    # Published products always have published_at; this order matches the partial index.
    return query.order_by(_product.published_at.desc(), _product.id.desc())


def list_products(filters: ProductFilter = ProductFilter(), *, sort: str = "newest",
                  page: int = 1, per_page: int = 24, locale: str = "en") -> ProductPage:
    """A page of published products' cards (app.catalog.cards). With `filters.product_ids`
    and sort "relevance", the ids' order is kept (search ranks them). Sort "name" follows
    the names in `locale` (the English one where a translation is missing). Raises NotFound
    for an unknown category."""
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    page = max(1, page)
    sort = sort if sort in SORTS or sort == "relevance" else "newest"
    window = {"limit": per_page, "offset": (page - 1) * per_page}
    if filters == ProductFilter(category=filters.category) and sort != "relevance":
        # A whole category, or the whole shop: its total kept, its page from a statement
        # built once (the most asked listing of all).
        ids = categories.subtree_ids(filters.category) if filters.category else None
        total = _kept_total(filters.category)
        rows = prepared.rows(
            _whole_listing(None if ids is None else len(ids), sort,
                           locale if sort == "name" else "en"),
            {**db.slot_values("c", ids or ()), **window})
        items = cards.cards_of(rows) if total else []
    elif sort == "relevance" and filters.product_ids is not None:
        ranked = _kept_in_order(filters)
        total = len(ranked)
        items = cards.cards_by_id(ranked[(page - 1) * per_page: page * per_page])
    else:
        where = _conditions(filters)
        total = db.session.scalar(
            select(func.count()).select_from(Product.__table__).where(*where))
        query = _ordered(select(*cards.CARD_COLUMNS).where(*where), sort, locale)
        rows = db.session.execute(query.limit(window["limit"]).offset(window["offset"]))
        items = cards.cards_of(rows) if total else []
    return ProductPage(items, total, page, per_page, cards.stock_of(items))


@functools.cache
def _whole_listing(categories_filed: int | None, sort: str, locale: str):
    """A page of a whole category's cards (`categories_filed` categories, db.slots), or of
    the whole shop's (None), in `sort`, with the page's `limit` and `offset` bound."""
    where = [_product.status == "published"]
    if categories_filed is not None:
        where.append(_product.category_id.in_(db.slots("c", categories_filed)))
    return (_ordered(select(*cards.CARD_COLUMNS).where(*where), sort, locale)
            .limit(bindparam("limit")).offset(bindparam("offset")))


def _kept_in_order(filters: ProductFilter) -> list[int]:
    """`filters.product_ids` that the other filters keep, in search's order. Search returns
    published products only, so with no other filter there is nothing to ask the database
    (the page's own cards are checked again): a broad search's thousand ids cost a query
    of a thousand parameters otherwise, and building its conditions alone cost a narrow
    search a tenth of its CPU."""
    if filters == ProductFilter(product_ids=filters.product_ids):
        return list(filters.product_ids or ())
    # One pass over the matches gives both the total and the page.
    matching = set(db.session.scalars(select(_product.id).where(*_conditions(filters))))
    return [i for i in filters.product_ids or () if i in matching]


def stock_by_product(products: list[Card]) -> dict[int, int]:
    """{product id: units available over its active variants} of cards."""
    return cards.stock_of(products)


def get_published(slug: str) -> product_view.ProductView:
    """A published product with everything its page shows, as plain values
    (app.catalog.product_view). Raises NotFound."""
    return product_view.published(slug)


def get_published_many(ids: list[int]) -> list[Product]:
    """Published products by id, in the order given, with their variants and pictures (the
    phone desk's search, the offers page). Storefront cards use `cards_by_id`."""
    if not ids:
        return []
    by_id = {p.id: p for p in db.session.scalars(
        select(Product).where(Product.id.in_(ids), Product.status == "published")
        .options(selectinload(Product.variants), selectinload(Product.images)))}
    return [by_id[i] for i in ids if i in by_id]


def cards_by_id(ids: list[int]) -> list[Card]:
    """Published products' cards by id, in the order given (recently viewed)."""
    return cards.cards_by_id(ids)


def _featured_rows(limit: int) -> list:
    return list(db.session.execute(
        select(*cards.CARD_COLUMNS).where(_product.status == "published", _product.is_featured)
        .order_by(_product.published_at.desc(), _product.id).limit(limit)))


def _newest_rows(limit: int) -> list:
    return list(db.session.execute(_ordered(
        select(*cards.CARD_COLUMNS).where(_product.status == "published"), "newest")
        .limit(limit)))


def featured(limit: int = 8) -> list[Card]:
    return cards.cards_of(_featured_rows(limit))


def newest(limit: int = 8) -> list[Card]:
    """The newest published products (no count of them all: a shelf, not a listing)."""
    return cards.cards_of(_newest_rows(limit))


def home_shelves(limit: int = 8) -> tuple[list[Card], list[Card]]:
    """The home page's featured and newest cards, their variants and pictures read
    together (a product on both shelves is read once)."""
    featured_rows, newest_rows = _featured_rows(limit), _newest_rows(limit)
    by_id = {card.id: card for card in cards.cards_of(
        {row.id: row for row in (*featured_rows, *newest_rows)}.values())}
    return ([by_id[row.id] for row in featured_rows], [by_id[row.id] for row in newest_rows])


def next_free_slots(product_id: int, limit: int = 6) -> list[ServiceSlot]:
    """A service's next bookable times; read once per request (a service page's ETag and
    the page itself both show them)."""
    found = g.setdefault("catalog_free_slots", {})
    key = (product_id, limit)
    if key not in found:
        found[key] = list(db.session.scalars(
            select(ServiceSlot).where(ServiceSlot.product_id == product_id,
                                      ServiceSlot.starts_at > utcnow(),
                                      ServiceSlot.booked < ServiceSlot.capacity)
            .order_by(ServiceSlot.starts_at).limit(limit)))
    return found[key]


def attribute_facets(filters: ProductFilter) -> dict[str, list[tuple[str, int]]]:
    """For the filter panel: each attribute's values among the listed products, with counts.
    The attributes chosen do not narrow it (a shopper sees the other values to add), so one
    count serves every choice, sort and page of a listing: remembered a few seconds."""
    unchosen = dataclasses.replace(filters, attributes={})
    key = ("attribute_facets", unchosen.category, unchosen.kind, unchosen.min_price_cents,
           unchosen.max_price_cents, unchosen.in_stock, unchosen.product_ids)
    return memo.remember(key, lambda: _count_facets(unchosen))


def _count_facets(filters: ProductFilter) -> dict[str, list[tuple[str, int]]]:
    if filters == ProductFilter(category=filters.category):
        rows = _kept_counts(filters.category)
    elif filters == ProductFilter(product_ids=filters.product_ids):
        # A search's results, not narrowed: counted over its ids (published: list_products
        # relies on it too), from a statement built once.
        rows = prepared.rows(_FACETS_OF_IDS, {"ids": filters.product_ids})
    else:  # narrowed by price, kind, stock or a search: counted over what is listed
        ids = select(_product.id).where(*_conditions(filters)).subquery()
        rows = db.session.execute(
            select(_attribute.name, _attribute.value, func.count())
            .where(_attribute.product_id.in_(select(ids.c.id)))
            .group_by(_attribute.name, _attribute.value)
            .order_by(_attribute.name, _attribute.value)).all()
    facets: dict[str, list[tuple[str, int]]] = {}
    for name, value, count in rows:
        facets.setdefault(name, []).append((value, count))
    return facets


_FACETS_OF_IDS = (
    select(_attribute.name, _attribute.value, func.count())
    .where(_attribute.product_id.in_(bindparam("ids", expanding=True)))
    .group_by(_attribute.name, _attribute.value)
    .order_by(_attribute.name, _attribute.value))


def _kept_total(category: str | None) -> int:
    """How many published products a category (with those below it) or the whole shop
    lists, from the counts kept per category."""
    return kept_counts(category)[0]


def _kept_counts(category: str | None) -> list:
    """A whole category's (name, value, count) rows, or the whole shop's."""
    return kept_counts(category)[1]


def kept_counts(category: str | None) -> tuple[int, list]:
    """A category's (with those below it) or the whole shop's published products, and its
    attributes' (name, value, count) rows, from the counts kept per category (app.catalog.
    facet_counts): a few rows summed in one query, whatever the number of products. Read
    once a request (kept on the session, which forgets them when it counts again): the
    listing's total, its filter panel and its ETag (app.catalog.versions) come from it."""
    found = db.session().info.setdefault(facet_counts.READ_KEY, {})
    if category not in found:
        ids = categories.subtree_ids(category) if category else None
        total, rows = 0, []
        for name, value, count in prepared.rows(
                _kept_counts_statement(None if ids is None else len(ids)),
                db.slot_values("c", ids or ())):
            if name == facet_counts.ALL_PRODUCTS:
                total += int(count)
            else:
                rows.append((name, value, int(count)))
        found[category] = (total, rows)
    return found[category]


@functools.cache
def _kept_counts_statement(categories_filed: int | None):
    """The kept counts summed over `categories_filed` categories (db.slots), or over the
    whole shop (None)."""
    query = select(_facet.name, _facet.value, func.sum(_facet.products))
    if categories_filed is not None:
        query = query.where(_facet.category_id.in_(db.slots("c", categories_filed)))
    return (query.group_by(_facet.name, _facet.value)
            .having(func.sum(_facet.products) > 0)
            .order_by(_facet.name, _facet.value))


def attribute_value_labels(locale: str) -> dict[tuple[str, str], str]:
    """{(name, English value): its Sinhala or Tamil} for the filter panel: the values staff
    translated (any product's translation serves), remembered a few seconds."""
    if locale not in ("si", "ta"):
        return {}
    return memo.remember(("attribute_value_labels", locale),
                         lambda: _value_labels(locale))


def _value_labels(locale: str) -> dict[tuple[str, str], str]:
    column = ProductAttribute.value_si if locale == "si" else ProductAttribute.value_ta
    rows = db.session.execute(
        select(ProductAttribute.name, ProductAttribute.value, func.min(column))
        .where(column.is_not(None))
        .group_by(ProductAttribute.name, ProductAttribute.value)).all()
    return {(name, value): text for name, value, text in rows}


def refresh_min_price(product: Product) -> None:
    """Keep the listing price (lowest active variant) in step with the variants."""
    prices = [v.price_cents for v in product.variants if v.is_active]
    product.min_price_cents = min(prices) if prices else 0


def publish(product: Product) -> None:
    with transaction():
        product.status = "published"
        product.published_at = product.published_at or utcnow()




def variants_for_sale(variant_ids: list[int]) -> dict[int, on_sale.VariantOnSale]:
    """Active variants of published products, with their product and its pictures, by id,
    as plain values (app/catalog/on_sale.py). Ids not on sale are absent. One statement
    for a whole cart, and within a request each variant is read once
    (app/request_memo.py): adding to the cart, pricing it and checking its stock all ask."""
    ids = [i for i in set(variant_ids) if 0 < i < 2**31]
    if not ids:
        return {}
    return _variants_on_sale.many(ids, on_sale.read)


def slots_by_id(slot_ids: list[int]) -> dict[int, ServiceSlot]:
    ids = [i for i in set(slot_ids) if i and 0 < i < 2**31]
    if not ids:
        return {}
    return {slot.id: slot for slot in db.session.scalars(
        select(ServiceSlot).where(ServiceSlot.id.in_(ids)))}


# ---- ids for other domains' forms (promotions) --------------------------------------------------

_BY_KIND = {"product": Product, "variant": Variant, "category": Category}


def existing_ids(kind: str, ids: list[int]) -> set[int]:
    """Those of `ids` that are a product, a variant or a category (`kind`), drafts and
    archived ones included."""
    model = _BY_KIND[kind]
    if not ids:
        return set()
    return set(db.session.scalars(select(model.id).where(model.id.in_(ids))))


def product_id_by_slug(slug: str) -> int | None:
    return db.session.scalar(select(Product.id).where(Product.slug == slug))


def published_id(slug: str) -> int | None:
    """The id of the published product with this slug (None: none is published)."""
    return db.session.scalar(select(Product.id).where(Product.slug == slug,
                                                      Product.status == "published"))


def product_ids_of_variants(variant_ids: list[int]) -> set[int]:
    """The products the given variants belong to."""
    return set(db.session.scalars(select(Variant.product_id).where(Variant.id.in_(variant_ids))
                                  .distinct()))


def product_categories(ids: list[int] | None = None) -> dict[int, int]:
    """{product id: its category id} of the published products filed in a category: all of
    them (the recommender's popular-by-category lists), or those of `ids`."""
    query = select(Product.id, Product.category_id).where(Product.status == "published",
                                                           Product.category_id.is_not(None))
    if ids is not None:
        query = query.where(Product.id.in_(ids))
    return dict(db.session.execute(query).all())


def skus_by_id(variant_ids: list[int]) -> dict[int, str]:
    if not variant_ids:
        return {}
    return dict(db.session.execute(select(Variant.id, Variant.sku).where(
        Variant.id.in_(variant_ids))).all())


def slugs_by_id(product_ids: list[int]) -> dict[int, str]:
    if not product_ids:
        return {}
    return dict(db.session.execute(select(Product.id, Product.slug).where(
        Product.id.in_(product_ids))).all())


def category_rows_in_order() -> list:
    """Every category as a row of id, parent_id, name_en, by position then name."""
    return list(db.session.execute(select(Category.id, Category.parent_id, Category.name_en)
                                   .order_by(Category.position, Category.name_en)))


def skus_of(variant_ids: list[int]) -> dict[int, str]:
    """Variant id -> SKU (staff forms that name variants by SKU)."""
    if not variant_ids:
        return {}
    return dict(db.session.execute(select(Variant.id, Variant.sku)
                                   .where(Variant.id.in_(variant_ids))).all())


def slugs_of(product_ids: list[int]) -> dict[int, str]:
    """Product id -> slug (staff forms that name products by their link)."""
    if not product_ids:
        return {}
    return dict(db.session.execute(select(Product.id, Product.slug)
                                   .where(Product.id.in_(product_ids))).all())


def variant_by_sku(sku: str) -> Variant | None:
    """The variant with this SKU, drafts and archived products included (staff look up
    stock by SKU): an exact match first, else a match ignoring case when only one exists."""
    sku = (sku or "").strip()
    if not sku or len(sku) > 64:
        return None
    found = db.session.scalar(select(Variant).where(Variant.sku == sku)
                              .options(selectinload(Variant.product)))
    if found is None:
        matches = list(db.session.scalars(
            select(Variant).where(func.upper(Variant.sku) == sku.upper()).limit(2)
            .options(selectinload(Variant.product))))
        found = matches[0] if len(matches) == 1 else None
    return found


def variant_with_product(variant_id: int) -> Variant:
    """Any variant by id with its product loaded. Raises NotFound."""
    variant = None
    if 0 < variant_id < 2**31:
        variant = db.session.scalar(select(Variant).where(Variant.id == variant_id)
                                    .options(selectinload(Variant.product)))
    if variant is None:
        raise NotFound()
    return variant


def categories_by_id(ids) -> dict[int, Category]:
    """Active categories by id (a promotion's links to what it covers). One query."""
    wanted = [i for i in set(ids) if isinstance(i, int) and 0 < i < 2**31]
    if not wanted:
        return {}
    return {category.id: category for category in db.session.scalars(
        select(Category).where(Category.id.in_(wanted), Category.is_active))}


# ---- what a domain above tells the catalog's pages --------------------------------------------

_delivery_promise = None


def promise_delivery_with(facts) -> None:
    """Checkout (which prices from the catalog, so the catalog cannot ask it) hands over how
    to read the delivery promise a product page states, when the app is built."""
    global _delivery_promise
    _delivery_promise = facts


def delivery_promise():
    """The delivery promise's facts (checkout.delivery.Promise), or None: nothing is
    delivered, or no checkout told the catalog how to know."""
    return _delivery_promise() if _delivery_promise is not None else None
