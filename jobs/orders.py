"""Order jobs. Thin: they open an app context and call a service."""

from jobs.context import app_context


def expire_unpaid() -> list[str]:
    """Cancel orders left unpaid past their time and give their stock back. Safe to run
    twice or in two workers at once: each cancellation is claimed with a conditional update.
    Returns the numbers of the orders cancelled."""
    from app.orders import services as orders

    with app_context():
        return orders.expire_unpaid()


def remind_unpaid() -> list[str]:
    """Remind customers of bank-transfer orders a day before they expire. Safe to run as
    often as you like: each order is reminded once (the message's dedupe key)."""
    from app.orders import reminders

    with app_context():
        return reminders.remind_unpaid()
