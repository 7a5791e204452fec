"""Plans paid by PayHere's recurring payments (../shared/PAYHERE.md, "Recurring").

The customer pays the first invoice on PayHere's hosted page with `recurrence` ("1 Month"
or "1 Year") and `duration` "Forever"; the order id PayHere keeps for every later charge is
that invoice's number. Notifications come to the shop's one PayHere address (payments
routes those whose order id starts with "PL-" here) and are applied once each (their
payment id, status and message type):

    AUTHORIZATION_SUCCESS           the first invoice is paid; PayHere's subscription id kept
    RECURRING_INSTALLMENT_SUCCESS   the period after the current one is paid
    AUTHORIZATION_FAILED,
    RECURRING_INSTALLMENT_FAILED    that invoice failed: past due, grace, a message with a link
    RECURRING_STOPPED, _COMPLETE    PayHere stopped charging: the plan ends with its period

An amount or a currency that is not the invoice's changes nothing and is logged.
"""

from __future__ import annotations

import logging

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app import db
from app.audit import services as audit
from app.db import transaction, utcnow
from app.errors import DomainError, Invalid
from app.links import external_url
from app.payments import checkout_flow, payhere
from app.plans import services as plans
from app.plans.models import Invoice, PlanPaymentEvent, Subscription

log = logging.getLogger(__name__)

PREFIX = "PL-"
RECURRENCE = {"month": "1 Month", "year": "1 Year"}


def hosted_form(invoice: Invoice, customer: dict[str, str]) -> checkout_flow.HostedForm:
    """The form that pays `invoice` and sets up the recurring charge. Raises Invalid when
    PayHere is not configured."""
    if not checkout_flow.configured():
        raise Invalid(checkout_flow.UNAVAILABLE, field="payment_method")
    config = current_app.config
    plan = plans.plan_of(invoice)
    action, fields = payhere.checkout_form(
        merchant_id=config["PAYHERE_MERCHANT_ID"],
        merchant_secret=config["PAYHERE_MERCHANT_SECRET"],
        sandbox=bool(config.get("PAYHERE_SANDBOX")), order_id=invoice.number,
        amount_cents=invoice.amount_cents, currency="LKR", items=plan.name("en"),
        customer=customer, return_url=external_url("plans.my_plan"),
        cancel_url=external_url("plans.plan_list"),
        notify_url=external_url("payments.payhere_notify"),
        recurrence=RECURRENCE[plan.period], duration="Forever")
    return checkout_flow.HostedForm(action=checkout_flow.form_action(action), fields=fields)


def _subscription_of(note: payhere.Notification) -> tuple[Subscription | None, Invoice | None]:
    first = db.session.scalar(select(Invoice).where(Invoice.number == note.order_id))
    subscription = None
    if note.subscription_id:
        subscription = db.session.scalar(select(Subscription).where(
            Subscription.payhere_subscription_id == note.subscription_id))
    if subscription is None and first is not None:
        subscription = db.session.get(Subscription, first.subscription_id)
    return subscription, first


def _due_invoice(subscription: Subscription) -> Invoice:
    """The invoice a later instalment pays: the open or failed one, else the next
    period's (PayHere charged before the renewal job ran)."""
    found = plans.open_invoice(subscription.id)
    if found is not None:
        return found
    plan = subscription.next_plan or subscription.plan
    return plans.invoice_for(subscription, plan, subscription.period_end)


def record(note: payhere.Notification, raw: str) -> str:
    """Apply one verified notification. Returns "applied", "duplicate" or "refused"."""
    if not note.recurring:
        return "refused"  # a plan's invoice is only ever paid as a recurring payment
    key = f"payhere:{note.payment_id}:{note.status_code}:{note.message_type}"
    try:
        with transaction():
            subscription, first = _subscription_of(note)
            if subscription is None:
                return "refused"
            db.session.get(Subscription, subscription.id, with_for_update=True)
            if db.session.scalar(select(PlanPaymentEvent.id)
                                 .where(PlanPaymentEvent.dedupe_key == key)):
                return "duplicate"
            kind = note.message_type
            charge = kind.endswith(("_SUCCESS", "_FAILED"))
            if charge and not _runs_on(subscription, first if kind.startswith("AUTH") else None):
                # Kept once, so a replay is a duplicate; no invoice is made or settled.
                db.session.add(PlanPaymentEvent(
                    subscription_id=subscription.id, kind=kind, dedupe_key=key,
                    amount_cents=note.amount_cents, payment_ref=note.payment_id, raw=raw))
                _charged_after_the_end(subscription, note)
                return "applied"
            if kind in ("AUTHORIZATION_SUCCESS", "AUTHORIZATION_FAILED"):
                invoice = first
            elif kind in ("RECURRING_INSTALLMENT_SUCCESS", "RECURRING_INSTALLMENT_FAILED"):
                invoice = _due_invoice(subscription)
            else:
                invoice = None
            if invoice is not None and (note.currency != "LKR"
                                        or note.amount_cents != invoice.amount_cents):
                log.warning("plan_payment_amount_mismatch",
                            extra={"invoice": invoice.number, "sent": note.amount_cents})
                return "refused"
            db.session.add(PlanPaymentEvent(
                subscription_id=subscription.id, invoice_id=invoice.id if invoice else None,
                kind=kind, amount_cents=note.amount_cents, dedupe_key=key,
                payment_ref=note.payment_id, raw=raw))
            _apply(subscription, invoice, note)
    except IntegrityError:
        db.session.rollback()  # the same notification, committed a moment ago
        return "duplicate"
    return "applied"


