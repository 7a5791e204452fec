"""A customer's rights under the Personal Data Protection Act, No. 9 of 2022: a copy of
their data, and erasure (orders are kept for the law on accounts, without the person).
Each domain that holds something of theirs answers for its own part through its services
(support: their tickets)."""

from __future__ import annotations

from app.accounts import services as accounts, sessions
from app.accounts.districts import district_name
from app.accounts.models import User
from app.audit import services as audit
from app.db import transaction, utcnow
from app.events import services as events
from app.notifications import services as notifications
from app.orders import privacy as orders
from app.support import services as support


def export_data(user_id: int) -> dict:
    """Everything Kade holds about the person, as plain JSON-ready values."""
    with transaction():
        user = accounts.get_user(user_id)
        tickets = support.export_for(user.id)
        their_orders = orders.export_for(user.id, user.locale)
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
        "orders": their_orders,
        "support_tickets": tickets,
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
        orders.check_erasable(user.id)
        # First, while the name, e-mail and phone are still known: staff replies may quote them.
        support.erase_for(user.id, names=[user.name], contacts=[user.email, user.phone])
        orders.anonymise_for(user.id)
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
