"""The stock ledger: every change to stock is a movement, the levels agree with the books, and
what would break them is refused with a clear message and changes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from app import db
from app.audit import services as audit
from app.db import transaction
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.inventory import services as inventory
from app.inventory.models import StockLevel
from app.inventory.services import MAX_UNITS, OutOfStock
from tests.checkout.factories import stocked
from tests.factories import make_staff


@pytest.fixture()
def tea(db_session):
    return stocked("Ceylon tea", units=10)


@pytest.fixture()
def second_warehouse(db_session):
    inventory.default_warehouse()
    return inventory.add_warehouse("kandy", "Kandy store")


def kinds(variant_id: int) -> list[tuple[str, int]]:
    """The variant's ledger, oldest first, as (kind, signed units)."""
    return [(m.kind, m.quantity) for m in reversed(inventory.movements(variant_id, limit=100))]


def _levels(variant_id: int) -> list[StockLevel]:
    return list(db.session.scalars(
        select(StockLevel).where(StockLevel.variant_id == variant_id)
        .order_by(StockLevel.warehouse_id).execution_options(populate_existing=True)))


def level(variant_id: int, warehouse_id: int | None = None) -> StockLevel:
    warehouse_id = warehouse_id or inventory.default_warehouse().id
    return next(lv for lv in _levels(variant_id) if lv.warehouse_id == warehouse_id)


def assert_books_balance():
    assert inventory.ledger_problems() == []


# ---- receipts ------------------------------------------------------------------------------

def test_a_receipt_adds_to_on_hand_and_writes_the_ledger(tea):
    result = inventory.receive(tea.id, 5, reference=" PO-77 ")

    assert (result.on_hand, result.reserved, result.available) == (15, 0, 15)
    assert inventory.available([tea.id]) == {tea.id: 15}
    assert kinds(tea.id) == [("receipt", 10), ("receipt", 5)]
    assert inventory.movements(tea.id, limit=1)[0].reference == "PO-77"
    assert_books_balance()


def test_the_first_warehouse_is_made_on_first_use_and_is_the_default(db_session):
    assert inventory.warehouses() == []
    variant = stocked(units=3)

    [main] = inventory.warehouses()
    assert (main.code, main.is_default) == ("MAIN", True)
    assert level(variant.id, main.id).on_hand == 3


@pytest.mark.parametrize("quantity", [0, -1, MAX_UNITS + 1])
def test_a_receipt_of_no_negative_or_absurd_units_is_refused(tea, quantity):
    with pytest.raises(Invalid) as error:
        inventory.receive(tea.id, quantity)

    assert error.value.field == "quantity"
    assert inventory.available([tea.id]) == {tea.id: 10}
    assert kinds(tea.id) == [("receipt", 10)]


@pytest.mark.parametrize("variant_id", [0, -3, 999_999, 2**40])
def test_a_receipt_for_a_variant_that_does_not_exist_is_not_found(db_session, variant_id):
    with pytest.raises(NotFound):
        inventory.receive(variant_id, 1)


def test_a_receipt_into_a_warehouse_that_does_not_exist_is_not_found(tea):
    with pytest.raises(NotFound) as error:
        inventory.receive(tea.id, 1, warehouse_id=9999)

    assert error.value.field == "warehouse_id"
    assert inventory.available([tea.id]) == {tea.id: 10}


# ---- who may change stock ------------------------------------------------------------------

@pytest.mark.parametrize("role", ["support_agent", "marketing"])
def test_staff_without_stock_rights_change_nothing(tea, second_warehouse, role):
    outsider = make_staff(role)
    attempts = [
        lambda: inventory.receive(tea.id, 1, actor=outsider),
        lambda: inventory.adjust(tea.id, -1, reason="count", actor=outsider),
        lambda: inventory.transfer(tea.id, 1, from_warehouse_id=level(tea.id).warehouse_id,
                                   to_warehouse_id=second_warehouse.id, actor=outsider),
        lambda: inventory.restock(tea.id, 1, reference="RMA-1", actor=outsider),
        lambda: inventory.set_on_hand(tea.id, 0, actor=outsider),
        lambda: inventory.set_threshold(tea.id, 3, actor=outsider),
        lambda: inventory.rebuild_levels(actor=outsider),
        lambda: inventory.add_warehouse("GALLE", "Galle", actor=outsider),
        lambda: inventory.stock_rows(actor=outsider),
        lambda: inventory.movements(tea.id, actor=outsider),
    ]
    for attempt in attempts:
        with pytest.raises(Forbidden):
            attempt()

    assert inventory.available([tea.id]) == {tea.id: 10}
    assert kinds(tea.id) == [("receipt", 10)]


