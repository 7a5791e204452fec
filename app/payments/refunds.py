"""Refunds: giving money back on a captured payment, whole or in part, and, when staff say so,
putting the items that came back on the shelf.

A refund never exceeds what was captured less what was refunded before (checked under the
payment's row lock, and again by the table's check constraint). PayHere payments go back
through PayHere's Refund API when the shop has Merchant API credentials (PAYHERE_APP_ID and
PAYHERE_APP_SECRET): an OAuth client-credentials token, then the refund. If PayHere says no,
or cannot be reached, nothing changes and staff read why. Every other refund (cash on
delivery, bank transfer, PayHere without credentials, or a partial PayHere refund while
PAYHERE_PARTIAL_REFUNDS is off) is recorded for staff to pay back by hand.

The PayHere call happens inside the refund's transaction, with the payment row locked: two
staff refunding one payment at once make one call at a time, and a refused call leaves no
trace but an audit entry.
"""

from __future__ import annotations

import base64
import json
import logging
import secrets
import urllib.error
import urllib.request
from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app import db
from app.audit import services as audit
from app.db import transaction, utcnow
from app.errors import Conflict, DomainError, Invalid, NotFound
from app.notifications import services as notifications
from app.orders import services as orders
from app.payments import credit
from app.payments.models import Payment, PaymentEvent, Refund, RefundLine
from app.payments.payhere import format_amount
from app.security.roles import Permission, require
from app.wallet import points as loyalty, services as wallet

log = logging.getLogger(__name__)

SANDBOX_API = "https://sandbox.payhere.lk"
LIVE_API = "https://www.payhere.lk"
TOKEN_PATH = "/merchant/v1/oauth/token"  # noqa: S105 — a path, not a secret
REFUND_PATH = "/merchant/v1/payment/refund"
TIMEOUT_SECONDS = 15
MAX_REASON = 500
REFUNDABLE_STATUSES = ("captured", "partially_refunded")

STATE_LABELS = {
    "done": _l("Refunded through PayHere"),
    "credited": _l("Given as store credit"),
    "to_pay_back": _l("To be paid back by hand"),
    "paid_back": _l("Paid back by hand"),
}


class RefundFailed(DomainError):
    """PayHere did not refund. Nothing was recorded; the message says what PayHere said."""

    code = "refund_failed"
    status = 502
    default_message = _l("PayHere did not make the refund. Nothing has changed.")


# ---- what can still be refunded ---------------------------------------------------------------

@dataclass(frozen=True)
class LineLeft:
    """One order line as a refund sees it."""

    line: object  # OrderLine
    refunded_units: int  # refunded before
    restocked_units: int  # back on the shelf before

    @property
    def units_left(self) -> int:
        return self.line.quantity - self.refunded_units

    @property
    def returnable_units(self) -> int:
        """Units that were sent and have not come back to stock yet."""
        if self.line.kind != "product":
            return 0
        return max(0, self.line.fulfilled_quantity - self.restocked_units)


def refundable_payment(order_number: str, *, lock: bool = False) -> Payment | None:
    """The order's newest payment that took money (all of it may be refunded already: see
    `holding_money` for what is left)."""
    query = (select(Payment).where(Payment.order_number == order_number,
                                   Payment.captured_cents > 0)
             .order_by(Payment.id.desc()).limit(1))
    if lock:
        query = query.with_for_update()
    return db.session.scalar(query)


def holding_money(order_number: str, *, lock: bool = False) -> list[Payment]:
    """The order's payments with money still to refund: its own method's first, then the
    wallet's (store credit, points)."""
    query = select(Payment).where(Payment.order_number == order_number,
                                  Payment.captured_cents > Payment.refunded_cents)
    if lock:
        query = query.with_for_update()
    found = list(db.session.scalars(query.order_by(Payment.id)))
    return sorted(found, key=lambda p: (p.method in credit.UNITS, p.id))


