"""The wallet's ledger: credit in, spend out, never below zero, expiry from the ledger,
goodwill from staff with a reason and the permission, a cancelled order's credit back."""

from __future__ import annotations

import datetime as dt

import pytest

from app import db
from app.audit.models import AuditEntry
from app.db import utcnow
from app.errors import Forbidden, Invalid
from app.wallet import services as wallet
from app.wallet.models import WalletEntry
from tests.factories import make_customer, make_staff

DAY = dt.timedelta(days=1)


def test_credit_then_spend_moves_the_balance_and_keeps_every_entry(db_session):
    customer = make_customer()
    wallet.add(customer.id, 500_00, kind="refund", order_number="KD-2026-000001")
    wallet.spend(customer.id, 120_50, order_number="KD-2026-000002")

    assert wallet.balance(customer.id) == 379_50
    entries = wallet.history(customer.id)
    assert [(e.kind, e.amount, e.balance_after) for e in entries] == [
        ("spent", -120_50, 379_50), ("refund", 500_00, 500_00)]
    assert wallet.spent_on("KD-2026-000002") == 120_50


def test_spending_more_than_the_balance_is_refused_with_the_balance(db_session, app):
    customer = make_customer()
    wallet.add(customer.id, 100_00, kind="goodwill", reason="late delivery")

    with pytest.raises(wallet.NotEnoughCredit) as refused:
        wallet.spend(customer.id, 100_01, order_number="KD-2026-000003")

    assert refused.value.data["balance"] == 100_00
    with app.test_request_context():
        assert "Rs. 100.00" in str(refused.value.message)
    assert wallet.balance(customer.id) == 100_00
    assert db.session.query(WalletEntry).filter_by(kind="spent").count() == 0


def test_a_customer_without_a_wallet_has_nothing_to_spend(db_session):
    customer = make_customer()
    assert wallet.balance(customer.id) == 0
    assert wallet.balance(None) == 0
    with pytest.raises(wallet.NotEnoughCredit):
        wallet.spend(customer.id, 1, order_number="KD-2026-000004")
    with pytest.raises(Invalid):
        wallet.add(customer.id, 0, kind="goodwill")


def test_spends_take_the_credit_that_lapses_first_and_the_rest_expires_on_its_date(db_session):
    customer = make_customer()
    now = utcnow()
    keeps = wallet.add(customer.id, 300_00, kind="refund")
    lapses = wallet.add(customer.id, 200_00, kind="cashback", expires_at=now + 10 * DAY)
    wallet.spend(customer.id, 150_00, order_number="KD-2026-000005")

    # The spend came out of the lapsing credit: 50 of it is left, the other 300 untouched.
    [soon] = wallet.expiring(customer.id)
    assert (soon.entry_id, soon.left) == (lapses.id, 50_00)
    assert wallet.balance(customer.id) == 350_00
    later = now + 11 * DAY
    assert wallet.balance(customer.id, at=later) == 300_00  # before the job runs, too

    assert wallet.expire_due(at=later) == 1
    assert wallet.expire_due(at=later) == 0  # twice: nothing more
    assert wallet.balance(customer.id, at=later) == 300_00
    expired = db.session.query(WalletEntry).filter_by(kind="expired").one()
    assert (expired.amount, expired.lot_id, expired.balance_after) == (-50_00, lapses.id, 300_00)
    assert keeps.amount == 300_00  # no entry was ever changed


def test_a_cancelled_orders_credit_goes_back_to_the_credits_it_came_from(db_session):
    customer = make_customer()
    soon = utcnow() + 5 * DAY
    wallet.add(customer.id, 80_00, kind="cashback", expires_at=soon)
    wallet.add(customer.id, 100_00, kind="refund")
    wallet.spend(customer.id, 120_00, order_number="KD-2026-000006")
    assert wallet.balance(customer.id) == 60_00

    assert wallet.give_back("KD-2026-000006") == 120_00
    assert wallet.give_back("KD-2026-000006") == 0
    assert wallet.balance(customer.id) == 180_00
    # The 80 keeps its expiry: spending and cancelling never stretches a credit's life.
    assert [(lot.left, lot.expires_at) for lot in wallet.expiring(customer.id)] == [
        (80_00, soon)]
    assert wallet.spent_on("KD-2026-000006") == 0


