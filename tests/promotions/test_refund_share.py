"""A partial refund of a discounted order gives back what was paid for the items: their own
discounts and their share of the order's discounts come off, and the books balance."""

from __future__ import annotations

import pytest

from app import db
from app.backoffice.payments import quick_amounts
from app.checkout import cart as carts
from app.checkout.services import place_order
from app.errors import Forbidden
from app.orders import services as orders
from app.payments import refunds, services as payments
from app.promotions import vouchers
from app.promotions.models import Promotion, VoucherCode
from tests.checkout.factories import guest_cart, guest_choices, starter_delivery, stocked
from tests.factories import make_staff
from tests.promotions.factories import make_promotion


def test_a_partial_refund_of_a_discounted_two_line_order(db_session):
    starter_delivery()
    tea = stocked("Ceylon tea", units=10, price_cents=3_000_00, sku="TEA-1")
    soap = stocked("Herbal soap", units=10, price_cents=1_000_00, sku="SOAP-1")
    make_promotion("Rs. 1,000 off", benefit="order_fixed", amount_cents=1_000_00, code="K1000")
    cart = guest_cart((tea, 1), (soap, 2))
    carts.set_voucher(cart, "K1000")
    order, _ = place_order(cart, guest_choices())
    # Goods 5,000, less 1,000: tea's share 600 (3/5), the soaps' 400 (2/5); delivery 350.
    assert (order.subtotal_cents, order.discount_cents, order.total_cents) == (
        5_000_00, 1_000_00, 4_350_00)
    paid = order.paid_for_lines()
    tea_line = next(line for line in order.lines if line.sku == "TEA-1")
    soap_line = next(line for line in order.lines if line.sku == "SOAP-1")
    assert (paid[tea_line.id], paid[soap_line.id]) == (2_400_00, 1_600_00)

    payments.mark_collected(order.number, order.total_cents)
    orders.change_status(order.number, "shipped")
    orders.change_status(order.number, "delivered")
    manager = make_staff("order_manager")
    payment = payments.payment_for(order.number, "cod")
    left = refunds.left_to_refund(payment)
    choices = {q["key"]: q["cents"] for q in quick_amounts(refunds.lines_left(order), left)}
    # One of the two soaps: what was paid for it, not its list price.
    assert choices[f"line-{soap_line.id}"] == 1_600_00 and choices["all"] == 4_350_00

    refunds.refund(order.number, 800_00, lines={soap_line.id: 1}, reason="One bar cracked",
                   actor=manager)
    order = orders.find_by_number(order.number)
    payment = payments.payment_for(order.number, "cod")
    assert order.status == "partially_refunded"
    assert (payment.captured_cents, payment.refunded_cents) == (4_350_00, 800_00)
    assert sum(e.amount_cents for e in payment.events if e.kind == "refunded") == 800_00
    # The next soap is offered at its share again; never more than is left.
    choices = {q["key"]: q["cents"] for q in quick_amounts(
        refunds.lines_left(order), refunds.left_to_refund(payment))}
    assert choices[f"line-{soap_line.id}"] == 800_00
    assert choices[f"line-{tea_line.id}"] == 2_400_00
    assert choices["all"] == 3_550_00


def test_staff_may_give_a_refunded_orders_uses_back(db_session):
    starter_delivery()
    tea = stocked("Ceylon tea", units=10, price_cents=3_000_00)
    make_promotion("Once", percent=10, code="ONCE", code_uses=1)
    cart = guest_cart(tea)
    carts.set_voucher(cart, "once")
    order, _ = place_order(cart, guest_choices())
    payments.mark_collected(order.number, order.total_cents)
    orders.change_status(order.number, "shipped")
    orders.change_status(order.number, "delivered")
    manager = make_staff("order_manager")
    refunds.refund(order.number, order.total_cents, reason="Lost in the post", actor=manager)
    db.session.expire_all()
    # A refund keeps the use: the single-use code stays used.
    assert db.session.query(VoucherCode).one().uses_count == 1

    with pytest.raises(Forbidden):
        vouchers.give_back(order.number, actor=make_staff("support_agent"))
    assert vouchers.give_back(order.number, actor=manager) == 1
    db.session.expire_all()
    assert db.session.query(VoucherCode).one().uses_count == 0
    assert db.session.query(Promotion).one().uses_count == 0
    assert vouchers.give_back(order.number, actor=manager) == 0  # only once

