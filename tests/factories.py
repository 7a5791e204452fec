"""Test data made through the real services, so sealed fields and indexes are right."""

from __future__ import annotations

import itertools

from app import db
from app.accounts import addresses, services as accounts, staff
from app.db import utcnow

PASSWORD = "correct horse battery"  # noqa: S105
_seq = itertools.count(1)


def make_customer(*, verified: bool = True, name: str | None = None, email: str | None = None,
                  phone: str | None = None, password: str = PASSWORD, locale: str = "en"):
    n = next(_seq)
    user = accounts.register(name=name or f"Customer {n}",
                             email=email or f"customer{n}@example.lk",
                             phone=phone or f"+9477{n:07d}", password=password, locale=locale)
    if verified:
        user.email_verified_at = utcnow()
        db.session.commit()
    return user


def make_staff(role: str = "admin", *, password: str = PASSWORD, enrolled: bool = True):
    """A staff member; with `enrolled`, a TOTP secret is set and confirmed. Without, the
    one-time code their first sign-in needs is `user.enrolment_code` (tests only)."""
    n = next(_seq)
    invite = staff.create_staff(email=f"staff{n}@kade.lk", role=role, password=password,
                                name=f"Staff {n}")
    user = invite.user
    user.enrolment_code = invite.enrolment_code
    if enrolled:
        staff.start_totp_enrolment(user.id, invite.enrolment_code)
        user.totp_enrolled_at = utcnow()
        user.enrolment_code_hash = None
        db.session.commit()
    return user


def make_address(user_id: int, **overrides):
    data = {"recipient": "Nimal Perera", "phone": "+94771234567", "line1": "12 Temple Road",
            "city": "Galle", "district": "galle", "line2": None, "postal_code": "80000"}
    data.update(overrides)
    return addresses.add_address(user_id, addresses.AddressInput(**data))
