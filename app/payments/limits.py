"""How many orders one person, or one place, may leave waiting for payment.

An order to be paid later (bank transfer, card) holds its stock until it is paid or expires
(UNPAID_ORDER_HOURS). Without a cap, anyone could empty a shop's shelves with orders they
never mean to pay. So a method that waits for payment is refused, like cash on delivery
beyond its staff-set limits (payments.settings), once the mobile number (or the customer
account) has UNPAID_ORDERS_PER_PHONE orders waiting, or the delivery address has
UNPAID_ORDERS_PER_PLACE. The counts come from the database, so every web process and the
API see the same ones.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import text

from app import db
from app.accounts import addresses, services as accounts
from app.accounts.phones import normalise_phone
from app.db import utcnow
from app.orders import services as orders


@dataclass(frozen=True)
class Payer:
    """Who would pay, as far as checkout knows them: the customer's id (None for a guest),
    their mobile number (as typed or E.164) and the delivery address (None: no delivery)."""

    user_id: int | None = None
    phone: str | None = None
    place: dict | None = None  # line1, city, district at least


def hold(payer: Payer, *, place: bool = True) -> None:
    """Inside a checkout's transaction: make other checkouts of the same account or mobile
    number (and, with `place`, for an order to pay later, of the same place) wait until
    this one commits, so that two placed at the same moment cannot both pass a count that
    only one of them should. PostgreSQL: advisory locks held to the end of the transaction
    (taken in one order, so two holders never deadlock); SQLite: the write lock that
    `transaction()` takes already serialises every checkout."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    phone = normalise_phone(payer.phone or "") if payer.phone else None
    names = []
    if payer.user_id is not None:
        names.append(f"user:{payer.user_id}")
    if phone:
        names.append(f"phone:{accounts.phone_index(phone)}")
    if place and payer.place and payer.place.get("line1"):
        names.append("place:" + addresses.place_index(
            payer.place["line1"], payer.place.get("city") or "",
            payer.place.get("district") or ""))
    keys = sorted(int.from_bytes(hashlib.sha256(f"kade-payer:{name}".encode()).digest()[:8],
                                 "big", signed=True) for name in names)
    if keys:
        # One statement for all of them: unnest gives the sorted keys in their order.
        db.session.execute(_LOCK_ALL, {"keys": keys})


_LOCK_ALL = text("SELECT pg_advisory_xact_lock(key) FROM unnest(CAST(:keys AS bigint[])) AS key")


def unpaid_refusal(payer: Payer, counts: orders.PayerOrders | None = None):
    """None when this payer may leave one more order waiting for payment, else why not.
    `counts`: the payer's orders as checkout read them already (else they are read)."""
    config = current_app.config
    per_phone, per_place = config["UNPAID_ORDERS_PER_PHONE"], config["UNPAID_ORDERS_PER_PLACE"]
    if counts is None:
        counts = orders.payer_orders(user_id=payer.user_id, phone=payer.phone,
                                     place=payer.place, since=utcnow())
    by_them, by_place = counts.waiting, counts.waiting_at_place
    if by_them >= per_phone or by_place >= per_place:
        return _l("There are already %(count)s orders waiting for payment for this mobile "
                  "number or address. Pay for one of them (or cancel it) before placing "
                  "another order to pay later, or choose another way to pay.",
                  count=by_them if by_them >= per_phone else by_place)
    return None
