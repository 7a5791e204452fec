"""A staff member's view of an order's promotions: each discount on the order page, and the
uses of a refunded order given back (a cancelled order's go back by themselves)."""

from __future__ import annotations

from app.checkout import cart as carts
from app.checkout.services import place_order
from app.orders import services as orders
from app.payments import refunds, services as payments
from app.promotions import vouchers
from tests.checkout.factories import guest_cart, guest_choices, starter_delivery, stocked
from tests.factories import make_staff
from tests.promotions.factories import make_promotion


def test_the_staff_order_page_shows_the_discounts_and_gives_uses_back(client, db_session,
                                                                      sign_in_staff):
    starter_delivery()
    tea = stocked("Ceylon tea", units=10, price_cents=3_000_00)
    make_promotion("Launch 10%", percent=10, code="LAUNCH")
    cart = guest_cart(tea)
    carts.set_voucher(cart, "launch")
    order, _ = place_order(cart, guest_choices())
    manager = make_staff("order_manager")
    sign_in_staff(manager)
    page = client.get(f"/staff/orders/{order.number}").get_data(as_text=True)
    assert "Launch 10% (LAUNCH): −Rs. 300.00" in page
    assert "Promotions used" in page
    assert "Give the promotions" not in page  # not refunded: nothing to give back
    refused = client.post(f"/staff/orders/{order.number}/promotions/give-back")
    assert refused.status_code == 303
    assert vouchers.redemptions_of(order.number)[0].released_at is None

    payments.mark_collected(order.number, order.total_cents)
    orders.change_status(order.number, "shipped")
    orders.change_status(order.number, "delivered")
    refunds.refund(order.number, order.total_cents, reason="Lost", actor=manager)
    page = client.get(f"/staff/orders/{order.number}").get_data(as_text=True)
    assert "uses back</button>" in page, page[page.find("Promotions used"):][:800]
    given = client.post(f"/staff/orders/{order.number}/promotions/give-back")
    assert given.status_code == 303
    page = client.get(given.headers["Location"]).get_data(as_text=True)
    assert "The use of 1 promotion is given back." in page
    assert "use given back" in page
