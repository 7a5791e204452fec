"""How payments react to events: the customer hears of a refund (order.refunded carries the
ledger's refund id). Registered by the app factory; idempotent through the outbox's key."""

from __future__ import annotations

from app.events import handler
from app.events.services import PublishedEvent
from app.payments import refunds


@handler("order.refunded", name="payments.refund_message")
def refund_message(event: PublishedEvent) -> None:
    if event.data.get("refund_id") is not None:
        refunds.tell_customer(event.data["refund_id"])