def left_on_order(order_number: str) -> int:
    """What may still be refunded on the order, over all its payments."""
    return sum(left_to_refund(p) for p in holding_money(order_number))


def shares(payments: list[Payment], amount_cents: int) -> list[tuple[Payment, int]]:
    """`amount_cents` split over `payments` in proportion to what each still holds (the
    cents left by rounding to the largest remainders, the first payment winning ties): a
    part refund of an order paid partly with points gives back points and money alike."""
    held = [(p, left_to_refund(p)) for p in payments if left_to_refund(p) > 0]
    whole = sum(h for _, h in held)
    if not whole:
        return []
    parts = [amount_cents * h // whole for _, h in held]
    left = amount_cents - sum(parts)
    order = sorted(range(len(held)), key=lambda i: (-(amount_cents * held[i][1] % whole), i))
    for i in order[:left]:
        parts[i] += 1
    return [(p, part) for (p, _), part in zip(held, parts, strict=True) if part]


def lines_left(order) -> list[LineLeft]:
    """Every line of the order with what earlier refunds took from it."""
    done = {line_id: (int(units), int(restocked)) for line_id, units, restocked in
            db.session.execute(
                select(RefundLine.order_line_id, func.sum(RefundLine.units),
                       func.sum(RefundLine.restocked_units))
                .join(Refund, Refund.id == RefundLine.refund_id)
                .where(Refund.order_number == order.number)
                .group_by(RefundLine.order_line_id)).all()}
    return [LineLeft(line, *done.get(line.id, (0, 0))) for line in order.lines]


def left_to_refund(payment: Payment | None) -> int:
    return 0 if payment is None else payment.captured_cents - payment.refunded_cents


def refunds_of(order_number: str) -> list[Refund]:
    return list(db.session.scalars(select(Refund).where(Refund.order_number == order_number)
                                   .order_by(Refund.id)))


# ---- refunding --------------------------------------------------------------------------------

def _check_input(amount_cents, lines, reason) -> tuple[dict[int, int], str]:
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int) or amount_cents <= 0:
        raise Invalid(_l("Enter an amount above zero."), field="amount")
    reason = (reason or "").strip()
    if not reason:
        raise Invalid(_l("Say why the money goes back (the customer reads it)."),
                      field="reason")
    if len(reason) > MAX_REASON:
        raise Invalid(_l("Keep the reason under %(n)d characters.", n=MAX_REASON),
                      field="reason")
    chosen: dict[int, int] = {}
    for line_id, units in (lines or {}).items():
        if (isinstance(units, bool) or not isinstance(units, int) or not isinstance(line_id, int)
                or units < 0):
            raise Invalid(_l("Enter the units of each item as a whole number from 0."),
                          field="lines")
        if units:
            chosen[line_id] = units
    return chosen, reason


def refund(order_number: str, amount_cents: int, *, lines: dict[int, int] | None = None,
           restock: bool = False, reason: str, actor=None,
           request_key: str | None = None, as_credit: bool = False) -> Refund:
    """Give `amount_cents` back on the order's captured payment. `lines` (order line id ->
    units) says which items it is for; with `restock`, those of them that were sent go
    back on the shelf (units already returned by an earlier refund are not returned again).
    The order becomes refunded (all of it) or partially refunded, the customer is told, and
    it is audited. A `request_key` makes a repeated request return the first refund. With
    `as_credit` (the customer chose it; they need an account), the amount goes to their
    store credit at once, whatever they paid with; money that came from the wallet always
    goes back there.

    Raises NotFound, Invalid (amount, lines, reason), Conflict (nothing paid, charged back),
    RefundFailed (PayHere said no: nothing changed), Forbidden."""
    require(actor, Permission.MANAGE_PAYMENTS)
    chosen, reason = _check_input(amount_cents, lines, reason)
    request_key = (request_key or "").strip()[:64] or None
    actor_id = actor.id if actor else None
    try:
        with transaction():
            return _refund(order_number, amount_cents, chosen, restock, reason, actor,
                           request_key, as_credit)
    except RefundFailed as failed:
        # The refund's transaction rolled back: only the attempt is kept, in the audit log.
        audit.record("payments.refund", actor_id=actor_id, success=False,
                     target_type="order", target_id=order_number, amount_cents=amount_cents,
                     error=str(failed.message)[:200])
        db.session.commit()
        raise