def test_goodwill_needs_the_permission_and_a_reason_and_is_audited(db_session):
    customer = make_customer()
    agent = make_staff("support_agent")
    with pytest.raises(Forbidden):
        wallet.give_goodwill(customer.id, 50_00, "sorry", actor=make_staff("catalog_manager"))
    with pytest.raises(Invalid) as no_reason:
        wallet.give_goodwill(customer.id, 50_00, "   ", actor=agent)
    assert no_reason.value.field == "reason"
    with pytest.raises(Invalid) as too_much:
        wallet.give_goodwill(customer.id, 100_000_01, "typo", actor=agent)
    assert too_much.value.field == "amount"
    with pytest.raises(Invalid):
        wallet.give_goodwill(customer.id, 50_00, "sorry", actor=agent,
                             expires_at=utcnow() - DAY)

    entry = wallet.give_goodwill(customer.id, 50_00, "Parcel  came late", actor=agent,
                                 request_key="form-1")
    again = wallet.give_goodwill(customer.id, 50_00, "Parcel came late", actor=agent,
                                 request_key="form-1")

    assert again.id == entry.id  # a form posted twice gives once
    assert wallet.balance(customer.id) == 50_00
    assert (entry.reason, entry.actor_id) == ("Parcel came late", agent.id)
    audit = db.session.query(AuditEntry).filter_by(action="wallet.goodwill").all()
    assert audit and audit[0].target_id == str(customer.id)
    assert audit[0].details["amount_cents"] == 50_00


def test_goodwill_credit_is_told_to_the_customer_once(db_session, outbox):
    customer = make_customer(email="told@example.lk")
    agent = make_staff("support_agent")
    for _ in range(2):
        wallet.give_goodwill(customer.id, 75_00, "Wrong size sent", actor=agent,
                             request_key="form-9")

    [mail] = outbox.to("told@example.lk", "wallet")
    assert mail["Subject"] == "Rs. 75.00 of store credit from Kade"
    text = outbox.text(mail)
    assert "You now have Rs. 75.00" in text and "Why: Wrong size sent" in text


def test_a_goodwill_form_posted_twice_at_once_credits_once(app, monkeypatch):
    # Two posts of one form (its key) at the same instant: both found no entry before the
    # account's lock, and the second then wrote the same key again (an error page).
    import threading
    import time

    with app.app_context():
        customer_id = make_customer().id
        wallet.add(customer_id, 1_00, kind="goodwill", reason="opened the wallet")
        db.session.remove()
    write = wallet._write

    def slow_write(*args, **kwargs):  # the first holds the lock while the second waits
        time.sleep(0.3)
        return write(*args, **kwargs)

    monkeypatch.setattr(wallet, "_write", slow_write)
    start, errors = threading.Barrier(2, timeout=30), []

    def post() -> None:
        with app.app_context():
            start.wait()
            try:
                wallet.add(customer_id, 200_00, kind="goodwill", reason="late delivery",
                           dedupe_key="goodwill:form-1")
            except Exception as error:  # the test shows it
                errors.append(repr(error))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=post) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    with app.app_context():
        assert wallet.balance(customer_id) == 201_00


def test_a_form_key_is_the_customers_own_and_the_units_own(db_session):
    # The same key posted for another customer (a form copied between tabs, a replayed post)
    # or on the points form returned the first entry: nothing was given, and staff were
    # told it was.
    first, second = make_customer(), make_customer()
    manager = make_staff("admin")  # gives credit and adjusts wallets

    given = wallet.give_goodwill(first.id, 50_00, "Parcel came late", actor=manager,
                                 request_key="form-1")
    other = wallet.give_goodwill(second.id, 30_00, "Wrong size", actor=manager,
                                 request_key="form-1")
    credit = wallet.adjust(first.id, 10_00, "Typo", actor=manager, request_key="form-2")
    points = wallet.adjust(first.id, 25, "Typo", actor=manager, request_key="form-2",
                           unit="points")

    assert other.id != given.id and points.id != credit.id
    assert (wallet.balance(first.id), wallet.balance(second.id)) == (60_00, 30_00)
    assert wallet.balance(first.id, "points") == 25


def test_a_form_key_of_any_length_gives_once(db_session):
    customer = make_customer()
    manager = make_staff("admin")  # gives credit and adjusts wallets
    key = "k" * 5_000  # a hidden field carries what it is sent

    entries = {wallet.give_goodwill(customer.id, 40_00, "Late", actor=manager,
                                    request_key=key).id for _ in range(2)}

    assert len(entries) == 1 and wallet.balance(customer.id) == 40_00
