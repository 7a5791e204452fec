"""The funnel from a cart to an order, from carts and orders (product views and searches are
not recorded yet: once events are, the funnel will start from them).

    carts started       shoppers' carts made in the period (the phone desk's drafts are not)
    items in the cart   of those, carts that held something (or became an order)
    checkout started    of those, carts whose checkout was begun (an address or a choice
                        saved), or that became an order
    orders placed       orders placed in the period, on the web and in the app
    orders confirmed    of those, sales (paid, or cash on delivery on its way)
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session

from app.checkout.models import Cart, CartLine
from app.orders.models import Order
from app.reports.days import Period
from app.reports.sales import in_period, is_sale
from app.reports.tables import Column, Table, percent

COLUMNS = [
    Column("step", _l("Step")),
    Column("count", _l("How many"), "count"),
    Column("of_previous", _l("Of the step before (%)"), "percent"),
    Column("of_first", _l("Of carts started (%)"), "percent"),
]


def funnel_report(reads: Session, period: Period, *, locale: str = "en") -> Table:
    carts = select(func.count(Cart.id)).where(Cart.kind == "cart",
                                              in_period(Cart.created_at, period))
    ordered = Cart.status == "ordered"
    with_items = or_(ordered, exists().where(CartLine.cart_id == Cart.id))
    web = Order.channel.in_(("web", "app"))
    counts = [
        (_l("Carts started"), reads.scalar(carts)),
        (_l("Items in the cart"), reads.scalar(carts.where(with_items))),
        (_l("Checkout started"), reads.scalar(carts.where(
            with_items, or_(ordered, Cart.checkout.is_not(None))))),
        (_l("Orders placed"), reads.scalar(select(func.count(Order.id)).where(
            web, in_period(Order.placed_at, period)))),
        (_l("Orders confirmed"), reads.scalar(select(func.count(Order.id)).where(
            web, is_sale(), in_period(Order.placed_at, period)))),
    ]
    first = counts[0][1] or 0
    rows, before = [], None
    for step, count in counts:
        count = count or 0
        rows.append({"step": str(step), "count": count,
                     "of_previous": percent(count, before) if before is not None else None,
                     "of_first": percent(count, first)})
        before = count
    return Table(COLUMNS, rows, chart=[(row["step"], row["count"]) for row in rows],
                 chart_kind="count", chart_caption=_l("From a cart to a confirmed order"),
                 notes=[_l("Product views and searches are not recorded yet; carts and "
                           "orders are.")])
