"""The payment methods checkout offers, behind one small interface.

A method says whether it can be used for an order (`refusal`: None or why not) and in which
state an order paid this way starts. Cash on delivery confirms the order at once (payment is
collected at the door); bank transfer waits for the money, and the expiry job cancels the
order when it does not come in time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l

from app.errors import Invalid
from app.payments import limits, settings
from app.payments.limits import Payer


@dataclass(frozen=True)
class PaymentMethod:
    code: str
    label: object  # lazy string
    hint: object
    initial_status: str  # the order's status once placed
    waits_for_payment: bool  # True: unpaid orders expire

    def refusal(self, total_cents: int, district: str | None, payer: Payer | None = None):
        """None when the method can pay this order, else the reason it cannot. With the
        `payer`, a method that waits for payment also counts their unpaid orders."""
        if self.code == "payhere" and not current_app.config.get("PAYHERE_MERCHANT_ID"):
            return _l("Card payment is not available right now.")
        if self.code == "cod":
            return settings.cod_refusal(total_cents, district)  # staff-set limits
        if self.waits_for_payment and payer is not None:
            return limits.unpaid_refusal(payer)
        return None


METHODS: dict[str, PaymentMethod] = {
    method.code: method for method in (
        PaymentMethod("cod", _l("Cash on delivery"),
                      _l("Pay in cash when your order arrives."),
                      initial_status="processing", waits_for_payment=False),
        PaymentMethod("payhere", _l("Card, eZ Cash or online banking (PayHere)"),
                      _l("Pay now on PayHere's secure page; your card never reaches us."),
                      initial_status="pending_payment", waits_for_payment=True),
        PaymentMethod("bank_transfer", _l("Bank transfer"),
                      _l("Transfer the total to our bank account; we send the order when the "
                         "money arrives."),
                      initial_status="pending_payment", waits_for_payment=True),
    )
}


# Store credit is not a choice among the methods: the shopper ticks "use my store credit",
# and when it covers the whole total, the order is paid this way and confirmed at once.
STORE_CREDIT = PaymentMethod("store_credit", _l("Store credit"),
                             _l("Paid from your store credit."),
                             initial_status="processing", waits_for_payment=False)
# Likewise loyalty points: the order's method when points alone pay it all.
POINTS = PaymentMethod("points", _l("Loyalty points"), _l("Paid with your points."),
                       initial_status="processing", waits_for_payment=False)
PREPAID = {STORE_CREDIT.code: STORE_CREDIT, POINTS.code: POINTS}


def available(total_cents: int, district: str | None,
              payer: Payer | None = None) -> list[PaymentMethod]:
    return [m for m in METHODS.values() if m.refusal(total_cents, district, payer) is None]


def refused(total_cents: int, district: str | None, payer: Payer | None = None) -> list:
    """(method, why not) for each method that cannot pay this order and may be told of:
    the shopper then knows why a way to pay is missing. An unconfigured one is left out."""
    reasons = []
    for method in METHODS.values():
        if method.code == "payhere" and not current_app.config.get("PAYHERE_MERCHANT_ID"):
            continue
        reason = method.refusal(total_cents, district, payer)
        if reason is not None:
            reasons.append((method, reason))
    return reasons


def get_method(code: str, total_cents: int, district: str | None,
               payer: Payer | None = None) -> PaymentMethod:
    """The method, if it can pay this order. Raises Invalid (for the field)."""
    method = METHODS.get(code or "")
    if method is None:
        raise Invalid(_l("Choose a payment method."), field="payment_method")
    reason = method.refusal(total_cents, district, payer)
    if reason is not None:
        raise Invalid(reason, field="payment_method")
    return method


def payment_due(method: PaymentMethod, now: dt.datetime, hours: int) -> dt.datetime | None:
    return now + dt.timedelta(hours=hours) if method.waits_for_payment else None
