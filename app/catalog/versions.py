"""What a product page or a listing shows that can change, read without rendering it: the
page's own part of its ETag (app/revalidation.py), so a phone revisiting a page that has
not changed gets a 304.

A product page, in the page's own first two queries (three for a service): the product's
change time (every write of its fields, variants, prices, pictures and attributes sets
`updated_at`), the units available of each active variant (the page shows them: "Only 3
left", "Sold out", the quantity box's maximum), the categories' clock (its breadcrumbs) and,
for a service, its next free times.

A listing (all products, or a category with its sub-categories), in one query read from
indexes: the newest change among the products filed under it, whatever their status (one
published, archived, edited or moved in changes it), and for a category their count (one
moved out changes it); the categories' clock (the sub-categories shown, the breadcrumbs);
and the stock clock, when any stock level last changed with few units left
(inventory.few_left_clock): the only stock changes a card shows ("Only 3 left", "Sold out",
whether "In stock only" keeps it). That clock is the shop's, not the category's: a
category's own would cost a join over its thousands of variants (30–55 ms on 100 000
products, more than rendering the page), and it moves only when an item is nearly gone.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

from sqlalchemy import func, select, union_all

from app import db, memo, prepared
from app.catalog import category_tree as categories, facet_counts, product_view
from app.catalog.models import FacetCount, Product
from app.catalog.services import next_free_slots
from app.db import utcnow
from app.errors import NotFound
from app.inventory import services as inventory

# The listing's filter counts and value names are kept for PAGE_CACHE_SECONDS (app.memo),
# by each process, so a page rendered after a change may show them from before it: for that
# long after a change, and this much more for clocks that differ, a listing has no ETag.
SETTLE_MARGIN_SECONDS = 2


# Core columns: a Core select runs at half the ORM's CPU.
_product, _facet = Product.__table__.c, FacetCount.__table__.c


def _categories_clock() -> tuple:
    """The version of the category tree this process shows (a listing's sub-categories,
    breadcrumbs): the tree it keeps (app.catalog.category_tree), not the database's newest,
    so that a process still showing the tree from before a staff save labels its pages so."""
    return categories.tree().version


@dataclass(frozen=True)
class ProductVersion:
    product_id: int
    is_service: bool
    parts: tuple


def product_version(slug: str) -> ProductVersion | None:
    """What the published product `slug`'s page shows that can change; None if there is no
    such product (its page is a 404). Read with the page's own first queries (the product
    and its variants' units: app.catalog.product_view.core), which the page then reuses."""
    product = product_view.core(slug)
    if product is None:
        return None
    units = tuple((v.id, v.units) for v in product.variants)
    slots = ()
    if product.is_service:
        slots = tuple((s.id, s.starts_at, s.capacity, s.booked)
                      for s in next_free_slots(product.id))
    return ProductVersion(product.id, product.is_service,
                          (product.id, product.updated_at, units, _categories_clock(), slots))


def listing_version(category_slug: str | None, *, in_stock: bool = False,
                    now: dt.datetime | None = None) -> tuple | None:
    """What a listing shows that can change: of all products (`category_slug` None) or of
    a category and its sub-categories. None: no such category (its page is a 404), or a
    change too recent for the filter counts every process keeps (SETTLE_MARGIN_SECONDS).
    `in_stock`: the listing shows only products in stock (its filter counts then follow
    the stock too)."""
    if category_slug is None:
        params: dict = {}
        statement = _shop_version()
    else:
        try:
            ids = categories.subtree_ids(category_slug)  # the kept tree's: no query
        except NotFound:
            return None  # the page is a 404
        params = db.slot_values("c", ids)
        statement = _category_version(len(ids))
    (newest_product, stock_clock, filed), = prepared.rows(statement, params)
    if not _settled([newest_product, stock_clock if in_stock else None], now or utcnow()):
        return None
    return (category_slug, in_stock, _categories_clock(), newest_product, stock_clock, filed)


# A listing's version in one statement: the newest change of a product filed there (any
# status: a product leaving the listing is changed too), the stock's few-left clock, and how
# many published products are filed there, from the counts kept per category (a product
# moved out, or deleted, changes that). Built once per number of categories (db.slots).

@functools.cache
def _shop_version():
    return select(select(func.max(_product.updated_at)).scalar_subquery(),
                  inventory.few_left_clock(), _published().scalar_subquery())


@functools.cache
def _category_version(categories_filed: int):
    ids = db.slots("c", categories_filed)
    # The newest of each category's newest: one index descent per category (its
    # (category_id, updated_at) index), where max() over `category_id IN (…)` read every
    # product's entry (14 000 for a top-level category: 3 ms of PostgreSQL a page).
    each = [select(func.max(_product.updated_at).label("changed"))
            .where(_product.category_id == category_id) for category_id in ids]
    newest = union_all(*each).subquery()
    return select(select(func.max(newest.c.changed)).scalar_subquery(),
                  inventory.few_left_clock(),
                  _published().where(_facet.category_id.in_(ids)).scalar_subquery())


def _published():
    return select(func.coalesce(func.sum(_facet.products), 0)).where(
        _facet.name == facet_counts.ALL_PRODUCTS)


def _settled(clocks: list[dt.datetime | None], now: dt.datetime) -> bool:
    keep = memo.seconds()
    if not keep:
        return True  # nothing is kept: every page is made from the database as it is
    since = now - dt.timedelta(seconds=keep + SETTLE_MARGIN_SECONDS)
    return all(clock is None or clock < since for clock in clocks)
