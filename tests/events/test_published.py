"""What the services publish, with which key and data: ids, numbers and codes, never a
name, an address, a phone or an email."""

from __future__ import annotations

import json

from sqlalchemy import select

from app import db
from app.accounts import privacy, services as accounts
from app.db import transaction
from app.events.models import Event, Handling
from app.inventory import alerts, services as inventory
from app.notifications.models import OutboxMessage
from app.orders import services as orders
from app.payments import refunds, services as payments
from app.payments.models import PaymentEvent
from app.support import services as support
from tests.checkout.factories import GUEST, place_guest_order, stocked
from tests.factories import PASSWORD, make_customer, make_staff


def _published(prefix: str = "") -> list[tuple[str, str, dict]]:
    found = db.session.scalars(select(Event).where(Event.name.startswith(prefix))
                               .order_by(Event.id).execution_options(populate_existing=True))
    return [(e.name, e.key, e.data) for e in found]


def _no_personal_data(*words: str) -> None:
    stored = json.dumps(_published(), default=str)
    for word in words:
        assert word and word not in stored


def test_an_order_publishes_each_step_of_its_life_keyed_by_its_number(db_session):
    tea = stocked(units=5)
    order = place_guest_order((tea, 2), payment_method="bank_transfer")
    manager = make_staff("order_manager")
    payments.mark_collected(order.number, order.due_cents, actor=manager)  # transfer arrived
    for status in ("processing", "shipped", "delivered", "completed"):
        orders.change_status(order.number, status, actor=manager)

    key = f"order:{order.number}"
    assert [(name, k) for name, k, _ in _published("order.")] == [
        ("order.placed", key), ("order.paid", key), ("order.processing", key),
        ("order.shipped", key), ("order.delivered", key), ("order.completed", key)]
    placed = _published("order.placed")[0][2]
    assert placed == {"number": order.number, "user_id": None, "status": "pending_payment",
                      "payment_method": "bank_transfer", "total_cents": order.total_cents,
                      "credit_cents": 0, "points_cents": 0, "channel": "web"}
    assert _published("order.shipped")[0][2] == {
        "number": order.number, "status": "shipped", "previous": "processing"}
    _no_personal_data(GUEST.email, GUEST.name, "771234567")
    # Every message handler ran once: the mails of issue 7, written after the commit.
    handled = db.session.scalars(select(Handling.status).execution_options(
        populate_existing=True)).all()
    assert set(handled) == {"done"}


def test_a_cancellation_and_a_refund_are_published(db_session):
    manager = make_staff("order_manager")
    cancelled = place_guest_order(stocked(units=5))
    orders.change_status(cancelled.number, "cancelled", actor=manager)
    paid = place_guest_order(stocked(units=5), payment_method="bank_transfer")
    with transaction():
        payment = payments.payment_for(paid.number, "bank_transfer")
        payment.events.append(PaymentEvent(kind="captured", amount_cents=paid.total_cents,
                                           dedupe_key="test:capture"))
        payments.apply_outcome(payment, "captured", paid.total_cents, None)

    refund = refunds.refund(paid.number, paid.total_cents, reason="Changed their mind",
                            actor=make_staff("admin"))

    assert ("order.cancelled", f"order:{cancelled.number}",
            {"number": cancelled.number, "status": "cancelled", "previous": "processing"}
            ) in _published()
    [(_, key, data)] = _published("order.refunded")
    assert key == f"order:{paid.number}"
    assert data == {"number": paid.number, "amount_cents": paid.total_cents, "fully": True,
                    "status": "refunded", "previous": "paid", "refund_id": refund.id}


def test_cash_collected_publishes_paid_without_a_paid_message(db_session, outbox):
    order = place_guest_order(stocked(units=5), payment_method="cod")

    payments.mark_collected(order.number, order.total_cents)

    [(_, _, data)] = _published("order.paid")
    assert data["status"] == data["previous"] == order.status
    kinds = {m["X-Kade-Dedupe-Key"].rsplit(":", 1)[1] for m in outbox.to(GUEST.email)}
    assert "order_paid" not in kinds


def test_a_refund_is_told_by_its_handler_once_with_what_was_refunded_so_far(db_session, outbox):
    order = place_guest_order(stocked(units=5), payment_method="cod")
    payments.mark_collected(order.number, order.total_cents)
    orders.change_status(order.number, "shipped")
    orders.change_status(order.number, "delivered")
    admin = make_staff("admin")

    first = refunds.refund(order.number, 100_00, reason="Late", actor=admin)
    second = refunds.refund(order.number, 50_00, reason="Dented", actor=admin)
    refunds.tell_customer(first.id)  # a handler run again: nothing new is queued

    mails = outbox.to(GUEST.email, "order")
    keys = [m["X-Kade-Dedupe-Key"] for m in mails if "order_refunded" in m["X-Kade-Dedupe-Key"]]
    assert keys == [f"order:{order.number}:order_refunded:{first.id}",
                    f"order:{order.number}:order_refunded:{second.id}"]
    rows = {r.dedupe_key: json.loads(r.data) for r in db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.template == "order_refunded"))}
    by_refund = {key.rsplit(":", 1)[1]: data for key, data in rows.items()
                 if not key.endswith(":sms")}
    assert (by_refund[str(first.id)]["refunded_cents"], by_refund[str(first.id)]["fully"]) == (
        100_00, False)
    assert (by_refund[str(second.id)]["refunded_cents"], by_refund[str(second.id)]["fully"]) == (
        150_00, False)


def test_a_customer_registering_and_erasing_their_account_is_published(db_session):
    user = accounts.register(name="Nimal Perera", email="nimal@example.lk",
                             phone="+94771234568", password=PASSWORD, locale="si")

    privacy.erase_account(user.id, password=PASSWORD)

    assert _published("customer.") == [
        ("customer.registered", f"customer:{user.id}", {"user_id": user.id, "locale": "si"}),
        ("customer.erased", f"customer:{user.id}", {"user_id": user.id})]
    _no_personal_data("nimal@example.lk", "Nimal", "771234568")


def test_a_ticket_opened_by_a_customer_or_a_guest_is_published_once(db_session):
    customer = make_customer()
    ticket = support.open_ticket(customer.id, subject="Where is my parcel?", body="A week.")
    order = place_guest_order(stocked(units=5))
    guest = support.guest_ask(order.number, "Can you deliver on Sunday?")
    support.guest_ask(order.number, "Or Monday?")  # the same thread: not opened again

    assert _published("ticket.") == [
        ("ticket.opened", f"ticket:{ticket.id}",
         {"ticket_id": ticket.id, "user_id": customer.id, "order_number": None}),
        ("ticket.opened", f"ticket:{guest.id}",
         {"ticket_id": guest.id, "user_id": None, "order_number": order.number})]


def test_stock_running_low_is_published_once_per_shortage(db_session):
    tea = stocked(units=10)
    inventory.set_threshold(tea.id, 3)
    level = inventory.set_on_hand(tea.id, 2)

    assert alerts.alert_low_stock() == 1
    assert alerts.alert_low_stock() == 0

    assert _published("stock.") == [
        ("stock.low", f"variant:{tea.id}", {"variant_id": tea.id,
                                            "warehouse_id": level.warehouse_id,
                                            "available": 2, "threshold": 3})]
