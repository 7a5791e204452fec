"""Tenders from the customer's wallet: the part of an order paid with store credit, and the
part paid with loyalty points.

Each is a payment of its own in the ledger (method "store_credit" or "points", amount in
cents: the points' value then), captured when the order is placed, in checkout's
transaction: the wallet's spend and the order stand or fall together. A cancelled order
gives back what refunds have not (wallet.give_back puts each part back on the credit or
points it came from, with its expiry) and the payment reads refunded.
"""

from __future__ import annotations

from sqlalchemy import func, select

from app import db
from app.db import transaction, utcnow
from app.orders import services as orders
from app.payments.methods import POINTS, STORE_CREDIT
from app.payments.models import Payment, PaymentEvent, Refund
from app.wallet import points as loyalty, services as wallet

METHOD = STORE_CREDIT.code
# Payment method -> the wallet's unit it spends.
UNITS = {STORE_CREDIT.code: "credit", POINTS.code: "points"}


def _pay(order_number: str, user_id: int, method: str, units: int, value_cents: int,
         note: str) -> Payment:
    with transaction():
        wallet.spend(user_id, units, order_number=order_number, unit=UNITS[method])
        payment = Payment(order_number=order_number, method=method, amount_cents=value_cents,
                          status="captured", captured_cents=value_cents)
        payment.events.append(PaymentEvent(kind="captured", amount_cents=value_cents,
                                           dedupe_key=f"{method}:{order_number}:captured",
                                           note=note))
        db.session.add(payment)
        db.session.flush()
    return payment


def pay_with_credit(order_number: str, user_id: int, amount_cents: int) -> Payment:
    """Spend `amount_cents` of the customer's credit on the order (inside checkout's
    transaction). Raises wallet.NotEnoughCredit, with the balance, when it holds less."""
    return _pay(order_number, user_id, METHOD, amount_cents, amount_cents, "from the wallet")


def pay_with_points(order_number: str, user_id: int, points: int, value_cents: int) -> Payment:
    """Spend `points` worth `value_cents` on the order (inside checkout's transaction).
    Raises wallet.NotEnoughCredit, with the points held, when there are fewer."""
    return _pay(order_number, user_id, POINTS.code, points, value_cents,
                f"{points} points")


def units_for(payment: Payment, cents: int) -> int:
    """The wallet units behind the next `cents` given back of a wallet payment (before its
    `refunded_cents` counts them): cents of credit, or the share of the points it spent.
    The share is rounded down on the running total, not on each part, so parts never give
    back more points than were spent and, once all is given back, never fewer."""
    if payment.method == METHOD:
        return cents
    spent = wallet.spent_on(payment.order_number, UNITS[payment.method], net=False)
    if not payment.captured_cents:
        return 0
    before = payment.refunded_cents
    return (spent * (before + cents) // payment.captured_cents
            - spent * before // payment.captured_cents)


def give_back(order_number: str, **_) -> None:
    """order_cancelled's receiver: what of each wallet payment refunds have not given back
    goes back to the wallet (once)."""
    payments = db.session.query(Payment).filter(
        Payment.order_number == order_number,
        Payment.method.in_(tuple(UNITS))).with_for_update().all()
    for payment in payments:
        left = payment.captured_cents - payment.refunded_cents
        if left <= 0:
            continue
        wallet.give_back(order_number, UNITS[payment.method], at_most=units_for(payment, left))
        # Refunded whatever the rounding gave back (a few cents of points may come to none).
        payment.status = "refunded"
        payment.refunded_cents = payment.captured_cents
        payment.updated_at = utcnow()
        payment.events.append(PaymentEvent(
            kind="refunded", amount_cents=left, note="back to the wallet",
            dedupe_key=f"{payment.method}:{order_number}:returned"))


# ---- points earned on money paid -------------------------------------------------------------

def _money_given_back(order_number: str) -> int:
    """What went back to the payer of the money paid (not of wallet tenders): the refunds,
    and for a payment charged back, all it captured (the bank took it back from the shop,
    whatever was refunded of it before)."""
    refunded = dict(db.session.execute(
        select(Refund.payment_id, func.sum(Refund.amount_cents))
        .join(Payment, Payment.id == Refund.payment_id)
        .where(Refund.order_number == order_number, Payment.method.not_in(tuple(UNITS)))
        .group_by(Refund.payment_id)).all())
    charged_back = dict(db.session.execute(
        select(Payment.id, Payment.captured_cents)
        .where(Payment.order_number == order_number, Payment.status == "charged_back",
               Payment.method.not_in(tuple(UNITS)))).all())
    return int(sum(refunded.get(pid, 0) for pid in refunded.keys() - charged_back.keys())
               + sum(charged_back.values()))


def earn_points(order_number: str) -> int:
    """The order's money arrived: its loyalty points, and its cashback into store credit
    (once each: their entries' keys). Returns the points added."""
    order = orders.find_by_number(order_number)
    if order is None or order.status == "cancelled":
        return 0
    if order.user_id is not None and order.cashback_cents:
        entry = wallet.add(order.user_id, order.cashback_cents, kind="cashback",
                           order_number=order.number, reason="Cashback",
                           dedupe_key=f"cashback:{order.number}")
        wallet.tell_credit_added(entry)
    added = loyalty.earn(order.number, order.user_id, order.paid_with_money_cents)
    # Handlers run in no set order: a refund or a charge-back seen before this earning
    # found nothing to take back then. Settled now, the order keeps only its share.
    take_back_earned(order_number)
    return added


def take_back_earned(order_number: str, **_) -> int:
    """After a cancel (all of it), a refund (its share) or a charge-back (all the payment
    took): the points and the cashback the order earned on the money that went back."""
    order = orders.find_by_number(order_number)
    if order is None:
        return 0
    paid = order.paid_with_money_cents
    refunded = paid if order.status == "cancelled" else _money_given_back(order_number)
    loyalty.keep_share(order.number, order.user_id, paid, refunded, unit="credit",
                       earned_kind="cashback")
    return loyalty.keep_share(order.number, order.user_id, paid, refunded)
