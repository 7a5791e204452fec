"""Plans paid by PayHere's recurring payments, as PayHere's notifications say (signed with
the shop's merchant secret, posted to the shop's one notification address): the first
payment, three instalments, a failed one (past due, then expired after the grace, benefits
gone), a forged or replayed notification (no change), and cancel through PayHere's
Merchant API (a local server that speaks it)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from app import db
from app.db import utcnow
from app.errors import DomainError
from app.payments import payhere, sandbox
from app.plans import payhere_flow, services as plans
from app.plans.models import PlanPaymentEvent
from app.plans.services import PlanInput
from tests.conftest import Outbox
from tests.factories import make_customer
from tests.payments.test_refunds import (  # noqa: F401 — payhere_api is a fixture
    MERCHANT,
    SECRET,
    _payhere_app,
    payhere_api,
)

DAY = dt.timedelta(days=1)
NOTIFY = "/payments/payhere/notify"


def notification(order_id: str, cents: int, message_type: str, *, payment_id: str,
                 status: str = "2", subscription_id: str = "420075032", secret: str = SECRET,
                 paid: int = 1) -> dict:
    amount = payhere.format_amount(cents)
    return {"merchant_id": MERCHANT, "order_id": order_id, "payment_id": payment_id,
            "payhere_amount": amount, "payhere_currency": "LKR", "status_code": status,
            "md5sig": payhere.notification_signature(MERCHANT, order_id, amount, "LKR", status,
                                                     secret),
            "method": "VISA", "status_message": "Successfully completed the payment.",
            "recurring": "1", "subscription_id": subscription_id,
            "message_type": message_type, "item_recurrence": "1 Month",
            "item_duration": "Forever", "item_rec_status": "0",
            "item_rec_date_next": "2027-01-06", "item_rec_install_paid": str(paid)}


@pytest.fixture()
def ph_app(make_app, payhere_api):  # noqa: F811
    """The shop with PayHere's merchant account and Merchant API credentials."""
    return _payhere_app(make_app, payhere_api.url)


@pytest.fixture()
def outbox(ph_app):
    """The mails of this test's app (it has its own outbox and job threads)."""
    return Outbox(ph_app, Path(ph_app.config["OUTBOX_DIR"]))


@pytest.fixture()
def member(ph_app):
    """A customer who chose Kade Plus (Rs 990 a month) paid by PayHere: pending, with the
    first invoice to pay on PayHere's page."""
    with ph_app.app_context():
        plans.save_plan(PlanInput(code="kade-plus", name_en="Kade Plus", price_cents=990_00,
                                  free_delivery=True, grace_days=7), actor=None)
        customer = make_customer(email="plus.member@example.lk")
        subscription = plans.subscribe(customer.id, "kade-plus", "payhere")
        first = plans.open_invoice(subscription.id).number
        db.session.commit()
        return {"user_id": customer.id, "subscription_id": subscription.id, "first": first}


def _state(ph_app, member):
    with ph_app.app_context():
        subscription = plans.live_subscription(member["user_id"])
        return None if subscription is None else subscription.state


def test_the_hosted_form_sets_up_a_monthly_recurring_charge(ph_app, member):
    with ph_app.test_request_context(), ph_app.app_context():
        invoice = plans.open_invoice(member["subscription_id"])
        form = payhere_flow.hosted_form(invoice, {"first_name": "Plus", "email": "p@x.lk"})

    fields = form.fields
    assert (fields["order_id"], fields["amount"]) == (member["first"], "990.00")
    assert (fields["recurrence"], fields["duration"]) == ("1 Month", "Forever")
    assert fields["notify_url"].endswith(NOTIFY)
    assert fields["hash"] == payhere.checkout_hash(MERCHANT, member["first"], "990.00", "LKR",
                                                   SECRET)


def test_first_payment_then_three_instalments_extend_the_plan(ph_app, member, outbox):
    client = ph_app.test_client()
    assert client.post(NOTIFY, data=notification(
        member["first"], 990_00, "AUTHORIZATION_SUCCESS", payment_id="320025001")
    ).status_code == 200
    with ph_app.app_context():
        subscription = plans.live_subscription(member["user_id"])
        assert (subscription.state, subscription.payhere_subscription_id) == (
            "active", "420075032")
        first_end = subscription.period_end

    for n in range(3):
        client.post(NOTIFY, data=notification(
            member["first"], 990_00, "RECURRING_INSTALLMENT_SUCCESS",
            payment_id=f"32002510{n}", paid=n + 2))

    with ph_app.app_context():
        subscription = plans.live_subscription(member["user_id"])
        assert subscription.state == "active"
        end = first_end
        for _ in range(3):
            end = plans.period_after(end, "month")
        assert subscription.period_end == end
        assert db.session.query(PlanPaymentEvent).count() == 4
    assert outbox.to("plus.member@example.lk")  # welcome and renewals, by mail


