"""PayHere: the checkout hash, and notifications applied once, in any order, and only when
they check out."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import pytest

from app import db
from app.audit.models import AuditEntry
from app.orders import services as orders
from app.payments import payhere, services as payments
from app.payments.models import Payment, PaymentEvent
from tests.checkout.factories import place_guest_order, stocked
from tests.conftest import Outbox

MERCHANT = "1211149"
SECRET = "MzA0NjA3OTI1MTI4NjM4MjQ0MDcxNzM2OTMwNjY5MTM1MjcyMTQ0Mg=="


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest().upper()  # noqa: S324 — PayHere's formula


def test_the_checkout_hash_follows_payheres_formula():
    # Computed here from the documented formula, not by the adapter.
    expected = _md5(MERCHANT + "KD-2026-000123" + "1250.00" + "LKR" + _md5(SECRET))
    assert expected == "FBF0F0A444397D232515C97D50D705CE"  # ../shared/PAYHERE.md test vector
    assert payhere.checkout_hash(MERCHANT, "KD-2026-000123", "1250.00", "LKR", SECRET) == expected


def test_the_checkout_form_carries_the_amount_with_two_decimals_and_its_hash():
    url, fields = payhere.checkout_form(
        merchant_id=MERCHANT, merchant_secret=SECRET, sandbox=True, order_id="KD-2026-000123",
        amount_cents=125_000, currency="LKR", items="Ceylon tea",
        customer={"first_name": "Sarah", "last_name": "Fernando", "email": "s@example.lk",
                  "phone": "+94771234567", "address": "5 Church Street", "city": "Galle"},
        return_url="https://shop/r", cancel_url="https://shop/c", notify_url="https://shop/n")
    assert url == "https://sandbox.payhere.lk/pay/checkout"
    assert fields["amount"] == "1250.00" and fields["currency"] == "LKR"
    assert fields["hash"] == "FBF0F0A444397D232515C97D50D705CE"


@pytest.mark.parametrize("cents, text", [(0, "0.00"), (5, "0.05"), (125_000, "1250.00"),
                                          (123_456_789, "1234567.89")])
def test_amounts_are_written_without_floats(cents, text):
    assert payhere.format_amount(cents) == text and payhere.parse_amount(text) == cents


# "²" and "٣" pass str.isdigit(); int() refuses the first and reads the second.
@pytest.mark.parametrize("text", ["", "abc", "-1.00", "1.234", "1e3", "12.5.0", "²", "1.²", "٣.00"])
def test_what_is_not_an_amount_is_refused(text):
    assert payhere.parse_amount(text) is None


def test_the_documented_signature_vector():
    assert payhere.notification_signature(MERCHANT, "KD-2026-000123", "1250.00", "LKR", "2",
                                          SECRET) == "0E77A1A98574F3521A0EB6A167C4932F"


# ---- notifications against the ledger -------------------------------------------------------

@pytest.fixture()
def payhere_app(make_app):
    return make_app(PAYHERE_MERCHANT_ID=MERCHANT, PAYHERE_MERCHANT_SECRET=SECRET)


@pytest.fixture()
def outbox(payhere_app):
    """The mails of this test's app (it has its own outbox and job threads)."""
    return Outbox(payhere_app, Path(payhere_app.config["OUTBOX_DIR"]))


def _form(number: str, total_cents: int, status: str = "2", *, payment_id="320025071",
          amount: str | None = None, currency="LKR", secret=SECRET, merchant=MERCHANT) -> dict:
    amount = amount or payhere.format_amount(total_cents)
    return {"merchant_id": merchant, "order_id": number, "payment_id": payment_id,
            "payhere_amount": amount, "payhere_currency": currency, "status_code": status,
            "md5sig": payhere.notification_signature(merchant, number, amount, currency,
                                                     status, secret),
            "status_message": "Successfully completed", "method": "VISA",
            "card_holder_name": "SARAH FERNANDO", "card_no": "************1292"}


def _state(app, number):
    with app.app_context():
        order = orders.find_by_number(number)
        payment = payments.payment_for(number, "payhere")
        captures = db.session.query(PaymentEvent).filter_by(
            payment_id=payment.id, kind="captured").count()
        result = (order.status, payment.status, captures, payment.flagged)
        db.session.remove()
        return result


def _paid_mails(outbox, number):
    return [m for m in outbox.messages()
            if m["X-Kade-Dedupe-Key"] == f"order:{number}:order_paid"]


def test_a_signed_notification_pays_the_order_once_however_often_it_comes(
        payhere_app, awaiting, outbox):
    number, total = awaiting
    client = payhere_app.test_client()
    answers = [client.post("/payments/payhere/notify", data=_form(number, total))
               for _ in range(6)]
    assert {(a.status_code, a.text) for a in answers} == {(200, "OK")}
    assert _state(payhere_app, number) == ("paid", "captured", 1, None)
    assert len(_paid_mails(outbox, number)) == 1


def test_ten_concurrent_copies_record_one_capture(payhere_app, awaiting, outbox):
    number, total = awaiting
    start = threading.Barrier(10)
    outcomes = []

    def post():
        with payhere_app.app_context():
            start.wait()
            outcomes.append(payments.record_payhere_notification(_form(number, total)))
            db.session.remove()

    threads = [threading.Thread(target=post) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) == ["applied"] + ["duplicate"] * 9
    assert _state(payhere_app, number) == ("paid", "captured", 1, None)
    assert len(_paid_mails(outbox, number)) == 1


