"""Fixtures shared by the PayHere notification tests."""

from __future__ import annotations

import pytest

from app import db
from app.payments import services as payments
from tests.checkout.factories import place_guest_order, stocked


@pytest.fixture()
def awaiting(payhere_app):
    """A bank-transfer style order waiting for payment, with a PayHere payment open:
    (number, total cents). Built over the `payhere_app` of the module that asks."""
    with payhere_app.app_context():
        order = place_guest_order((stocked(units=5, price_cents=1_250_00), 1),
                                  payment_method="bank_transfer")
        payments.open_payment(order.number, "payhere", order.total_cents)
        db.session.commit()
        number, total = order.number, order.total_cents
        db.session.remove()
    return number, total
