"""Paying an order by card through PayHere's hosted checkout: the form the shopper's browser
(or the mobile app) posts to PayHere for one order, and what the ledger says about it.

The fields follow PayHere's Checkout API (app.payments.payhere builds them and their
`hash`): the customer's details come from the order, `items` names what was bought, and the
return, cancel and notify URLs are absolute (PUBLIC_URL when set). The return and cancel
URLs never carry the order's link token (PayHere's logs, the browser's history and any
Referer would then hold a key to the order): they carry a return token instead, signed for
that purpose only, good for RETURN_TOKEN_HOURS and ended with the order's links, which
shows the payment's state and nothing else (see payments.views).

Where the form goes: PayHere's live or sandbox checkout by PAYHERE_SANDBOX, or, with the
local sandbox on (development and tests only, see `local_sandbox_on`), our own page that
plays PayHere (app.payments.sandbox).

Nothing here marks an order paid: only a signed notification does (services).
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature

from app.content import services as content
from app.errors import Invalid
from app.links import external_url, serializer
from app.orders import services as orders
from app.payments import payhere, services as payments

METHOD = "payhere"
PAID = frozenset({"captured", "refunded", "partially_refunded", "charged_back"})
ITEMS_MAX = 255


@dataclass(frozen=True)
class HostedForm:
    """A form to POST to `action`, every field hidden."""

    action: str
    fields: dict[str, str]


UNAVAILABLE = _l("Card payment is not available right now.")


def form_action(action: str) -> str:
    """Where the browser posts a hosted-checkout form: PayHere's page, or the local
    sandbox's when it is on."""
    return external_url("payments.sandbox.checkout") if local_sandbox_on() else action


def configured() -> bool:
    config = current_app.config
    return bool(config.get("PAYHERE_MERCHANT_ID") and config.get("PAYHERE_MERCHANT_SECRET"))


def local_sandbox_on() -> bool:
    """The built-in sandbox answers only when PayHere's sandbox is chosen, the app does not
    run in production, and PAYHERE_LOCAL_SANDBOX is on."""
    config = current_app.config
    return bool(config.get("PAYHERE_SANDBOX") and config.get("KADE_ENV") != "production"
                and config.get("PAYHERE_LOCAL_SANDBOX"))


def payable(order) -> bool:
    """A PayHere order still waiting for its money."""
    if order.payment_method != METHOD or order.status != "pending_payment":
        return False
    payment = payments.payment_for(order.number, METHOD)
    return payment is not None and payment.status not in PAID


def access_token(order) -> str:
    """The signed token of the order's link (the one mailed to a guest)."""
    return orders.guest_token(order)


RETURN_PURPOSE = "payhere-return"
RETURN_TOKEN_HOURS = 6  # a hosted checkout, with 3-D Secure and a slow bank, and then some


def return_token(order) -> str:
    """A token that brings the shopper back from PayHere to this order's payment state: it
    opens the return and cancel pages only, for RETURN_TOKEN_HOURS, and ends when the
    order's links are revoked."""
    return serializer(RETURN_PURPOSE).dumps([order.number, order.link_version])


def order_for_return_token(number: str, token: str):
    """The order a return token was made for, if it is `number`'s and still good; else
    None."""
    if not token or len(token) > orders.TOKEN_MAX:
        return None
    try:
        claim = serializer(RETURN_PURPOSE).loads(token, max_age=RETURN_TOKEN_HOURS * 3600)
    except BadSignature:
        return None
    if not (isinstance(claim, list) and len(claim) == 2 and claim[0] == number):
        return None
    order = orders.find_by_number(number)
    if order is None or order.link_version != claim[1]:
        return None
    return order


def split_name(name: str) -> tuple[str, str]:
    """PayHere wants a first and a last name: the last word is the last name ("K. A. Nimal
    Perera" -> "K. A. Nimal", "Perera"). A single name is used for both."""
    words = (name or "").split()
    if not words:
        return "", ""
    if len(words) == 1:
        return words[0], words[0]
    return " ".join(words[:-1]), words[-1]


