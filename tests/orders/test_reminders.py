"""Bank-transfer customers are reminded once, a day before their order would be cancelled."""

from __future__ import annotations

import datetime as dt

from app.orders import reminders
from jobs import orders as order_jobs
from tests.checkout.factories import place_guest_order, stocked


def _reminders(outbox, number):
    return [m for m in outbox.messages()
            if m["X-Kade-Dedupe-Key"] == f"order:{number}:payment_reminder"]


def test_a_reminder_goes_once_when_a_day_is_left(db_session, outbox):
    order = place_guest_order(stocked(), payment_method="bank_transfer")
    cod = place_guest_order(stocked("Jar"))
    placed, due = order.placed_at, order.payment_due_at

    assert reminders.remind_unpaid(placed + dt.timedelta(minutes=30)) == []  # too fresh
    assert reminders.remind_unpaid(due - dt.timedelta(hours=30)) == []  # too early
    reminded = reminders.remind_unpaid(due - dt.timedelta(hours=20))
    again = reminders.remind_unpaid(due - dt.timedelta(hours=10))
    assert reminded == [order.number] and again == []
    [mail] = _reminders(outbox, order.number)
    assert order.number in mail["Subject"]
    assert "Rs." in outbox.text(mail)  # the total
    assert reminders.remind_unpaid(due + dt.timedelta(minutes=1)) == []  # past: expiry's turn
    assert _reminders(outbox, cod.number) == []


def test_the_job_runs_the_service(app, db_session):
    place_guest_order(stocked(), payment_method="bank_transfer")
    assert order_jobs.remind_unpaid() == []  # 72 hours left: nothing yet