def test_a_failed_instalment_is_past_due_then_expires_after_the_grace(ph_app, member, outbox):
    client = ph_app.test_client()
    client.post(NOTIFY, data=notification(member["first"], 990_00, "AUTHORIZATION_SUCCESS",
                                          payment_id="320025001"))
    client.post(NOTIFY, data=notification(member["first"], 990_00,
                                          "RECURRING_INSTALLMENT_FAILED", status="-2",
                                          payment_id="320025002"))

    with ph_app.app_context():
        subscription = plans.live_subscription(member["user_id"])
        assert subscription.state == "past_due"
        grace = subscription.grace_until
        assert plans.benefits_plan(member["user_id"], grace - DAY)[1] is not None
        plans.renew_due(now=grace + dt.timedelta(minutes=1))
        db.session.commit()
        assert plans.benefits_plan(member["user_id"]) == (None, None)
    assert _state(ph_app, member) is None  # expired: no live plan
    failed = [m for m in outbox.to("plus.member@example.lk")
              if "did not go through" in m["Subject"]]
    assert failed and "/account/plan" in outbox.text(failed[0])


def test_a_forged_or_replayed_notification_changes_nothing(ph_app, member):
    client = ph_app.test_client()
    forged = notification(member["first"], 990_00, "AUTHORIZATION_SUCCESS",
                          payment_id="320025001", secret="not-the-secret")
    assert client.post(NOTIFY, data=forged).status_code == 200
    assert _state(ph_app, member) == "pending"

    wrong_amount = notification(member["first"], 9_00, "AUTHORIZATION_SUCCESS",
                                payment_id="320025009")
    client.post(NOTIFY, data=wrong_amount)
    assert _state(ph_app, member) == "pending"

    real = notification(member["first"], 990_00, "AUTHORIZATION_SUCCESS",
                        payment_id="320025001")
    client.post(NOTIFY, data=real)
    with ph_app.app_context():
        end = plans.live_subscription(member["user_id"]).period_end
    for _ in range(3):
        client.post(NOTIFY, data=real)
    with ph_app.app_context():
        assert plans.live_subscription(member["user_id"]).period_end == end
        assert db.session.query(PlanPaymentEvent).count() == 1


def test_cancel_stops_the_payhere_subscription_through_its_api(ph_app, member, payhere_api):  # noqa: F811
    client = ph_app.test_client()
    client.post(NOTIFY, data=notification(member["first"], 990_00, "AUTHORIZATION_SUCCESS",
                                          payment_id="320025001"))

    with ph_app.app_context():
        subscription, stopped = payhere_flow.cancel(member["user_id"])
        assert stopped and subscription.state == "cancelled"
    [call] = [r for r in payhere_api.requests if r["path"].endswith("/subscription/cancel")]
    assert json.loads(call["body"]) == {"subscription_id": "420075032"}


def test_when_payhere_refuses_the_cancel_nothing_changes(ph_app, member, payhere_api):  # noqa: F811
    ph_app.test_client().post(NOTIFY, data=notification(
        member["first"], 990_00, "AUTHORIZATION_SUCCESS", payment_id="320025001"))
    payhere_api.cancel_answer = (200, {"status": -1, "msg": "Subscription not found"})

    with ph_app.app_context(), pytest.raises(DomainError) as refused:
        payhere_flow.cancel(member["user_id"])

    assert "Subscription not found" in str(refused.value.message)
    assert _state(ph_app, member) == "active"


def test_payhere_stopping_the_charge_ends_the_plan_with_its_period(ph_app, member):
    client = ph_app.test_client()
    client.post(NOTIFY, data=notification(member["first"], 990_00, "AUTHORIZATION_SUCCESS",
                                          payment_id="320025001"))
    client.post(NOTIFY, data=notification(member["first"], 990_00, "RECURRING_STOPPED",
                                          payment_id="320025001"))

    assert _state(ph_app, member) == "cancelled"
    with ph_app.app_context():
        assert plans.benefits_plan(member["user_id"], utcnow() + DAY)[1] is not None