@dataclass(frozen=True)
class RefundPlan:
    """What a refund would do, checked against the payment as it stands: shown to staff to
    confirm before anything changes, and carried out by `refund`."""

    order: object  # Order
    payment: Payment
    amount_cents: int
    left_cents: int  # what may still be refunded, before this one
    reason: str
    units: tuple[tuple[object, int, int], ...]  # (OrderLine, units, units back to stock)
    through_payhere: bool
    as_credit: bool = False  # to the customer's store credit
    # The refund over the order's payments (its own method's, store credit, points).
    parts: tuple[tuple[Payment, int], ...] = ()

    @property
    def wallet_parts(self) -> tuple[tuple[Payment, int], ...]:
        """What goes back to the wallet's tenders (store credit, points)."""
        return tuple(part for part in self.parts if part[0] is not self.payment)
    @property
    def fully(self) -> bool:
        return self.amount_cents == self.left_cents

    @property
    def restocking(self) -> dict[int, int]:
        return {line.id: back for line, _units, back in self.units if back}


def _plan(order, payments, amount_cents, chosen, restock, reason,
          as_credit: bool = False) -> RefundPlan:
    """Every rule a refund must pass. Raises Conflict or Invalid; changes nothing."""
    payment = payments[0] if payments else refundable_payment(order.number)
    if payment is None:
        raise Conflict(_l("Nothing has been paid on this order, so there is nothing to "
                          "refund."), field="amount")
    if payment.status == "charged_back":
        raise Conflict(_l("The bank has already taken this payment back: there is nothing "
                          "to refund."), field="amount")
    left = sum(left_to_refund(p) for p in payments)
    if left <= 0:
        raise Conflict(_l("Everything paid on this order has been refunded."), field="amount")
    if amount_cents > left:
        from app.i18n import format_lkr

        raise Invalid(_l("You can refund at most %(amount)s.",
                         amount=format_lkr(left)), field="amount")

    by_id = {entry.line.id: entry for entry in lines_left(order)}
    units = []
    for line_id, count in sorted(chosen.items()):
        entry = by_id.get(line_id)
        if entry is None:
            raise Invalid(_l("That item is not in this order."), field="lines")
        if count > entry.units_left:
            raise Invalid(_l("Only %(n)d of %(name)s can still be refunded.",
                             n=entry.units_left, name=entry.line.name_en), field="lines")
        units.append((entry.line, count, min(count, entry.returnable_units) if restock else 0))
    if restock and not chosen:
        raise Invalid(_l("Choose the items that come back to stock."), field="lines")
    as_credit = as_credit or payment.method == credit.METHOD
    if as_credit and order.user_id is None:
        raise Invalid(_l("A guest has no store credit: refund the money the way they paid."),
                      field="as_credit")
    parts = tuple(shares(payments, amount_cents))
    own = next((cents for p, cents in parts if p is payment), 0)
    return RefundPlan(order=order, payment=payment, amount_cents=amount_cents, left_cents=left,
                      reason=reason, units=tuple(units), as_credit=as_credit, parts=parts,
                      through_payhere=bool(own) and not as_credit
                      and payment.method not in credit.UNITS
                      and _through_payhere(payment, own))


def preview(order_number: str, amount_cents: int, *, lines: dict[int, int] | None = None,
            restock: bool = False, reason: str, actor=None,
            as_credit: bool = False) -> RefundPlan:
    """What `refund` would do with the same values, for staff to confirm first. Changes
    nothing. Raises what `refund` raises before it calls PayHere."""
    require(actor, Permission.MANAGE_PAYMENTS)
    chosen, reason = _check_input(amount_cents, lines, reason)
    order = orders.find_by_number(order_number)
    if order is None:
        raise NotFound()
    return _plan(order, holding_money(order_number), amount_cents, chosen, restock, reason,
                 as_credit)


