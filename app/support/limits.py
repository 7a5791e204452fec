"""How often a customer may write to support: new questions and messages in a thread, each
counted per customer over the web pages and the API together (one shared count each), so
that moving from the app to the browser buys nothing. Generous for a person with a problem;
a stop for a script or a stuck client filling the staff queue."""

from __future__ import annotations

OPEN_LIMIT = "10 per hour"
REPLY_LIMIT = "30 per hour"
OPEN_SCOPE = "support-open"
REPLY_SCOPE = "support-reply"


def customer_key(user_id: int) -> str:
    """The limiter's key for a customer, whichever way they signed in."""
    return f"customer:{user_id}"


# A guest asking from their order's page: counted per order (its link is the guest's only
# credential, and anyone holding it writes to the same thread) and per client address.
GUEST_LIMIT = "10 per hour; 30 per day"
GUEST_CLIENT_LIMIT = "20 per hour"
GUEST_SCOPE = "support-guest"


def guest_order_key(order_number: str) -> str:
    return f"guest-order:{order_number}"
