"""The "Thank you! Your order is placed" note: shown on the order page opened right after
placing the order, once. A shopper who pays by card goes to PayHere first and may open the
order days later: by then the note is stale and not shown."""

from __future__ import annotations

import time

from flask import session

KEY = "just_placed"
FRESH_SECONDS = 10 * 60
_now = time.time  # tests move it


def remember(number: str) -> None:
    session[KEY] = {"number": number, "at": int(_now())}


def take(number: str) -> bool:
    """Whether this order's page should thank the shopper now; the note is used up."""
    placed = session.get(KEY)
    if not isinstance(placed, dict) or placed.get("number") != number:
        return False
    session.pop(KEY)
    return _now() - placed.get("at", 0) <= FRESH_SECONDS
