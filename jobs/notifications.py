"""Jobs that move the outbox. Thin: they open an app context and call a service; they carry
message ids only, never an address."""

from jobs.context import app_context


def relay() -> int:
    """Claim due outbox messages and hand each to a delivery. Safe to run twice: rows are
    claimed with a lease."""
    from app.notifications import services as notifications

    with app_context():
        return notifications.relay_now()


def deliver(message_id: int) -> bool:
    """Send one outbox message. Raises when the provider refused it, so RQ retries it and,
    when retries run out, keeps it with its error among the failed jobs."""
    from app.notifications import services as notifications

    with app_context():
        return notifications.deliver_now(message_id)
