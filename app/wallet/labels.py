"""Each ledger entry's kind in the customer's words (their account page and the back
office's customer page)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

KIND_LABELS = {
    "refund": _l("Refund as store credit"),
    "goodwill": _l("From the shop"),
    "cashback": _l("Cashback"),
    "earned": _l("Earned on an order"),
    "taken_back": _l("Taken back: order cancelled or refunded"),
    "returned": _l("Back from a cancelled order"),
    "adjustment": _l("Correction by the shop"),
    "spent": _l("Spent on an order"),
    "expired": _l("Expired"),
}
