"""An order keeps each discount as it was applied: the order page, the invoice and the API
read the frozen copy, not today's promotions."""

from __future__ import annotations

import dataclasses

from app import db
from app.checkout import cart as carts
from app.checkout.services import place_order
from app.db import transaction
from app.orders.documents import invoice_pdf
from app.promotions import offers
from app.promotions.models import Promotion
from tests.checkout.factories import GALLE, guest_cart, guest_choices, starter_delivery, stocked
from tests.orders.test_documents import pdf_text
from tests.promotions.factories import make_promotion

COLOMBO = dataclasses.replace(GALLE, line1="7 Galle Road", city="Colombo 3",
                              district="colombo", postal_code="00300")


def discounted_order():
    """Three bags of rice with buy 2 get 1 free, Rs. 250 off with a code, free delivery."""
    starter_delivery()
    rice = stocked("Red rice", units=10, price_cents=1_500_00)
    make_promotion("Buy 2 get 1 free", benefit="buy_x_get_y", buy_quantity=2, get_quantity=1,
                   variant_ids=[rice.id], name_si="2ක් ගන්න 1ක් නොමිලේ")
    make_promotion("Rs. 250 off", benefit="order_fixed", amount_cents=250_00, code="SAVE250")
    make_promotion("Free delivery in Colombo", benefit="delivery", percent=100,
                   districts=["colombo"])
    cart = guest_cart((rice, 3))
    carts.set_voucher(cart, "save250")
    order, _ = place_order(cart, guest_choices(address=COLOMBO))
    return order


def test_the_order_and_its_invoice_list_every_discount(db_session):
    order = discounted_order()
    assert (order.subtotal_cents, order.discount_cents, order.delivery_fee_cents,
            order.total_cents) == (3_000_00, 250_00, 0, 2_750_00)
    assert sorted((a.kind, a.amount_cents, a.voucher) for a in order.adjustments) == [
        ("delivery", 350_00, None), ("line", 1_500_00, None), ("order", 250_00, "SAVE250")]
    assert order.savings_cents == 2_100_00

    # Staff rename and change a promotion afterwards: the order keeps what it was given.
    with transaction():
        for promotion in db.session.query(Promotion):
            promotion.name_en = "Renamed"
            promotion.percent = 5
    offers.invalidate()
    db.session.expire_all()
    text = pdf_text(invoice_pdf(order))
    assert "Buy 2 get 1 free" in text and "Renamed" not in text
    assert "Rs. 250 off" in text and "Free delivery in Colombo" in text
    assert "Rs. 2,750.00" in text


def test_the_order_page_shows_the_discounts_in_the_customers_language(client, db_session):
    order = discounted_order()
    from app.orders import services as orders

    link = f"/orders/{order.number}?t={orders.guest_token(order)}"
    page = client.get(link).get_data(as_text=True)
    assert "Buy 2 get 1 free: −Rs. 1,500.00" in page
    assert "Rs. 250 off" in page and "Free delivery in Colombo" in page
    assert "You saved Rs. 2,100.00" in page
    client.post("/language", data={"language": "si", "next": "/"})
    page = client.get(link).get_data(as_text=True)
    assert "2ක් ගන්න 1ක් නොමිලේ" in page
