"""The payment ledger: opening a payment for an order, recording what gateways and staff say
about it, and moving the order on when money arrives.

Every event is written once (a unique dedupe key), so a PayHere notification replayed five
times, or posted by ten requests at once, records one capture and sends one "paid" mail.
Notifications may arrive in any order: a success after a cancel still captures; a pending
or a cancel after a success changes nothing. What does not check out (signature, merchant,
amount, currency, order) changes nothing, is logged and audited as suspicious, and the
sender is told nothing about why.
"""

from __future__ import annotations

import json
import logging

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app import db
from app.audit import services as audit
from app.db import transaction, utcnow
from app.errors import Invalid, NotFound
from app.ops import metrics
from app.orders import services as orders
from app.payments import credit, payhere
from app.payments.models import Payment, PaymentEvent
from app.security.roles import Permission, require

log = logging.getLogger(__name__)

FINAL = frozenset({"captured", "refunded", "partially_refunded", "charged_back"})


def open_payment(order_number: str, method: str, amount_cents: int) -> int:
    """The payment an order waits for, inside the caller's transaction (checkout); its id.
    Written as rows, not ORM objects: every order opens one and nothing in its request
    reads it back (the unit of work cost more CPU than the two statements); counted in the
    payments metric at commit as the models' writes are."""
    now = utcnow()
    with transaction():
        payment_id = db.session.execute(_OPEN, {
            "order_number": order_number, "method": method, "amount_cents": amount_cents,
            "status": "initiated", "created_at": now, "updated_at": now,
        }).inserted_primary_key[0]
        db.session.execute(_INITIATED, {
            "payment_id": payment_id, "kind": "initiated", "amount_cents": amount_cents,
            "dedupe_key": f"{method}:{order_number}:initiated", "created_at": now})
        metrics.count_on_commit(db.session(), metrics.PAYMENTS, (method, "initiated"))
    return payment_id


_OPEN, _INITIATED = Payment.__table__.insert(), PaymentEvent.__table__.insert()


def payment_for(order_number: str, method: str | None = None, *, lock: bool = False):
    query = select(Payment).where(Payment.order_number == order_number)
    if method:
        query = query.where(Payment.method == method)
    if lock:
        query = query.with_for_update()
    return db.session.scalar(query.order_by(Payment.id.desc()).limit(1))


# ---- PayHere notifications -------------------------------------------------------------------

def _suspicious(reason: str, order_id: str | None = None) -> str:
    # The reason is ours; the sender only ever gets the same plain answer.
    log.warning("payhere_notification_refused", extra={"reason": reason,
                                                       "order_number": order_id})
    audit.record("payments.notification_refused", actor_id=None, success=False,
                 target_type="order", target_id=order_id, reason=reason)
    db.session.commit()
    return "refused"


def is_signed_by_payhere(form: dict[str, str]) -> bool:
    """Whether the notification carries PayHere's signature under our merchant secret. Only
    the signature: whether it is about an order of ours is for record_payhere_notification."""
    config = current_app.config
    merchant_id, secret = config.get("PAYHERE_MERCHANT_ID"), config.get("PAYHERE_MERCHANT_SECRET")
    if not merchant_id or not secret:
        return False
    try:
        payhere.verify(form, merchant_id=merchant_id, merchant_secret=secret)
    except payhere.BadNotification:
        return False
    return True


# Other domains whose payments PayHere makes (plans' recurring charges), by the prefix of the
# order id they give PayHere: they register here at start, so payments never imports them.
_other_payers: dict[str, object] = {}


def route_payhere_notifications(prefix: str, handler) -> None:
    """Send verified notifications whose order id starts with `prefix` to `handler(note,
    raw)`, which returns "applied", "duplicate" or "refused"."""
    _other_payers[prefix] = handler


