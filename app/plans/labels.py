"""The words for a subscription's states and ways of paying, for the shopper's pages, the
back office and the API alike."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

STATE_LABELS = {
    "pending": _l("Waiting for your first payment"),
    "trialing": _l("Free trial"),
    "active": _l("Active"),
    "past_due": _l("Payment due"),
    "cancelled": _l("Cancelled: ends with the period"),
    "expired": _l("Ended"),
}
PAYMENT_LABELS = {
    "payhere": _l("Card, every period (PayHere)"),
    "bank_transfer": _l("Bank transfer, an invoice each period"),
    "cash": _l("Cash at the shop, an invoice each period"),
}
