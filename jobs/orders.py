"""Order jobs. Thin: they open an app context and call a service."""

from jobs.context import app_context


def expire_unpaid() -> list[str]:
    """Cancel orders left unpaid past their time and give their stock back. Safe to run
    twice or in two workers at once: each cancellation is claimed with a conditional update.
    Returns the numbers of the orders cancelled."""
    from app.orders import services as orders

    with app_context():
        return orders.expire_unpaid()
