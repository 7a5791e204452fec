"""Unpaid bank-transfer orders expire: the job cancels them, gives their stock back and tells
the customer; paid-on-delivery and not-yet-due orders are left alone."""

from __future__ import annotations

import datetime as dt

from app.db import transaction, utcnow
from app.inventory import services as inventory
from app.orders import services as orders
from app.payments import services as payments
from jobs.orders import expire_unpaid
from tests.checkout.factories import GUEST, place_guest_order, stocked


def overdue(order, hours: int = 1):
    """Move the order's payment deadline into the past, as if the time had passed."""
    with transaction():
        order.payment_due_at = utcnow() - dt.timedelta(hours=hours)
    return order


def cancellation_mails(outbox, number):
    return [mail for mail in outbox.to(GUEST.email, "order")
            if mail["X-Kade-Dedupe-Key"] == f"order:{number}:order_cancelled"]


def test_an_overdue_bank_transfer_order_is_cancelled_and_its_stock_comes_back(
        app_ctx, db_session, outbox):
    tea = stocked(units=5)
    order = overdue(place_guest_order((tea, 2), payment_method="bank_transfer"))
    assert order.status == "pending_payment"
    assert inventory.available([tea.id]) == {tea.id: 3}

    expired = expire_unpaid()

    assert expired == [order.number]
    order = orders.find_by_number(order.number)
    assert order.status == "cancelled"
    assert inventory.available([tea.id]) == {tea.id: 5}
    assert inventory.held_units(order.number) == {}
    assert inventory.ledger_problems() == []
    last = order.events[-1]
    assert (last.status, last.actor_kind, last.public) == ("cancelled", "system", True)
    assert "payment did not arrive in time" in last.note
    [mail] = cancellation_mails(outbox, order.number)
    assert order.number in mail["Subject"]


def test_cash_on_delivery_and_orders_not_yet_due_are_left_alone(app_ctx, db_session, outbox):
    tea = stocked(units=10)
    cod = place_guest_order(tea, payment_method="cod")
    waiting = place_guest_order(tea, payment_method="bank_transfer")
    late = overdue(place_guest_order(tea, payment_method="bank_transfer"))
    assert cod.payment_due_at is None
    assert waiting.payment_due_at > utcnow() + dt.timedelta(hours=71)  # UNPAID_ORDER_HOURS

    assert expire_unpaid() == [late.number]

    assert orders.find_by_number(cod.number).status == "processing"
    assert orders.find_by_number(waiting.number).status == "pending_payment"
    assert inventory.held_units(cod.number) == {tea.id: 1}
    assert inventory.held_units(waiting.number) == {tea.id: 1}
    assert inventory.available([tea.id]) == {tea.id: 8}
    assert cancellation_mails(outbox, cod.number) == []
    assert cancellation_mails(outbox, waiting.number) == []


def test_a_paid_order_does_not_expire_even_past_its_old_deadline(app_ctx, db_session):
    tea = stocked(units=5)
    order = place_guest_order(tea, payment_method="bank_transfer")
    payments.mark_collected(order.number, order.due_cents)  # the transfer arrived

    assert expire_unpaid() == []

    assert orders.find_by_number(order.number).status == "paid"
    assert inventory.held_units(order.number) == {tea.id: 1}


def test_running_the_job_twice_changes_nothing_more(app_ctx, db_session, outbox):
    tea = stocked(units=5)
    order = overdue(place_guest_order((tea, 2), payment_method="bank_transfer"))
    assert expire_unpaid() == [order.number]
    mails_after_first = len(outbox.messages())

    assert expire_unpaid() == []

    assert orders.find_by_number(order.number).status == "cancelled"
    assert inventory.available([tea.id]) == {tea.id: 5}
    assert len(outbox.messages()) == mails_after_first
    assert len(cancellation_mails(outbox, order.number)) == 1
    assert [e.status for e in orders.find_by_number(order.number).events].count(
        "cancelled") == 1
    assert inventory.ledger_problems() == []


def test_the_command_line_expires_unpaid_orders(app, app_ctx, db_session):
    tea = stocked(units=5)
    order = overdue(place_guest_order(tea, payment_method="bank_transfer"))

    result = app.test_cli_runner().invoke(args=["orders", "expire-unpaid"])

    assert result.exit_code == 0, result.output
    assert f"cancelled {order.number}" in result.output
    assert "1 unpaid orders expired" in result.output
    assert orders.find_by_number(order.number).status == "cancelled"
    again = app.test_cli_runner().invoke(args=["orders", "expire-unpaid"])
    assert "0 unpaid orders expired" in again.output