def test_the_local_sandbox_plays_the_next_instalment_paid_or_failed(make_app):
    sandbox_app = make_app(PAYHERE_MERCHANT_ID=MERCHANT, PAYHERE_MERCHANT_SECRET=SECRET,
                           PAYHERE_SANDBOX=True, PAYHERE_LOCAL_SANDBOX=True)
    client = sandbox_app.test_client()
    with sandbox_app.app_context():
        plans.save_plan(PlanInput(code="kade-plus", name_en="Kade Plus", price_cents=990_00),
                        actor=None)
        customer = make_customer()
        subscription = plans.subscribe(customer.id, "kade-plus", "payhere")
        first = plans.open_invoice(subscription.id).number
        user_id = customer.id
        db.session.commit()
    client.post(NOTIFY, data=notification(first, 990_00, "AUTHORIZATION_SUCCESS",
                                          payment_id="320025001"))

    with sandbox_app.test_request_context(), sandbox_app.app_context():
        facts = payhere_flow.next_instalment(user_id)
        paid = sandbox.instalment_notification(**facts)
        failed = sandbox.instalment_notification(**facts, failed=True)
    assert (paid["message_type"], paid["status_code"], paid["order_id"]) == (
        "RECURRING_INSTALLMENT_SUCCESS", "2", first)
    assert failed["message_type"] == "RECURRING_INSTALLMENT_FAILED"

    client.post(NOTIFY, data=paid)
    with sandbox_app.app_context():
        subscription = plans.live_subscription(user_id)
        assert subscription.state == "active"
        end = subscription.period_end
    client.post(NOTIFY, data=failed)
    with sandbox_app.app_context():
        subscription = plans.live_subscription(user_id)
        assert subscription.state == "past_due" and subscription.period_end == end


def test_the_sandbox_instalment_needs_the_sandbox_and_a_payhere_plan(ph_app, member):
    with ph_app.app_context(), pytest.raises(DomainError):
        payhere_flow.next_instalment(member["user_id"])  # the sandbox is off here


def _renewed_or_welcomed(outbox, address) -> list:
    return [m for m in outbox.to(address)
            if any(f":{kind}:" in m["X-Kade-Dedupe-Key"] for kind in ("renewed", "subscribed"))]


def _refund_asked(app) -> list:
    from app.audit.models import AuditEntry

    with app.app_context():
        return [(e.action, e.target_id) for e in db.session.query(AuditEntry)
                .filter_by(action="plans.paid_after_end")]


def test_an_instalment_charged_after_the_cancel_renews_nothing_and_is_given_to_refund(
        make_app):
    # No Merchant API credentials: the cancel cannot stop PayHere, staff must, and PayHere
    # charges the next month before they do.
    app = make_app(PAYHERE_MERCHANT_ID=MERCHANT, PAYHERE_MERCHANT_SECRET=SECRET)
    outbox = Outbox(app, Path(app.config["OUTBOX_DIR"]))
    with app.app_context():
        plans.save_plan(PlanInput(code="kade-plus", name_en="Kade Plus", price_cents=990_00),
                        actor=None)
        customer = make_customer(email="leaving@example.lk")
        subscription = plans.subscribe(customer.id, "kade-plus", "payhere")
        first, user_id = plans.open_invoice(subscription.id).number, customer.id
        db.session.commit()
    client = app.test_client()
    client.post(NOTIFY, data=notification(first, 990_00, "AUTHORIZATION_SUCCESS",
                                          payment_id="320025001"))
    with app.app_context():
        subscription, stopped = payhere_flow.cancel(user_id)
        assert not stopped and subscription.state == "cancelled"
        end, subscription_id = subscription.period_end, subscription.id
    welcomed = len(_renewed_or_welcomed(outbox, "leaving@example.lk"))

    client.post(NOTIFY, data=notification(first, 990_00, "RECURRING_INSTALLMENT_SUCCESS",
                                          payment_id="320025002", paid=2))

    with app.app_context():
        subscription = plans.live_subscription(user_id)
        # Still ending with the period paid before the cancel; nothing left to pay.
        assert (subscription.state, subscription.period_end) == ("cancelled", end)
        assert plans.open_invoice(subscription.id) is None
    # Not told the plan renewed; staff are told to give the money back.
    assert len(_renewed_or_welcomed(outbox, "leaving@example.lk")) == welcomed
    assert _refund_asked(app) == [("plans.paid_after_end", str(subscription_id))]


def test_a_first_payment_after_the_plan_was_cancelled_stops_payhere_and_is_given_to_refund(
        ph_app, member, payhere_api, outbox):  # noqa: F811
    with ph_app.app_context():
        subscription, _stopped = payhere_flow.cancel(member["user_id"])  # still unpaid
        assert subscription.state == "expired"

    # PayHere's page, left open, is paid afterwards: the charge would recur every month.
    ph_app.test_client().post(NOTIFY, data=notification(
        member["first"], 990_00, "AUTHORIZATION_SUCCESS", payment_id="320025001"))

    assert _state(ph_app, member) is None
    assert _renewed_or_welcomed(outbox, "plus.member@example.lk") == []
    [call] = [r for r in payhere_api.requests if r["path"].endswith("/subscription/cancel")]
    assert json.loads(call["body"]) == {"subscription_id": "420075032"}
    assert _refund_asked(ph_app) == [("plans.paid_after_end",
                                      str(member["subscription_id"]))]