def made_for_request(order_number: str, request_key: str | None) -> Refund | None:
    """The refund a form with this key already made (a confirmation posted twice)."""
    request_key = (request_key or "").strip()[:64]
    if not request_key:
        return None
    return db.session.scalar(select(Refund).where(Refund.order_number == order_number,
                                                  Refund.request_key == request_key))


def _refund(order_number, amount_cents, chosen, restock, reason, actor, request_key,
            as_credit) -> Refund:
    order = orders.find_by_number(order_number)
    if order is None:
        raise NotFound()
    if request_key:
        earlier = made_for_request(order_number, request_key)
        if earlier is not None:
            return earlier
    payments = holding_money(order_number, lock=True)
    if request_key:
        # Asked again under the lock: the same form posted twice at once waited here for
        # the first, which has made the refund (and asked PayHere) by now.
        earlier = made_for_request(order_number, request_key)
        if earlier is not None:
            return earlier
    plan = _plan(order, payments, amount_cents, chosen, restock, reason, as_credit)
    left, restocking = plan.left_cents, plan.restocking
    fully = amount_cents == left
    actor_id = actor.id if actor else None
    main = None
    # The items and the form's key go with the part of the order's own payment, or, when
    # its share rounded to nothing, with the first part that gives something back: a key
    # on no part would let the same form refund again.
    keeper = plan.parts[0][0]
    for payment, part in plan.parts:
        own = payment is keeper
        record = _refund_part(order, payment, part, plan, reason, actor_id,
                              request_key if own else None)
        if own:
            main = record
            for line_id, units in sorted(chosen.items()):
                record.lines.append(RefundLine(order_line_id=line_id, units=units,
                                               restocked_units=restocking.get(line_id, 0)))
            record.restock = bool(restocking)
    order = orders.refund_recorded(order_number, amount_cents=amount_cents, fully=fully,
                                   restock=restocking, actor=actor, refund_id=main.id)
    if fully and order.status == "cancelled":
        for payment, _part in plan.parts:
            payment.flagged = None  # "paid after the order was cancelled": now given back
    audit.record("payments.refund", actor_id=actor_id, target_type="order",
                 target_id=order_number, amount_cents=amount_cents, mode=main.mode,
                 restocked_units=sum(restocking.values()), refund_id=main.id,
                 parts={p.method: cents for p, cents in plan.parts})
    # The customer hears of it from order.refunded's handler (tell_customer, below).
    return main


def _refund_part(order, payment: Payment, cents: int, plan: RefundPlan, reason: str,
                 actor_id: int | None, request_key: str | None) -> Refund:
    """One payment's share of a refund: back through PayHere, to the wallet (store credit,
    points, or credit the customer chose), or recorded for staff to pay back by hand."""
    mode, provider_ref, raw = "manual", None, None
    unit = credit.UNITS.get(payment.method)
    if unit is not None or plan.as_credit:
        mode = "credit"
    elif plan.through_payhere:
        provider_ref, raw = payhere_refund(
            payment.provider_payment_id, description=f"{order.number}: {reason}"[:250],
            amount_cents=None if cents == payment.captured_cents else cents)
        mode = "gateway"
    record = Refund(payment_id=payment.id, order_number=order.number, amount_cents=cents,
                    reason=reason, mode=mode, state=_STATE_OF_MODE[mode],
                    provider_ref=provider_ref, request_key=request_key, actor_id=actor_id)
    db.session.add(record)
    db.session.flush()
    if mode == "credit":
        units = credit.units_for(payment, cents) if unit is not None else cents
        if units:
            # Points given back last as long as newly earned ones; credit does not lapse.
            lapses = (loyalty.scheme().expiry_from(utcnow()) if unit == loyalty.UNIT
                      else None)
            wallet.add(order.user_id, units, kind="refund", unit=unit or "credit",
                       order_number=order.number, reason=reason[:wallet.MAX_REASON],
                       expires_at=lapses, dedupe_key=f"refund:{record.id}")
    payment.events.append(PaymentEvent(
        kind="refunded", amount_cents=cents, dedupe_key=f"refund:{record.id}",
        provider_ref=provider_ref, raw=raw, note=reason[:500], actor_id=actor_id,
        received_at=utcnow() if raw else None))
    payment.refunded_cents += cents
    payment.status = ("refunded" if payment.refunded_cents >= payment.captured_cents
                      else "partially_refunded")
    payment.updated_at = utcnow()
    return record


