"""Inventory jobs. Thin: they open an app context and call a service."""

from jobs.context import app_context


def alert_low_stock() -> int:
    """Mail the inventory staff about stock that ran low. Safe to run twice: a level is
    reported once per shortage. Returns how many levels were reported."""
    from app.inventory import alerts

    with app_context():
        return alerts.alert_low_stock()
