"""How payments react to events: the customer hears of a refund (order.refunded carries the
ledger's refund id). Registered by the app factory; idempotent through the outbox's key.
It also names the payment methods for orders, which never import payments."""

from __future__ import annotations

from app.events import handler
from app.events.services import PublishedEvent
from app.orders import services as orders
from app.payments import refunds
from app.payments.methods import METHODS

# The order page and its documents name the way an order was paid in payments' words.
orders.name_payment_methods({code: method.label for code, method in METHODS.items()})


@handler("order.refunded", name="payments.refund_message")
def refund_message(event: PublishedEvent) -> None:
    if event.data.get("refund_id") is not None:
        refunds.tell_customer(event.data["refund_id"])