def test_a_stock_manager_may_receive_and_the_audit_log_says_who(tea):
    manager = make_staff("catalog_manager")

    inventory.receive(tea.id, 4, actor=manager)

    assert inventory.movements(tea.id, limit=1)[0].actor_id == manager.id
    entries = audit.search("admin", audit.AuditFilter(action="inventory.receipt")).entries
    assert [(e.actor_id, e.target_id) for e in entries][:1] == [(manager.id, str(tea.id))]


# ---- adjustments ---------------------------------------------------------------------------

def test_an_adjustment_with_a_reason_corrects_stock(tea):
    inventory.adjust(tea.id, -3, reason="  two broken, one lost  ")

    assert inventory.available([tea.id]) == {tea.id: 7}
    [last] = inventory.movements(tea.id, limit=1)
    assert (last.kind, last.quantity, last.reason) == ("adjustment", -3, "two broken, one lost")
    assert_books_balance()


@pytest.mark.parametrize("reason", ["", "   ", "x" * 201, None])
def test_an_adjustment_without_a_sensible_reason_is_refused(tea, reason):
    with pytest.raises(Invalid) as error:
        inventory.adjust(tea.id, -1, reason=reason)

    assert error.value.field == "reason"
    assert inventory.available([tea.id]) == {tea.id: 10}


def test_an_adjustment_cannot_go_below_zero(tea):
    with pytest.raises(Invalid) as error:
        inventory.adjust(tea.id, -11, reason="count")

    assert error.value.field == "quantity"
    assert inventory.available([tea.id]) == {tea.id: 10}
    assert kinds(tea.id) == [("receipt", 10)]


def test_an_adjustment_cannot_take_units_reserved_for_orders(tea):
    inventory.reserve("KD-T-1", {tea.id: 8})

    with pytest.raises(Invalid) as error:
        inventory.adjust(tea.id, -3, reason="count")

    assert "reserved" in str(error.value.message)
    assert (level(tea.id).on_hand, level(tea.id).reserved) == (10, 8)
    inventory.adjust(tea.id, -2, reason="count")  # the two free units may go
    assert (level(tea.id).on_hand, level(tea.id).reserved) == (8, 8)
    assert_books_balance()


# ---- transfers -----------------------------------------------------------------------------

def test_a_transfer_moves_units_with_two_ledger_lines_sharing_a_reference(
        tea, second_warehouse):
    main = inventory.default_warehouse()

    inventory.transfer(tea.id, 4, from_warehouse_id=main.id,
                       to_warehouse_id=second_warehouse.id)

    assert level(tea.id, main.id).on_hand == 6
    assert level(tea.id, second_warehouse.id).on_hand == 4
    assert inventory.available([tea.id]) == {tea.id: 10}  # the same units, elsewhere
    out, into = inventory.movements(tea.id, limit=2)[::-1]
    assert (out.kind, out.quantity, into.kind, into.quantity) == (
        "transfer_out", -4, "transfer_in", 4)
    assert out.reference == into.reference and out.reference.startswith("TR-")
    assert_books_balance()


def test_a_transfer_to_the_same_warehouse_is_refused(tea):
    main = inventory.default_warehouse()

    with pytest.raises(Invalid) as error:
        inventory.transfer(tea.id, 1, from_warehouse_id=main.id, to_warehouse_id=main.id)

    assert error.value.field == "to_warehouse_id"


def test_a_transfer_of_more_than_is_free_there_is_refused(tea, second_warehouse):
    main = inventory.default_warehouse()
    inventory.reserve("KD-T-2", {tea.id: 7})

    with pytest.raises(Invalid) as error:
        inventory.transfer(tea.id, 4, from_warehouse_id=main.id,
                           to_warehouse_id=second_warehouse.id)

    assert "Only 3 units" in str(error.value.message)
    assert level(tea.id, main.id).on_hand == 10
    assert [lv.warehouse_id for lv in _levels(tea.id) if lv.on_hand] == [main.id]
    assert_books_balance()


