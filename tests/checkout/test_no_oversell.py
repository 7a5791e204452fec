"""The race the shop must never lose: many shoppers check out the last units at once.

Each checkout runs in its own thread with its own app context, session and database
connection, through the same service the pages and the API call. On PostgreSQL the pool
(5 + 10 overflow connections per process, as in production) bounds how many run inside the
database at the same instant; the rest queue for a connection, as requests would."""

from __future__ import annotations

from app import db
from app.checkout import cart as carts
from app.inventory import services as inventory
from app.inventory.services import OutOfStock
from app.orders.models import Order
from tests.checkout.factories import starter_delivery, stocked
from tests.checkout.races import checkouts_at_once

SHOPPERS = 200
UNITS = 20


def test_200_checkouts_race_for_20_units_and_exactly_20_win(app):
    with app.app_context():
        starter_delivery()
        variant_id = stocked("Last jars of kithul treacle", units=UNITS).id
        cart_ids = []
        for _ in range(SHOPPERS):
            cart = carts.open_cart(token=carts.new_token())
            carts.add_item(cart, variant_id, 1)
            cart_ids.append(cart.id)
        db.session.remove()

    def outcome_of(error: Exception) -> str:
        if isinstance(error, OutOfStock) and "stock" in str(error.message):
            return "out of stock"
        return repr(error)

    outcomes = checkouts_at_once(app, cart_ids, outcome_of)

    assert sorted(set(outcomes)) == ["ordered", "out of stock"], set(outcomes)
    assert outcomes.count("ordered") == UNITS
    assert outcomes.count("out of stock") == SHOPPERS - UNITS
    with app.app_context():
        assert db.session.query(Order).count() == UNITS
        assert inventory.available([variant_id]) == {variant_id: 0}
        [level] = inventory.stock_rows(query="kithul")[0]
        assert (level.on_hand, level.reserved) == (UNITS, UNITS)
        assert inventory.ledger_problems() == []
