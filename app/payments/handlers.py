"""How payments react to events: the customer hears of a refund (order.refunded carries the
ledger's refund id). Registered by the app factory; idempotent through the outbox's key.
It also names the payment methods for orders, which never import payments."""

from __future__ import annotations

from app.events import handler
from app.events.services import PublishedEvent
from app.orders import services as orders, signals
from app.payments import credit, refunds
from app.payments.methods import METHODS, STORE_CREDIT

# The order page and its documents name the way an order was paid in payments' words.
orders.name_payment_methods({method.code: method.label
                             for method in (*METHODS.values(), STORE_CREDIT)})

# A cancelled order's store credit goes back to the wallet, in the cancel's transaction.
signals.order_cancelled.connect(credit.give_back, weak=False)


@handler("order.refunded", name="payments.refund_message")
def refund_message(event: PublishedEvent) -> None:
    if event.data.get("refund_id") is not None:
        refunds.tell_customer(event.data["refund_id"])