def test_a_transfer_to_a_warehouse_that_does_not_exist_is_not_found(tea):
    main = inventory.default_warehouse()

    with pytest.raises(NotFound):
        inventory.transfer(tea.id, 1, from_warehouse_id=main.id, to_warehouse_id=4242)

    assert level(tea.id, main.id).on_hand == 10


def test_a_warehouse_code_is_unique_and_checked(db_session, second_warehouse):
    with pytest.raises(Conflict) as error:
        inventory.add_warehouse("KANDY", "Another Kandy")
    assert error.value.field == "code"
    with pytest.raises(Invalid):
        inventory.add_warehouse("", "No code")
    with pytest.raises(Invalid):
        inventory.add_warehouse("X" * 21, "Too long")
    assert [w.code for w in inventory.warehouses()] == ["MAIN", "KANDY"]


# ---- returns and stock counts --------------------------------------------------------------

def test_returned_goods_go_back_on_the_default_shelf(tea):
    inventory.restock(tea.id, 2, reference="KD-2026-000001")

    assert inventory.available([tea.id]) == {tea.id: 12}
    [last] = inventory.movements(tea.id, limit=1)
    assert (last.kind, last.quantity, last.reference) == ("return", 2, "KD-2026-000001")
    assert_books_balance()


def test_a_restock_of_no_units_is_refused(tea):
    with pytest.raises(Invalid):
        inventory.restock(tea.id, 0, reference="KD-1")


def test_a_stock_count_sets_on_hand_through_an_adjustment(tea):
    inventory.set_on_hand(tea.id, 4)

    assert inventory.available([tea.id]) == {tea.id: 4}
    assert kinds(tea.id) == [("receipt", 10), ("adjustment", -6)]
    inventory.set_on_hand(tea.id, 4)  # the same count again: no ledger line
    assert kinds(tea.id) == [("receipt", 10), ("adjustment", -6)]
    assert_books_balance()


def test_a_stock_count_never_goes_below_what_orders_hold(tea):
    inventory.reserve("KD-T-3", {tea.id: 6})

    result = inventory.set_on_hand(tea.id, 2)

    assert (result.on_hand, result.reserved, result.available) == (6, 6, 0)
    assert_books_balance()


# ---- reservations, releases and sales ------------------------------------------------------

def test_a_reservation_holds_units_and_a_release_gives_them_back_once(tea):
    inventory.reserve("KD-T-4", {tea.id: 3})
    assert inventory.available([tea.id]) == {tea.id: 7}
    assert inventory.held_units("KD-T-4") == {tea.id: 3}

    assert inventory.release("KD-T-4") == 3
    assert inventory.release("KD-T-4") == 0

    assert inventory.available([tea.id]) == {tea.id: 10}
    assert inventory.held_units("KD-T-4") == {}
    assert kinds(tea.id) == [("receipt", 10)]  # holding is not a movement of goods
    assert_books_balance()


def test_a_reservation_that_falls_short_holds_nothing_and_says_what_is_left(tea):
    kettle = stocked("Kettle", units=1)

    with pytest.raises(OutOfStock) as error:
        with transaction():
            inventory.reserve("KD-T-5", {tea.id: 2, kettle.id: 3})

    assert error.value.short == {kettle.id: 1}
    assert error.value.status == 409
    assert inventory.available([tea.id, kettle.id]) == {tea.id: 10, kettle.id: 1}
    assert inventory.held_units("KD-T-5") == {}
    assert_books_balance()


@pytest.mark.parametrize("quantity", [0, -2])
def test_a_reservation_of_no_units_is_refused(tea, quantity):
    with pytest.raises(Invalid):
        inventory.reserve("KD-T-6", {tea.id: quantity})

    assert inventory.available([tea.id]) == {tea.id: 10}


