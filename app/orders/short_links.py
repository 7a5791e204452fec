"""Short order links for SMS: `/o/<code>`, about 18 characters of code.

An order's full link (`/orders/<number>?t=<signed token>`) is over 100 characters: in a
Sinhala or Tamil SMS, which is UCS-2 (70 characters a segment), it alone costs two segments.
The short code is the order's id, the day it was made and an HMAC of both with the order's
link version, truncated to 72 bits: it cannot be guessed (2**72 tries per order and day), it
expires after the guest link's days, and raising the link version (`revoke_links`) ends it
as it ends the full link. Opening it redirects to the order's full link, made afresh.
"""

from __future__ import annotations

import datetime as dt
import hmac

from app import db, short_codes
from app.db import utcnow
from app.links import external_url
from app.orders.models import Order

MAC_BYTES = 9  # 72 bits
DAY_BYTES = 2
EPOCH = dt.date(2024, 1, 1)


def _mac(order_id: int, version: int, day: int) -> bytes:
    return short_codes.signature(b"kade.short-order-link", f"{order_id}|{version}|{day}",
                                 MAC_BYTES)


def _today() -> int:
    return (utcnow().date() - EPOCH).days


def short_code(order: Order) -> str:
    """The code of a short link to `order` at its current link version, made today."""
    day = _today()
    return short_codes.pack(order.id, day, DAY_BYTES, _mac(order.id, order.link_version, day))


def short_link(order: Order) -> str:
    """The absolute short link, for an SMS."""
    return external_url("orders.short_link", code=short_code(order))


def order_for_code(code: str, *, max_days: int) -> Order | None:
    """The order a short code opens now: None for a code we did not make, one older than
    `max_days`, or one whose order's links were revoked since."""
    parts = short_codes.unpack(code, stamp_bytes=DAY_BYTES, mac_bytes=MAC_BYTES)
    if parts is None:
        return None
    order_id, day, mac = parts
    if not 0 < order_id < 2**31 or not 0 <= _today() - day <= max_days:
        return None
    order = db.session.get(Order, order_id)
    if order is None or not hmac.compare_digest(mac, _mac(order.id, order.link_version, day)):
        return None
    return order
