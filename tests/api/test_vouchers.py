"""Vouchers through the API: PUT and DELETE /cart/voucher, every refusal with its reason in
the caller's language, and the discounts shown in the cart, the checkout and the order."""

from __future__ import annotations

import uuid

import pytest

from app import db
from app.catalog.models import Variant
from tests.api.helpers import assert_problem, bearer, sign_in
from tests.checkout.factories import customer_order, starter_delivery, stocked
from tests.factories import make_address
from tests.promotions.factories import make_promotion

CART, VOUCHER, ITEMS = "/api/v1/cart", "/api/v1/cart/voucher", "/api/v1/cart/items"


def money(cents: int) -> dict:
    return {"amount_cents": cents, "currency": "LKR"}


@pytest.fixture()
def rice(db_session) -> int:
    starter_delivery()
    return stocked("Red rice", units=20, price_cents=2_000_00).id


def errors(response) -> dict[str, list[str]]:
    """The problem's `errors` by field."""
    found: dict[str, list[str]] = {}
    for error in response.get_json().get("errors", []):
        found.setdefault(error["field"], []).append(error["message"])
    return found


def fill(client, headers, variant_id, quantity=1):
    response = client.post(ITEMS, headers=headers, json={"variant_id": variant_id,
                                                         "quantity": quantity})
    assert response.status_code in (200, 201)


def test_a_code_applies_and_the_cart_shows_each_discount(client, auth_headers, rice):
    promotion = make_promotion("Ten off", percent=10, code="TEN")
    fill(client, auth_headers, rice, 2)
    response = client.put(VOUCHER, headers=auth_headers, json={"code": " ten "})
    assert response.status_code == 200
    cart = response.get_json()
    assert cart["voucher"] == {"code": "TEN", "applied": True, "message": None}
    [line] = cart["items"]
    assert line["discounts"] == [{"code": f"promo:{promotion.id}", "label": "Ten off",
                                  "amount": money(400_00), "promotion_id": promotion.id,
                                  "voucher": "TEN"}]
    assert cart["total"] == money(3_600_00) and cart["savings"] == money(400_00)
    assert client.get(CART, headers=auth_headers).get_json()["voucher"]["code"] == "TEN"

    removed = client.delete(VOUCHER, headers=auth_headers)
    assert removed.status_code == 200
    assert removed.get_json()["voucher"] is None
    assert removed.get_json()["total"] == money(4_000_00)


@pytest.mark.parametrize("fields, code, message", [
    ({}, "NOPE-1", "This code is not valid. Check it and try again."),
    ({"min_subtotal_cents": 5_000_00}, "BIG",
     "Spend Rs. 3,000.00 more to use this offer (minimum spend Rs. 5,000.00)."),
    ({"max_uses": 2, "uses_count": 2}, "FULL", "This offer has reached its limit."),
    ({"paused": True}, "PAUSED", "This offer is paused just now. Please try again later."),
])
def test_refusals_say_why(client, auth_headers, rice, fields, code, message):
    if code != "NOPE-1":
        make_promotion("Sale", percent=10, code=code, **fields)
    fill(client, auth_headers, rice, 1)
    response = client.put(VOUCHER, headers=auth_headers, json={"code": code})
    assert_problem(response, 422)
    assert errors(response) == {"code": [message]}
    assert client.get(CART, headers=auth_headers).get_json()["voucher"] is None


def test_a_first_order_code_for_a_customer_who_ordered_before(client, auth_headers, customer,
                                                              rice):
    customer_order(customer, (db.session.get(Variant, rice), 1))
    make_promotion("Welcome", percent=10, code="HELLO", first_order_only=True)
    fill(client, auth_headers, rice, 1)
    response = client.put(VOUCHER, headers=auth_headers, json={"code": "hello"})
    assert errors(response) == {"code": ["This offer is for a first order only."]}


def test_a_district_code_through_checkout(client, auth_headers, customer, rice):
    make_promotion("Colombo 10%", percent=10, code="CMB10", districts=["colombo"])
    galle = make_address(customer.id).id
    colombo = make_address(customer.id, line1="7 Galle Road", city="Colombo 3",
                           district="colombo").id
    fill(client, auth_headers, rice, 1)
    pending = client.put(VOUCHER, headers=auth_headers, json={"code": "CMB10"}).get_json()
    assert pending["voucher"] == {
        "code": "CMB10", "applied": False,
        "message": "For delivery to: Colombo. Checked when you give your address."}
    body = {"delivery_option": "island-wide", "payment_method": "cod"}

    refused = client.post("/api/v1/checkout", json={**body, "address_id": galle},
                          headers={**auth_headers, "Idempotency-Key": str(uuid.uuid4())})
    assert_problem(refused, 422)
    assert errors(refused) == {
        "voucher": ["This offer is not for Galle. It applies in: Colombo."]}

    placed = client.post("/api/v1/checkout", json={**body, "address_id": colombo},
                         headers={**auth_headers, "Idempotency-Key": str(uuid.uuid4())})
    assert placed.status_code == 201, placed.get_data(as_text=True)
    number = placed.get_json()["number"]
    assert placed.get_json()["adjustments"][0]["voucher"] == "CMB10"
    order = client.get(f"/api/v1/orders/{number}", headers=auth_headers).get_json()
    [adjustment] = order["adjustments"]
    assert adjustment == {"kind": "line", "line_id": order["lines"][0]["id"],
                          "label": "Colombo 10%", "amount": money(200_00),
                          "promotion_id": adjustment["promotion_id"], "voucher": "CMB10"}
    assert order["lines"][0]["discount"] == money(200_00)
    assert order["total"] == money(1_800_00 + 350_00)


def test_trying_codes_is_rate_limited(make_app, db_session, customer):
    app = make_app(RATELIMIT_ENABLED=True)
    client = app.test_client()
    with app.app_context():
        starter_delivery()
        rice = stocked("Red rice", units=5, price_cents=2_000_00).id
        headers = bearer(sign_in(client, customer.email)["access_token"])
        fill(client, headers, rice, 1)
        answers = [client.put(VOUCHER, headers=headers, json={"code": f"GUESS{n}"}).status_code
                   for n in range(12)]
    assert answers[:10] == [422] * 10 and answers[10:] == [429, 429]