def _runs_on(subscription: Subscription, invoice: Invoice | None) -> bool:
    """Whether a charge may settle the subscription's invoices: not once the customer
    cancelled it (a charge now would be for a period they do not want) or it ended, nor on
    an invoice voided with it."""
    return subscription.state in ("pending", "trialing", "active", "past_due") and (
        invoice is None or invoice.state != "void")


def _charged_after_the_end(subscription: Subscription, note: payhere.Notification) -> None:
    """PayHere charged for a plan cancelled or ended here (its charge was not stopped, or
    its page was paid after the plan lapsed): the plan is not renewed nor the customer
    told so; the money is for staff to give back, and PayHere is asked to stop charging."""
    if not (note.message_type.endswith("_SUCCESS") and note.outcome == "captured"):
        return  # a failed charge for a plan that ended: nothing to pay, nothing to say
    log.warning("plan_charged_after_the_end", extra={"subscription_id": subscription.id})
    audit.record("plans.paid_after_end", actor_id=None, success=False,
                 target_type="subscription", target_id=subscription.id,
                 amount_cents=note.amount_cents, payment_ref=note.payment_id,
                 payhere_subscription_id=note.subscription_id or None)
    if note.subscription_id:
        try:
            checkout_flow.cancel_recurring(note.subscription_id)
        except DomainError:
            # PayHere refused or could not be reached: staff stop it in PayHere's portal.
            log.warning("plan_charge_not_stopped", extra={"subscription_id": subscription.id})


def _apply(subscription: Subscription, invoice: Invoice | None,
           note: payhere.Notification) -> None:
    kind, now = note.message_type, utcnow()
    if kind.endswith("_SUCCESS") and note.outcome == "captured":
        if note.subscription_id and not subscription.payhere_subscription_id:
            subscription.payhere_subscription_id = note.subscription_id
        plans.pay_invoice(invoice.id, payment_ref=note.payment_id, now=now)
        plans.tell(subscription, "renewed" if kind.startswith("RECURRING") else "subscribed",
                   invoice=invoice)
    elif kind.endswith("_FAILED") or (invoice is not None and note.outcome == "failed"):
        plans.fail_invoice(invoice.id, now=now)
        plans.tell(subscription, "payment_failed", invoice=invoice)
    elif kind in ("RECURRING_STOPPED", "RECURRING_COMPLETE"):
        plans.stopped_by_gateway(subscription, now=now)


def cancel(user_id: int) -> tuple[Subscription, bool]:
    """The customer's one-click cancel: PayHere stops charging first (Merchant API), then the
    plan is cancelled here; if PayHere cannot be reached or says no, nothing changes
    (RefundFailed says why). Returns (subscription, stopped_at_payhere): False when the shop
    has no Merchant API credentials, so staff must stop it in PayHere's portal (logged)."""
    subscription = plans.live_subscription(user_id)
    stopped = False
    if subscription is not None and subscription.payhere_subscription_id \
            and subscription.state != "cancelled":
        stopped = checkout_flow.cancel_recurring(subscription.payhere_subscription_id)
        if not stopped:
            log.warning("plan_cancel_needs_payhere_portal",
                        extra={"subscription_id": subscription.id})
    subscription = plans.cancel(user_id)
    with transaction():
        plans.tell(subscription, "cancelled")
    return subscription, stopped


def next_instalment(user_id: int) -> dict:
    """What PayHere's next recurring charge for the customer's plan would carry (order id,
    subscription id, amount, recurrence, instalments paid with it): the local sandbox plays
    it from the command line. Raises Invalid when the sandbox is off or the plan is not
    paid by PayHere."""
    if not checkout_flow.local_sandbox_on():
        raise Invalid(_l("The local PayHere sandbox is off."))
    subscription = plans.live_subscription(user_id)
    if subscription is None or not subscription.payhere_subscription_id:
        raise Invalid(_l("This customer has no plan paid by PayHere."))
    first = db.session.scalar(select(Invoice.number).where(
        Invoice.subscription_id == subscription.id).order_by(Invoice.id).limit(1))
    plan = subscription.next_plan or subscription.plan
    paid = db.session.scalar(select(func.count()).select_from(Invoice).where(
        Invoice.subscription_id == subscription.id, Invoice.state == "paid")) or 0
    return {"order_id": first, "subscription_id": subscription.payhere_subscription_id,
            "amount_cents": plan.price_cents, "recurrence": RECURRENCE[plan.period],
            "paid": paid + 1}
