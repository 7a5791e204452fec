"""Plan jobs. Thin: they open an app context and call a service."""

from jobs.context import app_context


def renew_due() -> dict[str, int]:
    """Move every subscription whose period or grace ended: invoice the next period, mark
    past due, expire. Safe to run twice or in two workers at once: each subscription is
    locked while it moves, and a period is invoiced once."""
    from app.plans import services as plans

    with app_context():
        return plans.renew_due()


def remind() -> int:
    """Tell customers of a renewal coming in three days and of a grace period ending.
    Safe to run as often as you like: each message has its key."""
    from app.plans import services as plans

    with app_context():
        return plans.remind()
