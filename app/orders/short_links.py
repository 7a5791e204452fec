"""Short order links for SMS: `/o/<code>`, about 18 characters of code.

An order's full link (`/orders/<number>?t=<signed token>`) is over 100 characters: in a
Sinhala or Tamil SMS, which is UCS-2 (70 characters a segment), it alone costs two segments.
The short code is the order's id, the day it was made and an HMAC of both with the order's
link version, truncated to 72 bits: it cannot be guessed (2**72 tries per order and day), it
expires after the guest link's days, and raising the link version (`revoke_links`) ends it
as it ends the full link. Opening it redirects to the order's full link, made afresh.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac

from flask import current_app

from app import db
from app.db import utcnow
from app.links import external_url
from app.orders.models import Order

MAC_BYTES = 9  # 72 bits
DAY_BYTES = 2
EPOCH = dt.date(2024, 1, 1)
MAX_CODE = 32  # longer than any code we make: refused before any work


def _mac(order_id: int, version: int, day: int) -> bytes:
    key = hashlib.sha256(b"kade.short-order-link|" +
                         current_app.config["SECRET_KEY"].encode()).digest()
    return hmac.new(key, f"{order_id}|{version}|{day}".encode(), hashlib.sha256).digest()[
        :MAC_BYTES]


def _today() -> int:
    return (utcnow().date() - EPOCH).days


def short_code(order: Order) -> str:
    """The code of a short link to `order` at its current link version, made today."""
    day = _today()
    raw = (order.id.to_bytes(max(1, (order.id.bit_length() + 7) // 8), "big")
           + day.to_bytes(DAY_BYTES, "big") + _mac(order.id, order.link_version, day))
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def short_link(order: Order) -> str:
    """The absolute short link, for an SMS."""
    return external_url("orders.short_link", code=short_code(order))


def order_for_code(code: str, *, max_days: int) -> Order | None:
    """The order a short code opens now: None for a code we did not make, one older than
    `max_days`, or one whose order's links were revoked since."""
    if not code or len(code) > MAX_CODE or not code.isascii():
        return None
    try:
        raw = base64.urlsafe_b64decode(code + "=" * (-len(code) % 4))
    except (binascii.Error, ValueError):
        return None
    id_bytes = len(raw) - DAY_BYTES - MAC_BYTES
    if not 1 <= id_bytes <= 4:
        return None
    order_id = int.from_bytes(raw[:id_bytes], "big")
    day = int.from_bytes(raw[id_bytes:id_bytes + DAY_BYTES], "big")
    if not 0 < order_id < 2**31 or not 0 <= _today() - day <= max_days:
        return None
    order = db.session.get(Order, order_id)
    if order is None or not hmac.compare_digest(
            raw[id_bytes + DAY_BYTES:], _mac(order.id, order.link_version, day)):
        return None
    return order