def record_payhere_notification(form: dict[str, str]) -> str:
    """Apply one notification. Returns "applied", "duplicate" or "refused" (for our log and
    tests; the HTTP answer is the same whatever it is)."""
    config = current_app.config
    merchant_id, secret = config.get("PAYHERE_MERCHANT_ID"), config.get("PAYHERE_MERCHANT_SECRET")
    if not merchant_id or not secret:
        return _suspicious("payhere is not configured")
    try:
        note = payhere.verify(form, merchant_id=merchant_id, merchant_secret=secret)
    except payhere.BadNotification as exc:
        return _suspicious(str(exc), str(form.get("order_id", ""))[:24] or None)
    raw = json.dumps({k: str(v)[:200] for k, v in form.items()})
    for prefix, handler in _other_payers.items():
        if note.order_id.startswith(prefix):
            outcome = handler(note, raw)
            if outcome == "refused":
                _suspicious("refused by its payer", note.order_id)
            return outcome
    try:
        with transaction():
            # Lock the payment row: two notifications for one payment apply one at a time.
            payment = payment_for(note.order_id, "payhere", lock=True)
            if payment is None:
                raise _Refused("unknown order")
            if note.currency != payment.currency or note.amount_cents != payment.amount_cents:
                payment.flagged = (f"PayHere sent {note.amount_cents} {note.currency} for "
                                   f"{payment.amount_cents} {payment.currency}")[:200]
                raise _Refused("amount or currency")
            key = f"payhere:{note.payment_id}:{note.status_code}"
            if db.session.scalar(select(PaymentEvent.id).where(PaymentEvent.dedupe_key == key)):
                return "duplicate"
            payment.events.append(PaymentEvent(
                kind=note.outcome, amount_cents=note.amount_cents, dedupe_key=key,
                provider_ref=note.payment_id, raw=raw, received_at=utcnow(),
                note=note.message or None))
            apply_outcome(payment, note.outcome, note.amount_cents, note.payment_id)
    except _Refused as refused:
        db.session.rollback()
        if refused.reason == "amount or currency":
            _flag(note.order_id, note)
        return _suspicious(refused.reason, note.order_id)
    except IntegrityError:
        db.session.rollback()  # the same notification, committed a moment ago by another
        return "duplicate"
    return "applied"


class _Refused(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _flag(order_number: str, note) -> None:
    with transaction():
        payment = payment_for(order_number, "payhere")
        if payment is not None:
            payment.flagged = (f"PayHere sent {note.amount_cents} {note.currency} for "
                               f"{payment.amount_cents} {payment.currency}")[:200]


def apply_outcome(payment: Payment, outcome: str, amount_cents: int,
                  provider_ref: str | None, *, actor=None) -> None:
    """Move the payment (and through it the order) for one new event. `actor`: the staff
    member who recorded money received by hand (the order's paid step names them)."""
    payment.updated_at = utcnow()
    if payment.status in FINAL:
        if outcome == "charged_back" and payment.status != "charged_back":
            payment.status = "charged_back"
            payment.flagged = "Charged back: the money was taken back from the shop."
            # Money the customer got back earns nothing: its points and cashback go too.
            db.session.flush()
            credit.take_back_earned(payment.order_number)
        elif (outcome == "captured" and provider_ref
              and provider_ref != payment.provider_payment_id):
            # A second charge (the order paid in two tabs): the ledger holds one, so the
            # other can only go back through PayHere's portal.
            payment.flagged = (f"Paid twice: PayHere payment {provider_ref} is a second "
                               "charge; refund it in PayHere's portal.")[:200]
        return  # pending, cancelled or failed after a success: the success stands
    payment.status = outcome
    if outcome == "captured":
        payment.captured_cents = amount_cents
        payment.provider_payment_id = provider_ref
        if not orders.payment_received(payment.order_number, actor=actor):
            payment.flagged = "Paid after the order was cancelled: refund it."


# ---- money received by hand: cash on delivery, bank transfers --------------------------------

# Money that reaches the shop without a provider telling us: staff record it.
RECEIVED_BY_HAND = ("cod", "bank_transfer")


def mark_collected(order_number: str, amount_cents: int, *, actor=None) -> Payment:
    """Staff took the cash at the door, or saw the bank transfer arrive in the shop's
    account (with or without the customer's slip). The amount must be the order's. The
    only way, with a provider's word and a slip checked, that an order becomes paid."""
    require(actor, Permission.MANAGE_PAYMENTS)
    with transaction():
        payment = next(filter(None, (payment_for(order_number, method, lock=True)
                                     for method in RECEIVED_BY_HAND)), None)
        if payment is None:
            raise NotFound()
        if payment.status in FINAL:
            # Collected already (and maybe refunded since): a second click changes nothing.
            return payment
        if amount_cents != payment.amount_cents:
            raise Invalid(field="amount")
        cash = payment.method == "cod"
        payment.events.append(PaymentEvent(
            kind="captured", amount_cents=amount_cents, actor_id=actor.id if actor else None,
            # A transfer's key is the one a checked slip uses: one capture either way.
            dedupe_key=(f"cod:{order_number}:collected" if cash
                        else f"bank_transfer:{order_number}:captured"),
            note="collected" if cash else "transfer received"))
        apply_outcome(payment, "captured", amount_cents, None, actor=actor)
        audit.record("payments.cod_collected" if cash else "payments.transfer_received",
                     actor_id=actor.id if actor else None, target_type="order",
                     target_id=order_number, amount_cents=amount_cents)
    return payment
