"""Recommendation jobs. Thin: they open an app context and call a service."""

from jobs.context import app_context


def flush_events() -> int:
    """Move the buffered shopper events into the database. Safe to run twice or in two
    workers at once: each event is taken from the buffer by one of them only."""
    from app.recommendations import tracking

    with app_context():
        return tracking.flush_all()


def delete_old_events() -> int:
    """Delete shopper events older than 13 months. Safe to run as often as you like."""
    from app.recommendations import tracking

    with app_context():
        return tracking.delete_old()


def compute_recommendations() -> dict:
    """Compute and store every recommendation list, then make tonight's personal offers from
    them (nightly, on `low`). Running it twice stores the same lists and sends nothing more:
    one offer decision per template, customer and week."""
    from app.recommendations import nightly, offers

    with app_context():
        summary = nightly.compute()
        sent = offers.run()
        return {"lines": summary.lines, "customers": summary.customers, "lists": summary.lists,
                "offers_sent": sent.sent, "held_out": sent.held_out}
