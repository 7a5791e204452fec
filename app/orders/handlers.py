"""How orders react to events: the customer's mail and SMS on their own events, and the
erasure of a customer (their orders stay in the books without them).

Registered by the app factory. Each runs after the change committed, in a transaction of its
own, and only writes outbox rows; the outbox's dedupe key ("order:<number>:<template>") makes
a second run (at-least-once delivery) queue nothing new.
"""

from __future__ import annotations

from app.accounts import privacy as accounts_privacy
from app.events import handler
from app.events.services import PublishedEvent
from app.orders import privacy, services as orders, statuses

# Statuses whose arrival the customer hears about by mail (and SMS, if they want it): the
# status table's "mail" column.
MAILED = statuses.MAILED


def _order(event: PublishedEvent):
    return orders.find_by_number(event.data["number"])


@handler("order.placed", name="orders.placed_message")
def placed_message(event: PublishedEvent) -> None:
    order = _order(event)
    if order is not None:
        orders.mail_customer(order, "order_placed", status=event.data.get("status"))


def _status_message(status: str):
    def status_message(event: PublishedEvent) -> None:
        if event.data.get("status") != status:
            return  # paid without a change of status (cash on delivery): nothing to tell
        if status == "completed" and event.data.get("previous") == "delivered":
            return  # "delivered" thanked them already
        order = _order(event)
        if order is not None:
            orders.mail_customer(order, MAILED[status], status=status)

    status_message.__qualname__ = f"status_message_{status}"
    return status_message


for _status in MAILED:
    handler(f"order.{_status}", name=f"orders.{_status}_message")(_status_message(_status))


# The customer's copy of their data holds their orders; an order still on its way holds their
# erasure back (it needs their address and phone to arrive).
accounts_privacy.holds_personal_data("orders", export=privacy.export_for,
                                     check_erasable=privacy.check_erasable)


@handler("customer.erased", name="orders.forget_customer")
def forget_customer(event: PublishedEvent) -> None:
    """Their orders lose the person's details; doing it twice changes nothing more."""
    privacy.anonymise_for(event.data["user_id"])
