"""A customer's orders under the Personal Data Protection Act: their copy in the data export,
and their erasure. Orders stay in the books (amounts, items, dates, district: the law on
accounts), without the person: name, email, phone and address are emptied, and the words
they wrote (a cancellation reason, a return request) are removed from the timeline.

An order still on its way needs the person's details to arrive: erasure waits for it."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app import db
from app.errors import Conflict
from app.orders import statuses
from app.orders.models import Order, OrderEvent


def _orders_of(user_id: int) -> list[Order]:
    return list(db.session.scalars(
        select(Order).where(Order.user_id == user_id).order_by(Order.id)))


def export_for(user_id: int, locale: str = "en") -> list[dict]:
    """The customer's orders as JSON-ready values: what they bought, where it went, what it
    cost, and the timeline they can see. Names of what they bought, its options and the
    delivery option are in `locale` (the customer's language), English where an order kept
    no translation."""
    return [{
        "number": order.number,
        "status": order.status,
        "placed_at": order.placed_at.isoformat(),
        "payment_method": order.payment_method,
        "payment_status": order.payment_status,
        "contact": {"name": order.contact_name, "email": order.contact_email,
                    "phone": order.contact_phone},
        "delivery": {"option": order.delivery_name_in(locale), "recipient": order.ship_recipient,
                     "phone": order.ship_phone, "line1": order.ship_line1,
                     "line2": order.ship_line2, "city": order.ship_city,
                     "district": order.district, "postal_code": order.postal_code},
        "lines": [{"sku": line.sku, "name": line.name(locale),
                   "options": line.options_text(locale) or None,
                   "quantity": line.quantity, "unit_cents": line.unit_cents,
                   "total_cents": line.total_cents} for line in order.lines],
        "subtotal_cents": order.subtotal_cents,
        "discount_cents": order.discount_cents,
        "delivery_fee_cents": order.delivery_fee_cents,
        "total_cents": order.total_cents,
        "currency": order.currency,
        "timeline": [{"at": event.created_at.isoformat(), "kind": event.kind,
                      "status": event.status, "note": event.note}
                     for event in order.events if event.public],
    } for order in _orders_of(user_id)]


def check_erasable(user_id: int) -> None:
    """Raises Conflict naming the orders still on their way."""
    open_numbers = [o.number for o in _orders_of(user_id) if o.status in statuses.IN_PROGRESS]
    if open_numbers:
        raise Conflict(_l("Your orders %(numbers)s are still on their way. You can erase "
                          "your account once they are delivered or cancelled.",
                          numbers=", ".join(open_numbers)), field="password")


def anonymise_for(user_id: int) -> int:
    """Empty the person's details on each of their orders (inside the caller's transaction).
    Returns how many orders were anonymised."""
    orders = _orders_of(user_id)
    for order in orders:
        order.contact_name = order.contact_email = order.contact_phone = ""
        order.ship_recipient = order.ship_phone = None
        order.ship_line1 = order.ship_line2 = order.ship_city = None
        order.postal_code = None  # the district stays: it is coarse, and reports use it
        order.idempotency_key = order.request_fingerprint = None
        # Once the customer is gone the order has no user: a link made for it earlier (a
        # PayHere return before links were guests' only) must not open it as a guest's.
        order.link_version += 1
        for event in db.session.scalars(select(OrderEvent).where(
                OrderEvent.order_id == order.id, OrderEvent.actor_kind == "customer")):
            event.note = None  # their words: a cancellation reason, a return request
    return len(orders)