@pytest.mark.parametrize("tamper", [
    {"secret": "not-the-secret"},
    {"amount": "1.00"},
    {"currency": "USD"},
    {"merchant": "999999"},
])
def test_a_notification_that_does_not_check_out_changes_nothing(
        payhere_app, awaiting, outbox, tamper):
    number, total = awaiting
    answer = payhere_app.test_client().post("/payments/payhere/notify",
                                            data=_form(number, total, **tamper))
    assert (answer.status_code, answer.text) == (200, "OK")  # nothing about why
    order_status, payment_status, captures, _ = _state(payhere_app, number)
    assert (order_status, payment_status, captures) == ("pending_payment", "initiated", 0)
    with payhere_app.app_context():
        refused = db.session.query(AuditEntry).filter_by(
            action="payments.notification_refused").all()
        assert len(refused) == 1 and not refused[0].success
        db.session.remove()


def test_a_notification_for_an_unknown_order_changes_nothing(payhere_app, awaiting):
    number, total = awaiting
    outcome = None
    with payhere_app.app_context():
        outcome = payments.record_payhere_notification(_form("KD-2026-999999", total))
        db.session.remove()
    assert outcome == "refused"
    assert _state(payhere_app, number)[:3] == ("pending_payment", "initiated", 0)


def test_a_wrong_amount_is_flagged_for_staff(payhere_app, awaiting):
    number, total = awaiting
    with payhere_app.app_context():
        payments.record_payhere_notification(_form(number, total, amount="1.00"))
        db.session.remove()
    assert "PayHere sent 100 LKR" in _state(payhere_app, number)[3]


def test_success_after_cancel_pays_and_pending_after_success_changes_nothing(
        payhere_app, awaiting):
    number, total = awaiting
    with payhere_app.app_context():
        for status in ("-1", "2", "0", "-2"):
            payments.record_payhere_notification(_form(number, total, status))
        db.session.remove()
    assert _state(payhere_app, number) == ("paid", "captured", 1, None)


def test_a_cancel_leaves_the_order_payable(payhere_app, awaiting):
    number, total = awaiting
    with payhere_app.app_context():
        payments.record_payhere_notification(_form(number, total, "-1"))
        db.session.remove()
    assert _state(payhere_app, number)[:2] == ("pending_payment", "cancelled")


def test_a_charge_back_after_capture_is_flagged(payhere_app, awaiting):
    number, total = awaiting
    with payhere_app.app_context():
        payments.record_payhere_notification(_form(number, total, "2"))
        payments.record_payhere_notification(_form(number, total, "-3"))
        db.session.remove()
    order_status, payment_status, _, flagged = _state(payhere_app, number)
    assert (order_status, payment_status) == ("paid", "charged_back") and "Charged back" in flagged


def test_money_for_a_cancelled_order_is_flagged_for_refund(payhere_app, awaiting):
    number, total = awaiting
    with payhere_app.app_context():
        orders.change_status(number, "cancelled")
        payments.record_payhere_notification(_form(number, total, "2"))
        db.session.remove()
    order_status, payment_status, _, flagged = _state(payhere_app, number)
    assert (order_status, payment_status) == ("cancelled", "captured")
    assert "refund" in flagged


def test_a_second_payment_for_a_paid_order_is_flagged_for_refund(payhere_app, awaiting):
    number, total = awaiting
    with payhere_app.app_context():
        # Paid in two tabs: PayHere took the money twice, under two payment ids.
        payments.record_payhere_notification(_form(number, total, payment_id="320025071"))
        payments.record_payhere_notification(_form(number, total, payment_id="320025072"))
        db.session.remove()
    order_status, payment_status, _, flagged = _state(payhere_app, number)
    assert (order_status, payment_status) == ("paid", "captured")
    assert flagged and "320025072" in flagged and "refund" in flagged


def test_checkout_opens_a_payment_for_the_order(db_session):
    order = place_guest_order(stocked())
    payment = db_session.query(Payment).filter_by(order_number=order.number).one()
    assert (payment.method, payment.status, payment.amount_cents) == (
        "cod", "initiated", order.total_cents)


def test_staff_mark_cash_collected(db_session):
    from app.errors import Forbidden, Invalid
    from tests.factories import make_staff

    order = place_guest_order(stocked())
    with pytest.raises(Forbidden):
        payments.mark_collected(order.number, order.total_cents,
                                actor=make_staff("support_agent"))
    with pytest.raises(Invalid):
        payments.mark_collected(order.number, 1, actor=make_staff("order_manager"))
    collector = make_staff("order_manager")
    payment = payments.mark_collected(order.number, order.total_cents, actor=collector)
    db_session.refresh(order)
    assert payment.status == "captured" and order.payment_status == "paid"
    assert order.status == "processing"  # still to be sent
    # The timeline says who took the cash (the audit log says it too).
    noted = order.events[-1]
    assert (noted.note, noted.actor_kind, noted.actor_id) == (
        "payment received", "staff", collector.id)
