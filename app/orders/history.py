"""What customers bought, as the recommender and the reports read it: which orders count as
sales, and their product lines as plain rows.

An order counts once it is confirmed: paid, or on its way to be paid in cash. One waiting
for an online payment or a bank transfer is not a sale yet; one cancelled unpaid never was;
one cancelled after it was paid stays a sale (the shopper did choose those things).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import NamedTuple

from sqlalchemy import and_, func, or_, select

from app import db
from app.orders.models import Order, OrderLine


def is_sale():
    """The orders that count as sales, as a SQL condition."""
    return and_(Order.status != "pending_payment",
                or_(Order.status != "cancelled", Order.payment_status == "paid"))


class PurchaseLine(NamedTuple):
    order_id: int
    customer_id: int | None  # None: a guest's order
    product_id: int
    quantity: int
    placed_at: dt.datetime  # UTC
    district: str | None


def purchase_lines(since: dt.datetime, *, batch: int = 5_000) -> Iterator[PurchaseLine]:
    """Every product line of the sales placed since `since`, oldest order first, streamed
    (a big shop's year of lines is read in batches, never all at once as objects)."""
    statement = (
        select(Order.id, Order.user_id, OrderLine.product_id, OrderLine.quantity,
               Order.placed_at, Order.district)
        .join(OrderLine, OrderLine.order_id == Order.id)
        .where(is_sale(), Order.placed_at >= since, OrderLine.product_id.is_not(None))
        .order_by(Order.placed_at, Order.id, OrderLine.id)
        .execution_options(yield_per=batch))
    for row in db.session.execute(statement):
        yield PurchaseLine(*row)


def sale_totals(customer_ids: set[int], *, since: dt.datetime,
                until: dt.datetime) -> list[tuple[int, dt.datetime, int]]:
    """(customer id, placed at, total) of these customers' sales placed in [since, until)."""
    ids = sorted(customer_ids)
    found: list[tuple[int, dt.datetime, int]] = []
    for start in range(0, len(ids), 5000):
        found.extend(db.session.execute(
            select(Order.user_id, Order.placed_at, Order.total_cents)
            .where(is_sale(), Order.user_id.in_(ids[start:start + 5000]),
                   Order.placed_at >= since, Order.placed_at < until)).all())
    return found


def total_of(order_numbers: list[str]) -> int:
    """What these orders came to, the sales among them only."""
    if not order_numbers:
        return 0
    return int(db.session.scalar(select(func.coalesce(func.sum(Order.total_cents), 0))
                                 .where(is_sale(), Order.number.in_(order_numbers))))
