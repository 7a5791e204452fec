"""The nightly job: every recommendation list computed from the last 13 months of sales and
stored (lists.py), replacing the night before's in one transaction.

Purchases are read from the orders (app.orders.history), not from the events: an order is
the truth about what was bought, and a guest's order counts too. A guest's order, and any
order of a customer who said no to personalisation, takes part only anonymously (as a
basket of its own, keyed by the order): it feeds "popular" and "often bought together", and
no list is made about its buyer.

Days are counted in UTC days since the epoch (fractions included), so gaps between
purchases are in days whatever the zone.
"""

from __future__ import annotations

import datetime as dt
import logging
from array import array
from dataclasses import dataclass

import numpy as np

from app.catalog import services as catalog
from app.db import utcnow
from app.orders import history
from app.recommendations import algorithms, lists, tracking
from app.recommendations.purchases import Purchases

log = logging.getLogger(__name__)

HISTORY_DAYS = 396  # 13 months: a yearly purchase (a service, a festival) is still seen


@dataclass(frozen=True)
class Summary:
    lines: int
    customers: int  # customers who got personal lists
    lists: int  # lists stored in all


def _day(moment: dt.datetime) -> float:
    return moment.timestamp() / 86_400


def read_purchases(since: dt.datetime) -> tuple[Purchases, dict[int, str], set[int]]:
    """The sales since `since` as a Purchases; each buyer's latest district (for popular in
    a district); the customers to make personal lists for. An anonymous buyer's key is
    minus the order's id."""
    declined = tracking.declined_customers()
    # Typed buffers, 8 bytes a value: a big shop's year is millions of lines, and a list of
    # Python ints would hold four times that.
    customers, items, baskets = array("q"), array("q"), array("q")
    days, quantities = array("d"), array("d")
    district_of: dict[int, str] = {}
    for line in history.purchase_lines(since):
        known = line.customer_id is not None and line.customer_id not in declined
        key = line.customer_id if known else -line.order_id
        customers.append(key)
        items.append(line.product_id)
        days.append(_day(line.placed_at))
        quantities.append(line.quantity)
        baskets.append(line.order_id)
        if line.district:
            district_of[key] = line.district  # lines come oldest first: the latest wins
    purchases = Purchases.from_arrays(np.frombuffer(customers, dtype=np.int64),
                                      np.frombuffer(items, dtype=np.int64),
                                      np.frombuffer(days, dtype=np.float64),
                                      np.frombuffer(quantities, dtype=np.float64),
                                      np.frombuffer(baskets, dtype=np.int64))
    personal = {int(key) for key in np.unique(purchases.customers) if key > 0}
    return purchases, district_of, personal


def compute(now: dt.datetime | None = None) -> Summary:
    """Compute and store every list. Running it twice gives the same lists."""
    now = now or utcnow()
    purchases, district_of, personal = read_purchases(now - dt.timedelta(days=HISTORY_DAYS))
    today = _day(now)
    # Each strip's lists are encoded as soon as they are made and its objects dropped: a
    # big shop's lists as Python objects are millions of them, their JSON a tenth the size.
    stored: dict[tuple[str, str], str] = {}

    def keep(kind: str, found: dict, owners=None) -> None:
        for owner, recs in found.items():
            if recs and (owners is None or owner in owners):
                stored[kind, str(owner)] = lists.encode(recs)

    if len(purchases):
        keep("buy_again", algorithms.buy_again(purchases, today=today), personal)
        keep("for_you", algorithms.for_you(purchases, today=today, customers=sorted(personal)))
        keep("together", algorithms.bought_together(purchases))
        keep("popular", {lists.SHOP: algorithms.popular_items(purchases, today=today)})
        keep("popular_district", algorithms.popular_by_group(purchases, today=today,
                                                             customer_groups=district_of))
        keep("popular_category", algorithms.popular_by_group(
            purchases, today=today, item_groups=catalog.product_categories()))
    count = lists.replace_all(stored, computed_at=now)
    summary = Summary(lines=len(purchases), customers=len(personal), lists=count)
    log.info("recommendations_computed", extra={"lines": summary.lines,
                                                "customers": summary.customers,
                                                "lists": summary.lists})
    return summary
