"""Customers: new against returning in a period, and how many come back, by the month they
first bought (monthly cohorts).

A customer is their account; a guest is their phone number (the order's blind index of it:
the same number twice is the same person, and nothing personal is read). A customer is new
in a period when their first sale falls in it, returning when they bought before it. A
cohort is the Colombo month of a customer's first sale; its repeat rate is the share of its
customers who bought again, at any time since.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from flask_babel import lazy_gettext as _l
from sqlalchemy import String, cast, func, literal, select
from sqlalchemy.orm import Session

from app.i18n import COLOMBO
from app.orders.models import Order
from app.reports.days import Period
from app.reports.sales import is_sale, period_label
from app.reports.tables import Column, Table, percent, ratio

COLUMNS = [
    Column("cohort", _l("First bought in")),
    Column("customers", _l("Customers"), "count"),
    Column("returned", _l("Bought again"), "count"),
    Column("repeat_rate", _l("Repeat rate (%)"), "percent"),
    Column("orders", _l("Orders"), "count"),
    Column("orders_per_customer", _l("Orders per customer"), "ratio"),
]


def customer_key():
    """Who bought: the account, or for a guest the phone number's blind index."""
    return func.coalesce(literal("u:") + cast(Order.user_id, String),
                         literal("p:") + Order.contact_phone_index)


def customers_report(reads: Session, period: Period, *, locale: str = "en") -> Table:
    key = customer_key()
    per_customer = reads.execute(
        select(key, func.min(Order.placed_at), func.count(Order.id),
               func.sum(Order.total_cents))
        .where(is_sale(), key.is_not(None)).group_by(key)).all()
    in_period = reads.execute(
        select(key, func.count(Order.id), func.sum(Order.total_cents))
        .where(is_sale(), key.is_not(None), Order.placed_at >= period.starts,
               Order.placed_at < period.ends).group_by(key)).all()
    first_of = {who: _aware(first) for who, first, _n, _cents in per_customer}

    new = returning = new_cents = returning_cents = 0
    for who, _orders, cents in in_period:
        if first_of[who] >= period.starts:
            new, new_cents = new + 1, new_cents + int(cents or 0)
        else:
            returning, returning_cents = returning + 1, returning_cents + int(cents or 0)

    cohorts: dict[dt.date, list[int]] = defaultdict(lambda: [0, 0, 0])
    for _who, first, orders, _cents in per_customer:
        month = _aware(first).astimezone(COLOMBO).date().replace(day=1)
        if period.first.replace(day=1) <= month <= period.last:
            cohort = cohorts[month]
            cohort[0] += 1
            cohort[1] += orders > 1
            cohort[2] += orders
    rows = [{"cohort": period_label(month, "month", locale), "month": month.isoformat(),
             "customers": customers, "returned": returned,
             "repeat_rate": percent(returned, customers), "orders": orders,
             "orders_per_customer": ratio(orders, customers)}
            for month, (customers, returned, orders) in sorted(cohorts.items())]
    everyone = sum(row["customers"] for row in rows)
    came_back = sum(row["returned"] for row in rows)
    total = {"cohort": str(_l("Total")), "customers": everyone, "returned": came_back,
             "repeat_rate": percent(came_back, everyone),
             "orders": sum(row["orders"] for row in rows), "orders_per_customer": None}
    return Table(
        COLUMNS, rows, total,
        chart=[(row["cohort"], int(row["repeat_rate"] or 0)) for row in rows],
        chart_kind="percent", chart_caption=_l("Repeat rate by the month of the first order"),
        summary=[(_l("New customers"), new, "count"),
                 (_l("Returning customers"), returning, "count"),
                 (_l("Sales to new customers"), new_cents, "money"),
                 (_l("Sales to returning customers"), returning_cents, "money")],
        notes=[_l("A guest is counted by their phone number. Sales are order totals before "
                  "refunds.")])


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
