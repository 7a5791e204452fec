"""The recommendations tests' shop: customers with a buying history, orders placed in the
past."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update

from app import db
from app.db import utcnow
from app.orders.models import Order
from tests.checkout.factories import customer_order, stocked
from tests.factories import make_customer


def bought(customer, *items, days_ago: float):
    """An order of `customer` (cash on delivery, so it counts as a sale) placed `days_ago`."""
    order = customer_order(customer, *((variant, 1) for variant in items))
    db.session.execute(update(Order).where(Order.id == order.id)
                       .values(placed_at=utcnow() - dt.timedelta(days=days_ago)))
    db.session.commit()
    return order


@pytest.fixture()
def shop(db_session):
    """Treacle bought every two weeks by one customer; curd and hoppers flour bought with
    treacle by others; tea by everybody."""
    v = {name: stocked(name, units=100, price_cents=500_00) for name in
         ("Kithul treacle", "Buffalo curd", "Hoppers flour", "Ceylon tea", "Coconut oil")}
    regular = make_customer(name="Nimal Perera")
    for days in (42, 28, 14):
        bought(regular, v["Kithul treacle"], days_ago=days)
    bought(regular, v["Ceylon tea"], days_ago=40)
    for n in range(4):
        other = make_customer()
        bought(other, v["Kithul treacle"], v["Buffalo curd"], v["Ceylon tea"], days_ago=10 + n)
        bought(other, v["Hoppers flour"], v["Ceylon tea"], days_ago=3 + n)
    return regular, v
