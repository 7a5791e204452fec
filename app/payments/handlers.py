"""How payments react to events: the customer hears of a refund (order.refunded carries the
ledger's refund id). Registered by the app factory; idempotent through the outbox's key.
It also names the payment methods for orders, which never import payments."""

from __future__ import annotations

from app.events import handler
from app.events.services import PublishedEvent
from app.orders import services as orders, signals
from app.payments import credit, refunds
from app.payments.methods import METHODS, PREPAID

# The order page and its documents name the way an order was paid in payments' words.
orders.name_payment_methods({method.code: method.label
                             for method in (*METHODS.values(), *PREPAID.values())})

# A cancelled order's store credit and points go back to the wallet, and the points it
# earned are taken back, in the cancel's transaction.
signals.order_cancelled.connect(credit.give_back, weak=False)
signals.order_cancelled.connect(credit.take_back_earned, weak=False)


@handler("order.paid", name="payments.earn_points")
def earn_points(event: PublishedEvent) -> None:
    """The order's money arrived: its loyalty points (once, whatever runs it twice)."""
    credit.earn_points(event.data["number"])


@handler("order.refunded", name="payments.points_of_refund")
def points_of_refund(event: PublishedEvent) -> None:
    """A refund takes back its share of the points the order earned."""
    credit.take_back_earned(event.data["number"])


@handler("order.refunded", name="payments.refund_message")
def refund_message(event: PublishedEvent) -> None:
    if event.data.get("refund_id") is not None:
        refunds.tell_customer(event.data["refund_id"])
