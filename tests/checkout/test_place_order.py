"""Placing an order: what it stores, what it holds and what it refuses."""

from __future__ import annotations

import pytest

from app.checkout import cart as carts
from app.checkout.services import CheckoutProblem, place_order
from app.errors import Conflict, Invalid
from app.inventory import services as inventory
from app.inventory.services import OutOfStock
from app.orders import services as orders
from tests.checkout.factories import (
    guest_cart,
    guest_choices,
    place_guest_order,
    service_with_slot,
    starter_delivery,
    stocked,
)
from tests.statements import statements_sent


def test_a_guest_order_is_priced_numbered_and_holds_its_stock(db_session, outbox):
    tea = stocked("Ceylon tea", units=5, price_cents=1_250_00)
    visit, slot = service_with_slot(capacity=2)
    order = place_guest_order((tea, 2), (visit, 1, slot))

    assert order.number.startswith("KD-") and order.number.endswith(f"{order.id:06d}")
    assert order.status == "processing"  # cash on delivery: confirmed at once
    assert order.subtotal_cents == 2 * 1_250_00 + 5_000_00
    assert order.delivery_fee_cents == 350_00  # island-wide, under the free threshold
    assert order.total_cents == order.subtotal_cents + 350_00
    assert order.district == "galle" and order.ship_city == "Galle"
    assert order.contact_phone == "+94771234567"
    assert inventory.available([tea.id]) == {tea.id: 3}
    assert inventory.held_units(order.number) == {tea.id: 2}
    assert inventory.ledger_problems() == []
    db_session.refresh(slot)
    assert slot.booked == 1


def test_the_order_and_its_lines_are_written_once_each(db_session, app, backend):
    tea, coffee = stocked("Ceylon tea", units=5), stocked("Coffee", units=5)
    starter_delivery()
    cart = guest_cart(tea, coffee)

    with statements_sent(app) as statements:
        order, _created = place_order(cart, guest_choices())

    def writes(table: str) -> list[str]:
        return [s.split()[0] for s in statements
                if s.split()[0] in ("INSERT", "UPDATE")
                and s.split()[2 if s.startswith("INSERT") else 1] == table]

    # PostgreSQL gives the id first (the table's sequence), so the number is in the INSERT;
    # SQLite's id comes with the INSERT, and the number is set after it.
    assert writes("orders_order") == (["INSERT"] if backend == "postgresql"
                                      else ["INSERT", "UPDATE"])
    if backend == "postgresql":
        assert writes("orders_order_line") == ["INSERT"]  # both lines in one statement
    assert order.number == f"KD-{order.placed_at.year}-{order.id:06d}"
    assert [line.name_en for line in order.lines] == ["Ceylon tea", "Coffee"]


def test_the_confirmation_mail_reaches_the_outbox(db_session, outbox):
    order = place_guest_order(stocked())
    [mail] = outbox.to("sarah@example.lk")
    assert order.number in mail["Subject"]


def test_a_second_submit_of_the_same_cart_makes_one_order(db_session):
    starter_delivery()
    cart = guest_cart(stocked(units=5))
    first, created = place_order(cart, guest_choices())
    again, created_again = place_order(cart, guest_choices())
    assert created and not created_again and again.id == first.id


def test_the_same_idempotency_key_returns_the_first_order(db_session, customer):
    from tests.factories import make_address

    starter_delivery()
    address = make_address(customer.id)
    tea = stocked(units=5)
    cart = carts.open_cart(user_id=customer.id)
    carts.add_item(cart, tea.id, 1)
    choices = guest_choices(contact=None, address=None, address_id=address.id)
    first, _ = place_order(cart, choices, user=customer, idempotency_key="k-1")
    again, created = place_order(carts.find_cart(user_id=customer.id), choices,
                                 user=customer, idempotency_key="k-1")
    assert again.id == first.id and not created
    with pytest.raises(Conflict):
        place_order(None, guest_choices(contact=None, address=None, address_id=address.id,
                                        payment_method="bank_transfer"),
                    user=customer, idempotency_key="k-1")


def test_another_customers_address_is_refused(db_session, customer):
    from tests.factories import make_address, make_customer

    starter_delivery()
    someone_else = make_customer()
    theirs = make_address(someone_else.id)
    cart = carts.open_cart(user_id=customer.id)
    carts.add_item(cart, stocked().id, 1)
    with pytest.raises(Invalid) as refused:
        place_order(cart, guest_choices(contact=None, address=None, address_id=theirs.id),
                    user=customer)
    assert refused.value.field == "address_id"
    assert orders.customer_orders(customer.id)[1] == 0


@pytest.mark.parametrize("change, field", [
    ({"delivery_option": "colombo-same-day"}, "delivery_option"),  # does not serve Galle
    ({"payment_method": "bitcoin"}, "payment_method"),
])
def test_a_choice_that_does_not_exist_is_refused(db_session, change, field):
    starter_delivery()
    cart = guest_cart(stocked())
    with pytest.raises(Invalid) as refused:
        place_order(cart, guest_choices(**change))
    assert refused.value.field == field
    assert cart.status == "open"


def test_a_district_that_does_not_exist_is_refused(db_session):
    from tests.checkout.factories import GALLE

    starter_delivery()
    cart = guest_cart(stocked())
    bad = GALLE.__class__(**{**GALLE.__dict__, "district": "atlantis"})
    with pytest.raises(Invalid) as refused:
        place_order(cart, guest_choices(address=bad))
    assert refused.value.field == "district"


def test_stock_gone_since_the_cart_was_filled_is_refused_and_nothing_held(db_session):
    starter_delivery()
    tea = stocked(units=2)
    cart = guest_cart((tea, 2))
    inventory.adjust(tea.id, -1, reason="broken jar")
    with pytest.raises(OutOfStock):
        place_order(cart, guest_choices())
    assert inventory.available([tea.id]) == {tea.id: 1}
    assert inventory.ledger_problems() == []


def test_cancelling_returns_stock_and_places(db_session):
    tea = stocked(units=3)
    visit, slot = service_with_slot(capacity=1)
    order = place_guest_order((tea, 3), (visit, 1, slot))
    orders.change_status(order.number, "cancelled", note="customer phoned")
    assert inventory.available([tea.id]) == {tea.id: 3}
    db_session.refresh(slot)
    assert slot.booked == 0
    assert [e.status for e in order.events if e.kind == "status"] == ["processing", "cancelled"]
    assert inventory.ledger_problems() == []


def test_shipping_turns_the_hold_into_a_sale(db_session):
    tea = stocked(units=4)
    order = place_guest_order((tea, 3))
    line = order.lines[0]
    orders.fulfil(order.number, {line.id: 1})
    assert order.status == "processing"
    orders.fulfil(order.number, {line.id: 2})
    assert order.status == "shipped"
    assert inventory.available([tea.id]) == {tea.id: 1}
    assert inventory.held_units(order.number) == {}
    assert inventory.ledger_problems() == []
    with pytest.raises(Conflict):
        orders.change_status(order.number, "cancelled")


def test_an_empty_cart_cannot_be_checked_out(db_session):
    starter_delivery()
    with pytest.raises(CheckoutProblem):
        place_order(guest_cart(), guest_choices())


def test_out_of_stock_at_the_last_moment_is_a_clear_answer(db_session):
    starter_delivery()
    tea = stocked(units=1)
    first, second = guest_cart(tea), guest_cart(tea)
    place_order(first, guest_choices())
    with pytest.raises(OutOfStock):
        place_order(second, guest_choices())
    assert second.status == "open"
