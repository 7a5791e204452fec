"""A customer's rights under the Personal Data Protection Act, No. 9 of 2022: a copy of
their data, and erasure (orders are kept for the law on accounts, without the person).
Each domain that holds something of theirs answers for its own part.

Those domains (orders, support) sit above accounts: they ask accounts for names, addresses
and phones. So accounts never imports them (DESIGN rule 2, no cycle between domains);
instead each registers its part here from its `handlers.py`, which the app factory imports
(`holds_personal_data`): its share of the copy, a check that may hold an erasure back, and
what must be taken out while the person's name and contacts are still known. What needs
only the customer's id is forgotten by a handler of `customer.erased` (orders), after the
erasure commits."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from app.accounts import services as accounts, sessions
from app.accounts.districts import district_name
from app.accounts.models import User
from app.audit import services as audit
from app.db import transaction, utcnow
from app.events import services as events
from app.notifications import services as notifications


@dataclass(frozen=True)
class _Holder:
    key: str
    export: Callable[[int, str], list[dict]]
    check_erasable: Callable[[int], None] | None
    erase_before: Callable[..., None] | None


_holders: dict[str, _Holder] = {}


def holds_personal_data(key: str, *, export: Callable[[int, str], list[dict]],
                        check_erasable: Callable[[int], None] | None = None,
                        erase_before: Callable[..., None] | None = None) -> None:
    """Register a domain's part of a person's data, under `key` in the copy.

    `export(user_id, locale)` gives its JSON-ready values; `check_erasable(user_id)` raises a
    DomainError while the erasure must wait; `erase_before(user_id, names=..., contacts=...)`
    runs inside the erasure's transaction before the account's own fields are emptied.
    Registering the same key again replaces it (the factory may run more than once)."""
    _holders[key] = _Holder(key, export, check_erasable, erase_before)


def _in_export_order() -> list[_Holder]:
    # The copy lists the orders before the tickets, as it always has.
    return sorted(_holders.values(), key=lambda h: (h.key != "orders", h.key))


def export_data(user_id: int) -> dict:
    """Everything Kade holds about the person, as plain JSON-ready values."""
    with transaction():
        user = accounts.get_user(user_id)
        parts = {h.key: h.export(user.id, user.locale) for h in _in_export_order()}
        audit.record("account.export", actor_id=user.id, target_type="user",
                     target_id=user.id)
    return {
        "account": {
            "id": user.id,
            "name": user.name,
            "email": user.email,
            "email_verified": user.is_email_verified,
            "phone": user.phone,
            "language": user.locale,
            "created_at": user.created_at.isoformat(),
            "last_login_at": user.last_login_at.isoformat() if user.last_login_at else None,
        },
        "addresses": [
            {"id": a.id, "recipient": a.recipient, "phone": a.phone, "line1": a.line1,
             "line2": a.line2, "city": a.city, "district": a.district,
             "district_name": district_name(a.district, "en"), "postal_code": a.postal_code}
            for a in user.addresses
        ],
        **parts,
    }


def erase_account(user_id: int, *, password: str, ip: str | None = None) -> None:
    """Erase the person: personal fields emptied, addresses and tokens removed, their orders
    kept without their details, their words taken out of support tickets, their messages
    deleted, sign-in impossible. The row stays (anonymised) so orders keep a customer id.
    Raises InvalidCredentials when the password does not match (counted towards the lock
    as a wrong sign-in is), AccountLocked, Conflict while an order is still on its way (it
    needs their address and phone to arrive)."""
    accounts.check_password(user_id, password, field="password", ip=ip)
    with transaction():
        user: User = accounts.get_user(user_id)
        for holder in _in_export_order():
            if holder.check_erasable is not None:
                holder.check_erasable(user.id)
        # First, while the name, e-mail and phone are still known: staff replies may quote them.
        names: Iterable[str | None] = [user.name]
        contacts: Iterable[str | None] = [user.email, user.phone]
        for holder in _in_export_order():
            if holder.erase_before is not None:
                holder.erase_before(user.id, names=names, contacts=contacts)
        # Their orders lose their details in orders' handler of customer.erased (below).
        notifications.forget_user(user.id)
        user.name = None
        user.email = None
        user.email_index = None
        user.phone = None
        user.phone_index = None
        user.password_hash = None
        user.totp_secret = None
        user.is_active = False
        user.erased_at = utcnow()
        user.addresses.clear()
        sessions.end_all(user, reason="erased", actor_id=user.id)
        audit.record("account.erase", actor_id=user.id, target_type="user", target_id=user.id)
        events.publish("customer.erased", key=f"customer:{user.id}", user_id=user.id)
