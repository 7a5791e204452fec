"""Jobs that move the outbox. Thin: they open an app context and call a service."""

from jobs.context import app_context


def relay() -> int:
    """Deliver every due outbox message. Safe to run twice: rows are claimed with a lease."""
    from app.notifications import services as notifications

    with app_context():
        return notifications.relay_now()
