"""Wallet jobs. Thin: they open an app context and call a service."""

from jobs.context import app_context


def expire_credit() -> int:
    """Write off what is left of store credit past its expiry date. Safe to run twice or in
    two workers at once: each account is locked while its credits are worked out, and an
    expiry entry has a key of its own. Returns how many accounts lost something."""
    from app.wallet import services as wallet

    with app_context():
        return wallet.expire_due()


def remind_expiring_points() -> int:
    """Remind customers whose loyalty points lapse soon. Safe to run as often as you like:
    each customer is reminded once per lapse date (the message's key)."""
    from app.wallet import points

    with app_context():
        return points.remind_expiring()
