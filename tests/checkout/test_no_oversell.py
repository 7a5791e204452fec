"""The race the shop must never lose: many shoppers check out the last units at once.

Each checkout runs in its own thread with its own app context, session and database
connection, through the same service the pages and the API call. On PostgreSQL the pool
(5 + 10 overflow connections per process, as in production) bounds how many run inside the
database at the same instant; the rest queue for a connection, as requests would."""

from __future__ import annotations

import threading

from app import db
from app.checkout import cart as carts
from app.checkout.models import Cart
from app.checkout.services import Contact, place_order
from app.inventory import services as inventory
from app.inventory.services import OutOfStock
from app.orders.models import Order
from tests.checkout.factories import guest_choices, starter_delivery, stocked

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

    start = threading.Barrier(SHOPPERS, timeout=60)
    outcomes: list[str] = []
    record = threading.Lock()

    def shop(cart_id: int) -> None:
        # Two hundred shoppers, each with their own mobile number (one number placing them
        # all would meet the per-phone checkout limit, which is not this test's subject).
        shopper = Contact(name="Race Shopper", email="race@example.lk",
                          phone=f"0771{cart_id:06d}")
        with app.app_context():
            cart = db.session.get(Cart, cart_id)
            cart.lines  # noqa: B018 — loaded now, so the race below is only the checkout
            db.session.commit()  # hand the connection back while waiting for the others
            start.wait()
            try:
                place_order(cart, guest_choices(contact=shopper))
                outcome = "ordered"
            except OutOfStock as refusal:
                outcome = "out of stock" if "stock" in str(refusal.message) else repr(refusal)
            except Exception as error:  # anything else is a failure the test must show
                outcome = repr(error)
            finally:
                db.session.remove()
            with record:
                outcomes.append(outcome)

    threads = [threading.Thread(target=shop, args=(cart_id,)) for cart_id in cart_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert sorted(set(outcomes)) == ["ordered", "out of stock"], set(outcomes)
    assert outcomes.count("ordered") == UNITS
    assert outcomes.count("out of stock") == SHOPPERS - UNITS
    with app.app_context():
        assert db.session.query(Order).count() == UNITS
        assert inventory.available([variant_id]) == {variant_id: 0}
        [level] = inventory.stock_rows(query="kithul")[0]
        assert (level.on_hand, level.reserved) == (UNITS, UNITS)
        assert inventory.ledger_problems() == []
