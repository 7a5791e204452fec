"""Report test data: orders placed through the real checkout, then dated where a test needs
them (placed_at and a refund's created_at), paid and refunded through the real services."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update

from app import db
from app.accounts.addresses import AddressInput
from app.db import transaction
from app.orders.models import Order
from app.payments import refunds, services as payments
from app.payments.models import Refund
from tests.checkout.factories import place_guest_order

COLOMBO_ADDRESS = AddressInput(recipient="Nimal Perera", phone="0712345678",
                               line1="10 Galle Road", city="Colombo 3", district="colombo",
                               postal_code="00300")


def at(order, when: dt.datetime):
    """Move an order's placing to `when` (an aware time)."""
    with transaction():
        db.session.execute(update(Order).where(Order.number == order.number)
                           .values(placed_at=when))
    return order


def cod_sale(*items, when: dt.datetime, **choices):
    """A cash-on-delivery order (confirmed at once), placed at `when`."""
    return at(place_guest_order(*items, payment_method="cod", **choices), when)


def transfer_paid(*items, when: dt.datetime, **choices):
    """A bank-transfer order whose money arrived, placed at `when`."""
    order = place_guest_order(*items, payment_method="bank_transfer", **choices)
    with transaction():
        payment = payments.payment_for(order.number, "bank_transfer", lock=True)
        payments.apply_outcome(payment, "captured", order.total_cents, "slip-1")
    return at(order, when)


def refunded(order, amount_cents: int, *, lines: dict[int, int] | None = None,
             when: dt.datetime):
    """A refund of `amount_cents` (for `lines`: order line id → units) made at `when`."""
    made = refunds.refund(order.number, amount_cents, lines=lines, reason="Broken on arrival")
    with transaction():
        db.session.execute(update(Refund).where(Refund.id == made.id).values(created_at=when))
    return made