def test_a_reservation_is_taken_whole_from_a_warehouse_that_has_enough(
        tea, second_warehouse):
    inventory.receive(tea.id, 5, warehouse_id=second_warehouse.id)  # MAIN 10, KANDY 5

    inventory.reserve("KD-T-7", {tea.id: 4})   # MAIN first
    inventory.reserve("KD-T-8", {tea.id: 5})   # MAIN has 6 left: still MAIN
    inventory.reserve("KD-T-9", {tea.id: 2})   # MAIN has 1: KANDY

    main = inventory.default_warehouse()
    assert level(tea.id, main.id).reserved == 9
    assert level(tea.id, second_warehouse.id).reserved == 2
    with pytest.raises(OutOfStock):
        inventory.reserve("KD-T-10", {tea.id: 4})  # 4 free in total, but not in one place
    assert_books_balance()


def test_a_sale_turns_held_units_into_a_sale_line(tea):
    inventory.reserve("KD-T-11", {tea.id: 3})

    assert inventory.sell("KD-T-11") == 3
    assert inventory.sell("KD-T-11") == 0  # nothing left to sell

    assert (level(tea.id).on_hand, level(tea.id).reserved) == (7, 0)
    assert kinds(tea.id) == [("receipt", 10), ("sale", -3)]
    assert inventory.release("KD-T-11") == 0  # sold goods are not released
    assert_books_balance()


def test_a_partial_sale_keeps_the_rest_held(tea):
    inventory.reserve("KD-T-12", {tea.id: 5})

    assert inventory.sell("KD-T-12", {tea.id: 2}) == 2

    assert inventory.held_units("KD-T-12") == {tea.id: 3}
    assert (level(tea.id).on_hand, level(tea.id).reserved) == (8, 3)
    assert inventory.sell("KD-T-12", {tea.id: 10}) == 3  # never more than is held
    assert inventory.held_units("KD-T-12") == {}
    assert kinds(tea.id) == [("receipt", 10), ("sale", -2), ("sale", -3)]
    assert_books_balance()


# ---- checking and rebuilding the books -----------------------------------------------------

def test_a_level_that_disagrees_with_the_ledger_is_reported_and_rebuilt(tea):
    kettle = stocked("Kettle", units=4)
    inventory.reserve("KD-T-13", {kettle.id: 1})
    with transaction() as session:  # a bad manual edit of the level rows
        session.execute(update(StockLevel).where(StockLevel.variant_id == tea.id)
                        .values(on_hand=StockLevel.on_hand + 5))
        session.execute(update(StockLevel).where(StockLevel.variant_id == kettle.id)
                        .values(reserved=0))

    problems = inventory.ledger_problems()

    assert len(problems) == 2
    assert any(f"variant {tea.id} " in p and "on hand 15 vs ledger 10" in p for p in problems)
    assert any(f"variant {kettle.id} " in p and "reserved 0 vs held 1" in p for p in problems)
    assert inventory.rebuild_levels() == 2
    assert_books_balance()
    assert inventory.available([tea.id, kettle.id]) == {tea.id: 10, kettle.id: 3}
    assert inventory.rebuild_levels() == 0


def test_a_busy_day_leaves_the_books_balanced(tea, second_warehouse):
    main = inventory.default_warehouse()
    inventory.receive(tea.id, 20, reference="PO-1")
    inventory.reserve("KD-A", {tea.id: 6})
    inventory.reserve("KD-B", {tea.id: 4})
    inventory.sell("KD-A", {tea.id: 4})
    inventory.release("KD-B")
    inventory.transfer(tea.id, 5, from_warehouse_id=main.id,
                       to_warehouse_id=second_warehouse.id)
    inventory.adjust(tea.id, -1, reason="dented", warehouse_id=second_warehouse.id)
    inventory.restock(tea.id, 1, reference="KD-A")
    inventory.sell("KD-A")

    assert_books_balance()
    assert inventory.rebuild_levels() == 0
    assert inventory.available([tea.id]) == {tea.id: 10 + 20 - 6 - 1 + 1}
    assert sum(q for _kind, q in kinds(tea.id)) == sum(
        lv.on_hand for lv in _levels(tea.id))


def test_available_answers_for_many_ids_at_once_and_unknown_ids_are_zero(tea):
    kettle = stocked("Kettle", units=0)

    assert inventory.available([tea.id, kettle.id, 987654]) == {
        tea.id: 10, kettle.id: 0, 987654: 0}
    assert inventory.available([]) == {}
