"""Cart services: what a cart may hold, and merging a guest's cart at sign-in."""

from __future__ import annotations

import pytest

from app.checkout import cart as carts
from app.errors import Invalid, NotFound
from app.inventory import services as inventory
from app.inventory.services import OutOfStock
from tests.catalog.factories import make_product
from tests.checkout.factories import service_with_slot, stocked
from tests.statements import statements_sent


def _guest():
    token = carts.new_token()
    return carts.open_cart(token=token), token


def test_adding_the_same_item_twice_adds_up_on_one_line(db_session):
    cart, token = _guest()
    tea = stocked(units=5)
    carts.add_item(cart, tea.id, 2)
    carts.add_item(cart, tea.id, 1)
    assert [(line.variant_id, line.quantity) for line in cart.lines] == [(tea.id, 3)]
    assert carts.item_count(token=token) == 3


def test_a_new_cart_is_written_with_its_first_item_in_one_transaction(db_session, app,
                                                                       backend):
    tea = stocked(units=5)
    token = carts.new_token()

    with statements_sent(app) as statements:
        cart = carts.open_cart(token=token, first_item=True)
        carts.add_item(cart, tea.id, 2)

    assert [s.split()[0] for s in statements].count("COMMIT") <= 1  # SQLite's own: none
    assert [s.split()[2] for s in statements if s.startswith("INSERT")] == [
        "checkout_cart", "checkout_cart_line"]
    if backend == "postgresql":  # SQLite's reads of a list go through the ORM: autoflush
        assert not any(s.startswith("UPDATE checkout_cart ") for s in statements)
    assert carts.item_count(token=token) == 2


def test_a_refused_first_item_leaves_no_empty_cart(db_session, customer):
    sold_out = stocked(units=0)

    cart = carts.open_cart(user_id=customer.id, first_item=True)
    with pytest.raises(OutOfStock):
        carts.add_item(cart, sold_out.id, 1)

    assert carts.find_cart(user_id=customer.id) is None
    assert carts.open_cart(user_id=customer.id).id is not None  # made when asked again


def test_more_than_in_stock_is_refused_with_what_is_left(db_session):
    cart, _ = _guest()
    tea = stocked(units=3)
    carts.add_item(cart, tea.id, 2)
    with pytest.raises(OutOfStock) as refused:
        carts.add_item(cart, tea.id, 2)
    assert str(refused.value.message) == "Only 3 left in stock, and 2 are in your cart already."
    assert cart.lines[0].quantity == 2


def test_sold_out_and_unpublished_items_cannot_be_added(db_session):
    cart, _ = _guest()
    with pytest.raises(OutOfStock):
        carts.add_item(cart, stocked(units=0).id, 1)
    with pytest.raises(NotFound):
        carts.add_item(cart, make_product("Draft", status="draft").variants[0].id, 1)
    with pytest.raises(NotFound):
        carts.add_item(cart, 2**40, 1)
    assert cart.lines == []


@pytest.mark.parametrize("quantity", [0, -1, 100, 10**9])
def test_quantities_out_of_range_are_refused(db_session, quantity):
    cart, _ = _guest()
    with pytest.raises(Invalid):
        carts.add_item(cart, stocked().id, quantity)
    assert cart.lines == []


def test_changing_and_removing_lines(db_session):
    cart, _ = _guest()
    tea = stocked(units=4)
    line = carts.add_item(cart, tea.id, 1)
    carts.set_quantity(cart, line.id, 4)
    assert line.quantity == 4
    with pytest.raises(OutOfStock):
        carts.set_quantity(cart, line.id, 5)
    carts.set_quantity(cart, line.id, 0)
    assert cart.lines == []


def test_another_carts_line_is_not_found(db_session):
    mine, _ = _guest()
    theirs, _ = _guest()
    their_line = carts.add_item(theirs, stocked().id, 1)
    with pytest.raises(NotFound):
        carts.set_quantity(mine, their_line.id, 2)
    with pytest.raises(NotFound):
        carts.remove_line(mine, their_line.id)
    assert their_line.quantity == 1


def test_a_service_with_slots_needs_a_free_slot(db_session):
    cart, _ = _guest()
    visit, slot = service_with_slot(capacity=1)
    with pytest.raises(Invalid) as refused:
        carts.add_item(cart, visit.id, 1)
    assert refused.value.field == "slot_id"
    with pytest.raises(OutOfStock):
        carts.add_item(cart, visit.id, 2, slot_id=slot.id)
    carts.add_item(cart, visit.id, 1, slot_id=slot.id)
    tea = stocked()
    with pytest.raises(Invalid):  # a slot for goods makes no sense
        carts.add_item(cart, tea.id, 1, slot_id=slot.id)


def test_a_guest_cart_joins_the_customers_cart_at_sign_in(db_session, customer):
    tea, jar = stocked(units=3), stocked("Jar", units=10)
    mine = carts.open_cart(user_id=customer.id)
    carts.add_item(mine, tea.id, 2)
    guest, token = _guest()
    carts.add_item(guest, tea.id, 1)
    carts.add_item(guest, jar.id, 4)

    merged = carts.merge_guest_cart(token, customer.id)
    assert merged.id == mine.id
    assert sorted((line.variant_id, line.quantity) for line in merged.lines) == sorted(
        [(tea.id, 3), (jar.id, 4)])
    assert carts.find_cart(token=token) is None  # the guest cart is closed


def test_merging_caps_at_what_is_in_stock(db_session, customer):
    tea = stocked(units=3)
    mine = carts.open_cart(user_id=customer.id)
    carts.add_item(mine, tea.id, 2)
    guest, token = _guest()
    carts.add_item(guest, tea.id, 2)
    merged = carts.merge_guest_cart(token, customer.id)
    assert [line.quantity for line in merged.lines] == [2]  # 4 would oversell; kept as it was


def test_a_guest_cart_becomes_the_customers_when_they_have_none(db_session, customer):
    guest, token = _guest()
    carts.add_item(guest, stocked().id, 1)
    merged = carts.merge_guest_cart(token, customer.id)
    assert merged.id == guest.id and merged.user_id == customer.id


def test_stock_problems_name_the_lines_that_changed(db_session):
    cart, _ = _guest()
    tea = stocked(units=2)
    line = carts.add_item(cart, tea.id, 2)
    assert carts.stock_problems(cart) == {}
    inventory.adjust(tea.id, -1, reason="count")
    assert carts.stock_problems(cart) == {line.id: "Only 1 left in stock."}
