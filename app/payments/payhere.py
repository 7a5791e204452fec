"""PayHere, to its documented protocol (see ../shared/PAYHERE.md and PayHere's Checkout API
and notification pages): the hosted-checkout form and its `hash`, and the server-to-server
notification with its `md5sig`. No network here: the browser posts the form to PayHere, and
PayHere posts the notification to us. Refunds (Merchant API) live in refunds.py.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from app.digits import is_digits, whole_number

SANDBOX_URL = "https://sandbox.payhere.lk/pay/checkout"
LIVE_URL = "https://www.payhere.lk/pay/checkout"

STATUS_CODES = {"2": "captured", "0": "pending", "-1": "cancelled", "-2": "failed",
                "-3": "charged_back"}


def _md5_upper(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest().upper()  # noqa: S324 — PayHere's formula


def format_amount(cents: int) -> str:
    """PayHere wants two decimals and no thousands separator: 125000 -> "1250.00"."""
    if cents < 0:
        raise ValueError("a negative amount")
    return f"{cents // 100}.{cents % 100:02d}"


def parse_amount(text: str) -> int | None:
    """"1,250.00" or "1250" -> 125000 cents; None when it is not an amount. No floats."""
    cleaned = (text or "").replace(",", "").strip()
    whole, _, fraction = cleaned.partition(".")
    if not is_digits(whole) or len(whole) > 12 or (fraction and not is_digits(fraction)):
        return None
    if len(fraction) > 2 and fraction[2:].strip("0"):
        return None  # more precision than cents: not an amount we asked for
    return int(whole) * 100 + int((fraction + "00")[:2])


def checkout_hash(merchant_id: str, order_id: str, amount: str, currency: str,
                  merchant_secret: str) -> str:
    """UPPER(MD5(merchant_id + order_id + amount + currency + UPPER(MD5(secret))))."""
    return _md5_upper(merchant_id + order_id + amount + currency + _md5_upper(merchant_secret))


def notification_signature(merchant_id: str, order_id: str, amount: str, currency: str,
                           status_code: str, merchant_secret: str) -> str:
    """UPPER(MD5(merchant_id + order_id + payhere_amount + payhere_currency + status_code
    + UPPER(MD5(secret))))."""
    return _md5_upper(merchant_id + order_id + amount + currency + status_code
                      + _md5_upper(merchant_secret))


@dataclass(frozen=True)
class Notification:
    """A notification whose signature checked out."""

    order_id: str
    payment_id: str
    amount_cents: int
    currency: str
    status_code: str
    outcome: str  # captured | pending | cancelled | failed | charged_back
    method: str
    message: str
    # Recurring payments (plans): PayHere's subscription and what this notification is.
    recurring: bool = False
    subscription_id: str = ""
    message_type: str = ""  # AUTHORIZATION_SUCCESS, RECURRING_INSTALLMENT_FAILED, …
    next_date: str = ""  # item_rec_date_next, YYYY-MM-DD
    installments_paid: int = 0


# What a recurring notification's message_type says happened.
MESSAGE_TYPES = ("AUTHORIZATION_SUCCESS", "AUTHORIZATION_FAILED",
                 "RECURRING_INSTALLMENT_SUCCESS", "RECURRING_INSTALLMENT_FAILED",
                 "RECURRING_COMPLETE", "RECURRING_STOPPED")


class BadNotification(Exception):
    """The notification is not PayHere's, or not about anything we asked for. The reason is
    for our log; the answer to the sender says nothing about it."""


def verify(form: dict[str, str], *, merchant_id: str, merchant_secret: str) -> Notification:
    """Check a notification's merchant id and md5sig (constant-time). Raises BadNotification."""
    fields = {key: str(form.get(key, "")).strip() for key in (
        "merchant_id", "order_id", "payment_id", "payhere_amount", "payhere_currency",
        "status_code", "md5sig", "method", "status_message")}
    if not hmac.compare_digest(fields["merchant_id"], merchant_id):
        raise BadNotification("merchant id")
    amount_cents = parse_amount(fields["payhere_amount"])
    if amount_cents is None:
        raise BadNotification("amount")
    # The plugin PayHere publishes strips commas and writes two decimals before hashing.
    expected = notification_signature(merchant_id, fields["order_id"],
                                      format_amount(amount_cents), fields["payhere_currency"],
                                      fields["status_code"], merchant_secret)
    if not hmac.compare_digest(fields["md5sig"].upper(), expected):
        raise BadNotification("signature")
    outcome = STATUS_CODES.get(fields["status_code"])
    if outcome is None:
        raise BadNotification("status code")
    if not fields["order_id"] or len(fields["order_id"]) > 24 or len(fields["payment_id"]) > 64:
        raise BadNotification("ids")
    recurring = str(form.get("recurring", "")).strip() == "1"
    message_type = str(form.get("message_type", "")).strip().upper()
    if recurring and message_type not in MESSAGE_TYPES:
        raise BadNotification("message type")
    paid = str(form.get("item_rec_install_paid", "")).strip()
    return Notification(order_id=fields["order_id"], payment_id=fields["payment_id"],
                        amount_cents=amount_cents, currency=fields["payhere_currency"],
                        status_code=fields["status_code"], outcome=outcome,
                        method=fields["method"][:20], message=fields["status_message"][:200],
                        recurring=recurring,
                        subscription_id=str(form.get("subscription_id", "")).strip()[:64],
                        message_type=message_type if recurring else "",
                        next_date=str(form.get("item_rec_date_next", "")).strip()[:10],
                        installments_paid=whole_number(paid, max_digits=5) or 0)


def checkout_form(*, merchant_id: str, merchant_secret: str, sandbox: bool, order_id: str,
                  amount_cents: int, currency: str, items: str, customer: dict[str, str],
                  return_url: str, cancel_url: str, notify_url: str,
                  recurrence: str | None = None,
                  duration: str | None = None) -> tuple[str, dict]:
    """The action URL and the fields of the hosted-checkout form, in PayHere's names.
    `customer`: first_name, last_name, email, phone, address, city (country is Sri Lanka).
    A recurring payment (a plan) adds `recurrence` ("1 Month") and `duration` ("Forever")."""
    amount = format_amount(amount_cents)
    fields = {
        "merchant_id": merchant_id, "return_url": return_url, "cancel_url": cancel_url,
        "notify_url": notify_url, "order_id": order_id, "items": items[:255],
        "currency": currency, "amount": amount,
        "first_name": customer.get("first_name", "")[:50],
        "last_name": customer.get("last_name", "")[:50],
        "email": customer.get("email", ""), "phone": customer.get("phone", ""),
        "address": customer.get("address", "")[:100], "city": customer.get("city", "")[:50],
        "country": "Sri Lanka",
        "hash": checkout_hash(merchant_id, order_id, amount, currency, merchant_secret),
    }
    if recurrence:
        fields["recurrence"], fields["duration"] = recurrence, duration or "Forever"
    return (SANDBOX_URL if sandbox else LIVE_URL), fields
