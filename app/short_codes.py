"""Short signed codes for links sent by SMS (`/o/<code>` opens an order, `/pay/<code>` pays
one): an id, a time stamp and a truncated HMAC, in URL-safe base64 without padding. A Sinhala
or Tamil SMS is UCS-2 (70 characters a segment), so every character of a link counts; a code
holds nothing but what it needs to be checked without storing it.

Each user keeps its own key (a purpose folded into SECRET_KEY) and its own stamp (a day, a
second): a code made for one purpose never opens another.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

from flask import current_app

MAX_CODE = 32  # longer than any code we make: refused before any work


def signature(purpose: bytes, message: str, length: int) -> bytes:
    """The first `length` bytes of the HMAC of `message` under SECRET_KEY and `purpose`."""
    key = hashlib.sha256(purpose + b"|" + current_app.config["SECRET_KEY"].encode()).digest()
    return hmac.new(key, message.encode(), hashlib.sha256).digest()[:length]


def pack(ident: int, stamp: int, stamp_bytes: int, mac: bytes) -> str:
    raw = (ident.to_bytes(max(1, (ident.bit_length() + 7) // 8), "big")
           + stamp.to_bytes(stamp_bytes, "big") + mac)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unpack(code: str, *, stamp_bytes: int, mac_bytes: int) -> tuple[int, int, bytes] | None:
    """(id, stamp, mac) as a code lays them out; None for anything that is not such a code
    (the caller still checks the mac)."""
    if not code or len(code) > MAX_CODE or not code.isascii():
        return None
    try:
        raw = base64.urlsafe_b64decode(code + "=" * (-len(code) % 4))
    except (binascii.Error, ValueError):
        return None
    id_bytes = len(raw) - stamp_bytes - mac_bytes
    if not 1 <= id_bytes <= 4:
        return None
    return (int.from_bytes(raw[:id_bytes], "big"),
            int.from_bytes(raw[id_bytes:id_bytes + stamp_bytes], "big"),
            raw[id_bytes + stamp_bytes:])
