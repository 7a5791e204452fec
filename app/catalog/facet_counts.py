"""The filter panel's counts per category (catalog_facet_count), kept as products change.

A category page's panel says how many products have each attribute value ("Origin: Kandy
(1 204)"), and its pager how many products there are. Counting them per request scans every
product of a big category (12 000 under "Groceries" in the benchmark's shop: most of that
page's database time). The counts are kept per category instead, and a page sums the rows
of its category's tree: a few dozen rows.

Kept by the session itself, so no code path can forget them: before each flush, the
categories touched by a product published, withdrawn, moved, deleted, or whose attributes
changed are noted; after the flush, in the same transaction, their counts are counted again
(one grouped query over that category's own products). `rebuild()` counts everything again
(after a bulk load that bypassed the ORM, such as the benchmark's COPY).
"""

from __future__ import annotations

from sqlalchemy import delete, event, func, insert, inspect, literal, select, union_all
from sqlalchemy.orm import Session

from app.catalog.models import FacetCount, Product, ProductAttribute

# The name of the row that counts a category's published products (no attribute has an
# empty name: app.catalog.inputs refuses one).
ALL_PRODUCTS = ""
_PENDING = "catalog_facet_categories"
_PENDING_PRODUCTS = "catalog_facet_products"
_NONE = object()  # "the products in no category", as a key of the pending set


def _count_query(category_ids: list | None):
    """Per category: its published products with each attribute value, and (the row whose
    name is ALL_PRODUCTS) its published products, whatever their attributes."""
    with_values = (select(Product.category_id, ProductAttribute.name, ProductAttribute.value,
                          func.count())
                   .join(Product, Product.id == ProductAttribute.product_id)
                   .where(Product.status == "published")
                   .group_by(Product.category_id, ProductAttribute.name,
                             ProductAttribute.value))
    every = (select(Product.category_id, literal(ALL_PRODUCTS), literal(ALL_PRODUCTS),
                    func.count())
             .where(Product.status == "published").group_by(Product.category_id))
    if category_ids is not None:
        real = [c for c in category_ids if c is not _NONE]
        condition = Product.category_id.in_(real)
        if len(real) < len(category_ids):
            condition = condition | Product.category_id.is_(None)
        with_values, every = with_values.where(condition), every.where(condition)
    return union_all(with_values, every)


def _recount(connection, category_ids: list | None) -> None:
    gone = delete(FacetCount)
    if category_ids is not None:
        real = [c for c in category_ids if c is not _NONE]
        condition = FacetCount.category_id.in_(real)
        if len(real) < len(category_ids):
            condition = condition | FacetCount.category_id.is_(None)
        gone = gone.where(condition)
    connection.execute(gone)
    connection.execute(insert(FacetCount).from_select(
        ["category_id", "name", "value", "products"], _count_query(category_ids)))


# Where a session keeps the counts it has read (app.catalog.services.kept_counts: once a
# request); forgotten whenever this session counts again.
READ_KEY = "catalog_kept_counts_read"


def rebuild(session: Session) -> None:
    """Count every category again (after a load that bypassed the ORM)."""
    session.info.pop(READ_KEY, None)
    _recount(session.connection(), None)


def _changed(obj, names: tuple[str, ...]) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in names)


def _note_changes(session: Session, _context, _instances) -> None:
    categories = session.info.setdefault(_PENDING, set())
    products = session.info.setdefault(_PENDING_PRODUCTS, set())
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Product):
            if obj in session.dirty and not _changed(obj, ("status", "category_id")):
                continue
            # Where it was (a move or a delete), and where it is: read after the flush, as a
            # new product given its category as an object has no category_id before it.
            history = inspect(obj).attrs.category_id.history
            for category_id in (*history.deleted, *history.unchanged):
                categories.add(_NONE if category_id is None else category_id)
            if obj not in session.deleted:
                products.add(obj)
        elif isinstance(obj, ProductAttribute):
            # Any change to an attribute (added, removed from its product's list, its value
            # edited) recounts its product's category, before and after: cheap, and certain.
            history = inspect(obj).attrs.product.history
            products.update(p for p in (*history.deleted, *history.unchanged, *history.added)
                            if p is not None)
            if obj.product_id is not None:
                products.add(obj.product_id)


def _recount_noted(session: Session, _context) -> None:
    categories = session.info.pop(_PENDING, set())
    products = session.info.pop(_PENDING_PRODUCTS, set())
    if not categories and not products:
        return
    connection = session.connection()
    ids = {p.id if isinstance(p, Product) else p for p in products}
    ids.discard(None)
    if ids:
        for (category_id,) in connection.execute(
                select(Product.category_id).where(Product.id.in_(ids)).distinct()):
            categories.add(_NONE if category_id is None else category_id)
    if categories:
        session.info.pop(READ_KEY, None)
        _recount(connection, list(categories))


def keep_counts(session_class) -> None:
    """Have every session of `session_class` keep the counts (app.catalog.handlers, which
    the app factory imports)."""
    if not event.contains(session_class, "before_flush", _note_changes):
        event.listen(session_class, "before_flush", _note_changes)
        event.listen(session_class, "after_flush", _recount_noted)
