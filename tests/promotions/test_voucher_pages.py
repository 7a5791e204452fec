"""The voucher field as a shopper uses it: on the cart (with and without htmx) and at the
review step, refusals with their reasons, removing a code, the rate limit, and the discount
on the placed order's page."""

from __future__ import annotations

import pytest

from app.checkout import cart as carts
from tests.catalog.pages import attr, text, texts
from tests.checkout.factories import starter_delivery, stocked
from tests.promotions.factories import make_promotion

HTMX_CART = {"HX-Request": "true", "HX-Target": "cart"}
GUEST = {"name": "Sarah Fernando", "email": "sarah@example.lk", "phone": "0771234567",
         "recipient": "Sarah Fernando", "address_phone": "0771234567",
         "line1": "5 Church Street", "city": "Galle", "district": "galle",
         "postal_code": "80000"}
COLOMBO = {**GUEST, "line1": "7 Galle Road", "city": "Colombo 3", "district": "colombo",
           "postal_code": "00300"}


@pytest.fixture()
def rice(db_session):
    starter_delivery()
    return stocked("Red rice", units=20, price_cents=2_000_00)


def add(client, variant, quantity=1):
    assert client.post("/cart/items", data={"variant_id": variant.id,
                                            "quantity": quantity}).status_code == 303


def apply(client, code, **headers):
    return client.post("/cart/voucher", data={"code": code, "next": "/cart"}, headers=headers)


def cart_html(client) -> str:
    return client.get("/cart").get_data(as_text=True)


def test_a_code_applied_without_javascript(client, rice):
    make_promotion("Rs. 300 off", benefit="order_fixed", amount_cents=300_00, code="OFF300")
    add(client, rice, 2)
    answer = apply(client, "off300")
    assert answer.status_code == 303 and answer.headers["Location"] == "/cart"
    html = cart_html(client)
    assert "Code OFF300 applied." in html
    assert text(html, cls="voucher-code") == "OFF300"
    assert "Rs. 300 off" in html and "−Rs. 300.00" in html
    assert texts(html, cls="grand-total")[1] == "Rs. 3,700.00"
    assert text(html, cls="savings") == "You save Rs. 300.00"

    removed = client.post("/cart/voucher/remove", data={"next": "/cart"})
    assert removed.status_code == 303
    html = cart_html(client)
    assert "The code is removed." in html and 'class="voucher-code"' not in html
    assert texts(html, cls="grand-total")[1] == "Rs. 4,000.00"


def test_a_code_applied_with_htmx_returns_the_cart(client, rice):
    make_promotion("Ten off", percent=10, code="TEN")
    add(client, rice, 1)
    answer = apply(client, "ten", **HTMX_CART)
    assert answer.status_code == 200
    html = answer.get_data(as_text=True)
    assert html.lstrip().startswith('<div id="cart"')
    assert "Code TEN applied." in html and "Ten off: −Rs. 200.00" in html


def test_a_refused_code_says_why_and_is_not_kept(client, rice):
    make_promotion("Big spenders", percent=10, code="BIG", min_subtotal_cents=10_000_00)
    add(client, rice, 1)
    answer = apply(client, "BIG", **HTMX_CART)
    assert answer.status_code == 422
    assert ("Spend Rs. 8,000.00 more to use this offer (minimum spend Rs. 10,000.00)."
            in answer.get_data(as_text=True))
    plain = apply(client, "WRONG1")
    assert plain.status_code == 303
    assert "This code is not valid. Check it and try again." in cart_html(client)
    assert carts.find_cart(token=client.get_cookie("kade_cart").value).voucher_code is None


def test_a_code_with_an_empty_cart(client, rice):
    make_promotion("Ten off", percent=10, code="TEN")
    apply(client, "TEN")
    assert "Your cart is empty. Add something first, then enter the code." in cart_html(client)


def test_trying_codes_is_rate_limited(make_app, rice):
    app = make_app(RATELIMIT_ENABLED=True)
    client = app.test_client()
    with app.app_context():
        add(client, rice, 1)
        answers = [apply(client, f"GUESS{n}").status_code for n in range(12)]
    assert answers[:10] == [303] * 10
    assert answers[10:] == [429, 429]


def checkout_to_review(client, address):
    client.post("/checkout", data={"step": "address", **address})
    client.post("/checkout", data={"step": "delivery", "delivery_option": "island-wide"})
    client.post("/checkout", data={"step": "payment", "payment_method": "cod"})
    return client.get("/checkout?step=review").get_data(as_text=True)


def test_a_district_code_is_refused_for_galle_and_accepted_for_colombo(client, rice):
    make_promotion("Welcome 10% off", percent=10, code="WELCOME10", first_order_only=True,
                   districts=["colombo"])
    add(client, rice, 3)
    apply(client, "welcome10")
    assert "For delivery to: Colombo. Checked when you give your address." in cart_html(client)

    review = checkout_to_review(client, GUEST)
    assert "This offer is not for Galle. It applies in: Colombo." in review
    assert texts(review, cls="grand-total")[1] == "Rs. 6,350.00"
    key = attr(review, "value", name="idempotency_key")
    refused = client.post("/checkout", data={"step": "place", "idempotency_key": key})
    assert refused.headers["Location"] == "/checkout?step=review"
    assert "This offer is not for Galle." in client.get(refused.headers["Location"]).get_data(
        as_text=True)

    review = checkout_to_review(client, COLOMBO)
    assert "Welcome 10% off" in review
    assert texts(review, cls="grand-total")[1] == "Rs. 5,750.00"  # 6,000 − 600 + 350
    key = attr(review, "value", name="idempotency_key")
    placed = client.post("/checkout", data={"step": "place", "idempotency_key": key})
    order_page = client.get(placed.headers["Location"]).get_data(as_text=True)
    assert "Welcome 10% off" in order_page and "−Rs. 600.00" in order_page
    assert "Rs. 5,750.00" in order_page