def items_text(order) -> str:
    """What PayHere shows as the purchase: "Order KD-…: Ceylon tea × 2, Soap", cut to fit."""
    locale = order.locale or "en"
    parts = [line.name(locale) + (f" × {line.quantity}" if line.quantity > 1 else "")
             for line in order.lines]
    text = f"Order {order.number}: " + ", ".join(parts)
    if len(text) > ITEMS_MAX:
        text = text[:ITEMS_MAX - 1].rstrip(", ") + "…"
    return text


def _billing_place(order) -> tuple[str, str]:
    """The address PayHere asks for: where the goods go; for services and collection from
    the shop (no address on the order), the shop's own ("No. 1, Galle Road, Colombo 03"
    -> "No. 1, Galle Road", "Colombo 03")."""
    if order.ship_line1:
        line = order.ship_line1 + (f", {order.ship_line2}" if order.ship_line2 else "")
        return line, order.ship_city or ""
    street, _, city = content.shop_details("en").address.rpartition(",")
    return (street.strip() or city.strip()), city.strip()


def customer_fields(order) -> dict[str, str]:
    first, last = split_name(order.contact_name or "")
    address, city = _billing_place(order)
    return {"first_name": first, "last_name": last, "email": order.contact_email or "",
            "phone": order.contact_phone or "", "address": address, "city": city}


def hosted_form(order, *, since: int | None = None) -> HostedForm:
    """The hosted-checkout form for `order`. `since` (milliseconds, now by default) goes into
    the return and cancel URLs, so those pages can tell this attempt's outcome from an
    earlier one's. Raises Invalid when PayHere is not configured."""
    if not configured():
        raise Invalid(UNAVAILABLE, field="payment_method")
    config = current_app.config
    token = return_token(order)
    since = int(time.time() * 1000) if since is None else since
    action, fields = payhere.checkout_form(
        merchant_id=config["PAYHERE_MERCHANT_ID"],
        merchant_secret=config["PAYHERE_MERCHANT_SECRET"],
        sandbox=bool(config.get("PAYHERE_SANDBOX")), order_id=order.number,
        amount_cents=order.due_cents, currency=order.currency or "LKR",
        items=items_text(order), customer=customer_fields(order),
        return_url=external_url("payments.payhere_return", order_id=order.number, r=token,
                                since=since),
        cancel_url=external_url("payments.payhere_cancel", order_id=order.number, r=token,
                                since=since),
        notify_url=external_url("payments.payhere_notify"))
    return HostedForm(action=form_action(action), fields=fields)


# ---- what the ledger says -------------------------------------------------------------------

@dataclass(frozen=True)
class PaymentState:
    """For the return page. `state`: paid (the ledger has the money), waiting (nothing
    final yet for this attempt), failed, cancelled (this attempt, by PayHere's word), closed
    (the order was cancelled unpaid, or is not a PayHere order)."""

    state: str
    payable: bool


def payment_state(order, *, since: int | None = None) -> PaymentState:
    payment = payments.payment_for(order.number, METHOD)
    if payment is None:
        return PaymentState("closed", False)
    if payment.status in PAID:
        return PaymentState("paid", False)
    if order.status != "pending_payment":
        return PaymentState("closed", False)
    if payment.status in ("failed", "cancelled"):
        # An outcome from before this attempt began (an earlier cancel, then "Try again")
        # says nothing about this one: keep waiting for this attempt's notification (it may
        # come after the shopper is back). In milliseconds: a cancel and a new attempt can
        # fall in the same second.
        last = next((event for event in reversed(payment.events)
                     if event.kind == payment.status), None)
        if last is not None and (since is None
                                 or _seconds(last.created_at) * 1000 >= _millis(since)):
            return PaymentState(payment.status, True)
    return PaymentState("waiting", True)


def _millis(since: int) -> int:
    """`since` in milliseconds; return pages opened from forms made before it was in
    milliseconds carry seconds."""
    return since * 1000 if since < 10**11 else since


def _seconds(moment: dt.datetime) -> float:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.timestamp()


def cancel_recurring(subscription_id: str) -> bool:
    """Stop a PayHere recurring payment through the Merchant API (plans cancel with this).
    False when the shop has no API credentials; raises RefundFailed (a DomainError) when
    PayHere cannot be reached or refuses."""
    from app.payments import refunds

    return refunds.cancel_payhere_subscription(subscription_id)
