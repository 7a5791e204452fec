"""Jobs that move the outbox. Thin: they open an app context and call a service; they carry
message ids only, never an address."""

from jobs.context import app_context


def relay() -> int:
    """Claim due outbox messages and hand each to a delivery. Safe to run twice: rows are
    claimed with a lease."""
    from app.notifications import services as notifications

    with app_context():
        return notifications.relay_now()


def deliver(message_id: int, attempts: int | None = None) -> bool:
    """One attempt at an outbox message the relay claimed (`attempts`: the claim's token).
    Enqueued without RQ retries: a refusal is written on the row, whose sweep tries again.
    Raises when the message gave up, so RQ keeps it with its error among the failed jobs.
    Safe to run twice: a second run of the same claim does nothing."""
    from app.notifications import services as notifications

    with app_context():
        return notifications.deliver_now(message_id, attempts)