# How each way of refunding leaves the refund: PayHere's is done, store credit is in the
# wallet, a manual one waits for staff to pay it back.
_STATE_OF_MODE = {"gateway": "done", "credit": "credited", "manual": "to_pay_back"}


def tell_customer(refund_id: int) -> None:
    """Mail (and SMS) the customer about a refund, in their order's language, inside the
    caller's transaction; once per refund (the dedupe key), however often it is called."""
    record = db.session.get(Refund, refund_id)
    order = orders.find_by_number(record.order_number) if record is not None else None
    if order is None:
        return
    payment = db.session.get(Payment, record.payment_id)
    # What was refunded up to this refund, as the customer would have read it at the time.
    refunded = db.session.scalar(select(func.coalesce(func.sum(Refund.amount_cents), 0)).where(
        Refund.payment_id == record.payment_id, Refund.id <= record.id))
    left_before = payment.captured_cents - (refunded - record.amount_cents)
    notifications.notify(
        "order_refunded", email=order.contact_email, phone=order.contact_phone,
        locale=order.locale, user_id=order.user_id,
        dedupe_key=f"order:{order.number}:order_refunded:{record.id}", number=order.number,
        name=order.contact_name, link=orders.order_link(order),
        short_link=orders.short_link(order), amount_cents=record.amount_cents,
        refunded_cents=int(refunded), total_cents=order.total_cents,
        fully=record.amount_cents == left_before, manual=record.mode == "manual",
        as_credit=record.mode == "credit",
        payment_method=payment.method)


def mark_paid_back(refund_id: int, *, actor=None) -> Refund:
    """Staff paid a manual refund back (cash, a transfer, PayHere's own portal)."""
    require(actor, Permission.MANAGE_PAYMENTS)
    with transaction():
        record = db.session.get(Refund, refund_id, with_for_update=True)
        if record is None:
            raise NotFound()
        if record.state != "to_pay_back":
            raise Conflict(_l("This refund has no money left to pay back by hand."))
        record.state = "paid_back"
        record.settled_at = utcnow()
        record.settled_by = actor.id if actor else None
        audit.record("payments.refund_paid_back", actor_id=actor.id if actor else None,
                     target_type="order", target_id=record.order_number,
                     refund_id=record.id, amount_cents=record.amount_cents)
    return record


# ---- PayHere's Refund API ----------------------------------------------------------------------

def gateway_configured() -> bool:
    config = current_app.config
    return bool(config.get("PAYHERE_APP_ID") and config.get("PAYHERE_APP_SECRET"))


def _through_payhere(payment: Payment, amount_cents: int) -> bool:
    """PayHere refunds a whole payment on request; a part only when the shop says PayHere
    takes an `amount` (PAYHERE_PARTIAL_REFUNDS). Otherwise staff pay back by hand."""
    if payment.method != "payhere" or not payment.provider_payment_id:
        return False
    if not gateway_configured():
        return False
    whole = payment.refunded_cents == 0 and amount_cents == payment.captured_cents
    return whole or bool(current_app.config.get("PAYHERE_PARTIAL_REFUNDS"))


