"""A stock level's `low_changed_at`: when its units available last changed with FEW_UNITS or
fewer left, before or after. Listings' ETags follow it (app/catalog/versions.py), so it must
move with every change a product card can show ("Only 3 left", "Sold out") whichever way
the stock moves (a receipt, a count, an order held, released or shipped, a rebuild), and
stay still for the changes no card shows (50 left, then 49)."""

from __future__ import annotations

from sqlalchemy import select, update

from app import db
from app.db import transaction
from app.inventory import services as inventory
from app.inventory.models import StockLevel
from tests.checkout.factories import stocked


def clock(variant) -> object:
    db.session.expire_all()
    return db.session.scalar(select(StockLevel.low_changed_at)
                             .where(StockLevel.variant_id == variant.id))


def test_the_clock_moves_only_at_few_units(db_session):
    tea = stocked("Ceylon tea", units=50)  # from nothing (sold out) to 50: moves
    received = clock(tea)
    assert received is not None

    inventory.adjust(tea.id, -1, reason="count")  # 49: no card says so
    assert clock(tea) == received
    inventory.adjust(tea.id, -43, reason="count")  # 6: still no number shown
    assert clock(tea) == received

    inventory.adjust(tea.id, -1, reason="count")  # 5: "Only 5 left"
    five = clock(tea)
    assert five > received
    inventory.receive(tea.id, 20)  # 25: the number goes away
    assert clock(tea) > five
    assert db.session.scalar(select(inventory.few_left_clock())) == clock(tea)


def test_orders_move_it_when_few_are_left(db_session):
    tea = stocked("Ceylon tea", units=6)
    start = clock(tea)

    with transaction():
        inventory.reserve("KD-1", {tea.id: 1})  # 6 -> 5 available
    held = clock(tea)
    assert held > start

    inventory.release("KD-1")  # 5 -> 6
    released = clock(tea)
    assert released > held

    with transaction():
        inventory.reserve("KD-2", {tea.id: 2})
    reserved = clock(tea)
    inventory.sell("KD-2")  # shipped: available stays 4, on hand and reserved go down
    assert clock(tea) > reserved


def test_a_big_order_far_from_few_units_leaves_it(db_session):
    tea = stocked("Ceylon tea", units=100)
    start = clock(tea)

    with transaction():
        inventory.reserve("KD-3", {tea.id: 10})
    inventory.sell("KD-3")

    assert clock(tea) == start


def test_a_rebuild_that_changes_a_level_moves_it(db_session):
    tea = stocked("Ceylon tea", units=100)
    start = clock(tea)
    with transaction():  # a level that disagrees with its books (a bug, a manual edit)
        db.session.execute(update(StockLevel).where(StockLevel.variant_id == tea.id)
                           .values(on_hand=3))

    assert inventory.rebuild_levels() == 1
    assert clock(tea) > start
