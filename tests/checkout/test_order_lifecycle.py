"""An order's life after checkout: statuses, timeline, who may see and change it."""

from __future__ import annotations

import pytest

from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.inventory import services as inventory
from app.orders import services as orders
from app.payments import services as payments
from tests.checkout.factories import place_guest_order, stocked
from tests.factories import make_customer, make_staff


def test_the_happy_path_of_a_bank_transfer_order(db_session, outbox):
    tea = stocked(units=5)
    order = place_guest_order((tea, 2), payment_method="bank_transfer")
    assert order.status == "pending_payment" and order.payment_due_at is not None

    manager = make_staff("order_manager")
    # The transfer arrives (staff record it on the payment): the ledger makes it paid.
    payments.mark_collected(order.number, order.due_cents, actor=manager)
    for status in ("processing", "shipped", "delivered", "completed"):
        orders.change_status(order.number, status, actor=manager)
    assert order.status == "completed" and order.payment_status == "paid"
    assert [e.status for e in order.events] == [
        "pending_payment", "paid", "processing", "shipped", "delivered", "completed"]
    # The paid step names who recorded the transfer, as the steps after it do.
    assert [(e.actor_kind, e.actor_id) for e in order.events[1:]] == [("staff", manager.id)] * 5
    assert inventory.available([tea.id]) == {tea.id: 3}
    assert inventory.held_units(order.number) == {}
    kinds = sorted(m["X-Kade-Dedupe-Key"].rsplit(":", 1)[1] for m in outbox.to("sarah@example.lk"))
    assert kinds == ["order_delivered", "order_paid", "order_placed", "order_shipped"]


def test_a_transition_that_makes_no_sense_is_refused(db_session):
    order = place_guest_order(stocked())
    with pytest.raises(Conflict):
        orders.change_status(order.number, "delivered")  # not shipped yet
    with pytest.raises(Conflict):
        orders.change_status(order.number, "no-such-status")
    assert order.status == "processing" and len(order.events) == 1


def test_only_order_staff_change_orders(db_session):
    order = place_guest_order(stocked())
    for role in ("support_agent", "catalog_manager", "marketing"):
        with pytest.raises(Forbidden):
            orders.change_status(order.number, "shipped", actor=make_staff(role))
    assert order.status == "processing"


def test_notes_are_private_unless_shown_to_the_customer(db_session):
    order = place_guest_order(stocked())
    manager = make_staff("order_manager")
    orders.add_note(order.number, "Customer asked for a gift wrap", actor=manager)
    orders.add_note(order.number, "We added a gift wrap", public=True, actor=manager)
    assert [e.note for e in orders.public_events(order) if e.kind == "note"] == [
        "We added a gift wrap"]
    with pytest.raises(Invalid):
        orders.add_note(order.number, "x" * 1001, actor=manager)


def test_customers_see_only_their_own_orders(db_session):
    from app.checkout import cart as carts
    from app.checkout.services import place_order
    from tests.checkout.factories import guest_choices, starter_delivery
    from tests.factories import make_address

    starter_delivery()
    owner, stranger = make_customer(), make_customer()
    cart = carts.open_cart(user_id=owner.id)
    carts.add_item(cart, stocked().id, 1)
    order, _ = place_order(cart, guest_choices(contact=None, address=None,
                                               address_id=make_address(owner.id).id),
                           user=owner)
    assert orders.customer_order(order.number, owner.id).id == order.id
    assert orders.customer_orders(owner.id)[1] == 1
    assert orders.customer_orders(stranger.id) == ([], 0)
    with pytest.raises(NotFound):
        orders.customer_order(order.number, stranger.id)
    with pytest.raises(NotFound):
        orders.customer_order("KD-2026-999999", owner.id)


def test_a_guest_reaches_their_order_only_with_its_signed_link(db_session):
    order = place_guest_order(stocked())
    other = place_guest_order(stocked("Jar"))
    assert orders.guest_order(order.number, orders.guest_token(order.number)).id == order.id
    with pytest.raises(NotFound):
        orders.guest_order(order.number, orders.guest_token(other.number))
    with pytest.raises(NotFound):
        orders.guest_order(order.number, "forged")


def test_a_customer_cancels_before_shipping_and_the_stock_comes_back(db_session):
    tea = stocked(units=2)
    order = place_guest_order((tea, 2))
    assert orders.can_cancel(order)
    orders.cancel_by_customer(order, reason="Ordered twice")
    assert order.status == "cancelled" and inventory.available([tea.id]) == {tea.id: 2}
    assert order.events[-1].actor_kind == "customer" and order.events[-1].note == "Ordered twice"
    with pytest.raises(Conflict):
        orders.cancel_by_customer(order)


def test_a_shipped_order_cannot_be_cancelled_but_can_be_returned_once_delivered(db_session):
    order = place_guest_order(stocked())
    orders.change_status(order.number, "shipped")
    assert not orders.can_cancel(order)
    with pytest.raises(Conflict):
        orders.cancel_by_customer(order)
    with pytest.raises(Conflict):
        orders.request_return(order, "Too small")  # not delivered yet
    orders.change_status(order.number, "delivered")
    with pytest.raises(Invalid):
        orders.request_return(order, "  ")
    orders.request_return(order, "Too small")
    with pytest.raises(Conflict):
        orders.request_return(order, "Again")
    assert [e.kind for e in order.events][-1] == "return_request"


def test_partial_fulfilment_refuses_more_than_is_left(db_session):
    order = place_guest_order((stocked(units=5), 3))
    line = order.lines[0]
    with pytest.raises(Invalid):
        orders.fulfil(order.number, {line.id: 4})
    with pytest.raises(Invalid):
        orders.fulfil(order.number, {line.id + 1000: 1})
    with pytest.raises(Invalid):
        orders.fulfil(order.number, {line.id: 0})
    assert line.fulfilled_quantity == 0 and inventory.ledger_problems() == []


def test_staff_filter_orders(db_session):
    cod = place_guest_order(stocked())
    transfer = place_guest_order(stocked("Jar"), payment_method="bank_transfer")
    manager = make_staff("order_manager")
    found, total = orders.staff_orders(orders.OrderFilter(payment_method="bank_transfer"),
                                       actor=manager)
    assert [o.number for o in found] == [transfer.number] and total == 1
    found, _ = orders.staff_orders(orders.OrderFilter(status="processing"), actor=manager)
    assert [o.number for o in found] == [cod.number]
    found, _ = orders.staff_orders(orders.OrderFilter(district="colombo"), actor=manager)
    assert found == []
    with pytest.raises(Forbidden):
        orders.staff_orders(actor=make_staff("support_agent"))
