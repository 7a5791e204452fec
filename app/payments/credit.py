"""Store credit as a tender: the part of an order paid from the customer's wallet.

It is a payment of its own in the ledger (method "store_credit"), captured when the order is
placed, in checkout's transaction: the wallet's spend and the order stand or fall together.
A cancelled order gives the credit back to the wallet (wallet.give_back puts each part back
on the credit it came from, with its expiry) and the payment reads refunded.
"""

from __future__ import annotations

from app import db
from app.db import transaction, utcnow
from app.payments.methods import STORE_CREDIT
from app.payments.models import Payment, PaymentEvent
from app.wallet import services as wallet

METHOD = STORE_CREDIT.code


def pay_with_credit(order_number: str, user_id: int, amount_cents: int) -> Payment:
    """Spend `amount_cents` of the customer's credit on the order (inside checkout's
    transaction). Raises wallet.NotEnoughCredit, with the balance, when it holds less."""
    with transaction():
        wallet.spend(user_id, amount_cents, order_number=order_number)
        payment = Payment(order_number=order_number, method=METHOD, amount_cents=amount_cents,
                          status="captured", captured_cents=amount_cents)
        payment.events.append(PaymentEvent(kind="captured", amount_cents=amount_cents,
                                           dedupe_key=f"{METHOD}:{order_number}:captured",
                                           note="from the wallet"))
        db.session.add(payment)
        db.session.flush()
    return payment


def give_back(order_number: str, **_) -> None:
    """order_cancelled's receiver: the credit not refunded already goes back to the wallet
    (once)."""
    payment = db.session.query(Payment).filter_by(order_number=order_number,
                                                  method=METHOD).with_for_update().one_or_none()
    if payment is None or payment.captured_cents <= payment.refunded_cents:
        return
    returned = wallet.give_back(order_number,
                                at_most=payment.captured_cents - payment.refunded_cents)
    if returned:
        payment.status = "refunded"
        payment.refunded_cents += returned
        payment.updated_at = utcnow()
        payment.events.append(PaymentEvent(
            kind="refunded", amount_cents=returned, note="back to the wallet",
            dedupe_key=f"{METHOD}:{order_number}:returned"))