def api_base() -> str:
    config = current_app.config
    base = config.get("PAYHERE_API_URL") or (
        SANDBOX_API if config.get("PAYHERE_SANDBOX") else LIVE_API)
    return base.rstrip("/")


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict]:
    """POST and read a JSON answer. Raises RefundFailed when nothing usable comes back."""
    request = urllib.request.Request(url, data=body, method="POST",  # noqa: S310 — our URL
                                     headers={"Accept": "application/json", **headers})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            status, text = response.status, response.read(65536)
    except urllib.error.HTTPError as error:
        status, text = error.code, error.read(65536)
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        log.warning("payhere_api_unreachable", extra={"error": type(error).__name__})
        raise RefundFailed(_l("PayHere could not be reached. Nothing has changed; try again "
                              "in a few minutes.")) from error
    try:
        answer = json.loads(text or b"{}")
    except ValueError:
        answer = {}
    return status, answer if isinstance(answer, dict) else {}


def _token() -> str:
    config = current_app.config
    credentials = f"{config['PAYHERE_APP_ID']}:{config['PAYHERE_APP_SECRET']}"
    status, answer = _post(
        api_base() + TOKEN_PATH, b"grant_type=client_credentials",
        {"Authorization": "Basic " + base64.b64encode(credentials.encode()).decode(),
         "Content-Type": "application/x-www-form-urlencoded"})
    token = answer.get("access_token")
    if status != 200 or not isinstance(token, str) or not token:
        log.warning("payhere_token_refused", extra={"status": status})
        raise RefundFailed(_l("PayHere did not accept the shop's API credentials "
                              "(PAYHERE_APP_ID, PAYHERE_APP_SECRET). Nothing has changed."))
    return token


def payhere_refund(payment_id: str, *, description: str,
                   amount_cents: int | None = None) -> tuple[str | None, str]:
    """Ask PayHere to refund a payment (all of it, or `amount_cents` of it). Returns
    PayHere's refund reference and its answer as JSON text. Raises RefundFailed."""
    payload = json.dumps({"payment_id": payment_id, "description": description})
    if amount_cents is not None:
        # An amount with two decimals, written as a JSON number without a float.
        payload = payload[:-1] + f', "amount": {format_amount(amount_cents)}}}'
    status, answer = _post(api_base() + REFUND_PATH, payload.encode(),
                           {"Authorization": f"Bearer {_token()}",
                            "Content-Type": "application/json"})
    raw = json.dumps({key: str(value)[:200] for key, value in answer.items()})
    if status != 200 or str(answer.get("status")) != "1":
        said = str(answer.get("msg") or answer.get("error_description")
                   or answer.get("error") or f"HTTP {status}")[:200]
        log.warning("payhere_refund_refused", extra={"status": status})
        raise RefundFailed(_l("PayHere did not make the refund: %(reason)s Nothing has "
                              "changed.", reason=said))
    reference = answer.get("data")
    return (str(reference)[:64] if reference not in (None, "") else None), raw


CANCEL_SUBSCRIPTION_PATH = "/merchant/v1/subscription/cancel"


def cancel_payhere_subscription(subscription_id: str) -> bool:
    """Ask PayHere to stop a recurring payment (Merchant API, the same token as refunds).
    True when PayHere said it stopped (or the shop has no API credentials: False, and the
    caller tells staff to stop it in PayHere's portal). Raises RefundFailed when PayHere
    cannot be reached or refuses."""
    if not gateway_configured():
        return False
    payload = json.dumps({"subscription_id": subscription_id}).encode()
    status, answer = _post(api_base() + CANCEL_SUBSCRIPTION_PATH, payload,
                           {"Authorization": f"Bearer {_token()}",
                            "Content-Type": "application/json"})
    if status != 200 or str(answer.get("status")) != "1":
        log.warning("payhere_subscription_cancel_refused", extra={"status": status})
        said = str(answer.get("msg") or answer.get("error") or f"HTTP {status}")[:200]
        raise RefundFailed(_l("PayHere did not stop the subscription: %(reason)s",
                              reason=said))
    return True


def new_request_key() -> str:
    """For a refund form: the same key posted twice makes one refund."""
    return secrets.token_urlsafe(24)
