"""Checking out through the API: POST /checkout with an Idempotency-Key makes one order from
my cart, with prices from the pricing pipeline only, and refuses what is wrong without
changing anything."""

from __future__ import annotations

import json
import threading
import uuid

import pytest
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.catalog import editing
from app.checkout import cart as carts
from app.inventory import services as inventory
from app.orders import services as orders
from tests.api.helpers import assert_problem, bearer, error_fields, sign_in
from tests.checkout.factories import service_with_slot, starter_delivery, stocked
from tests.factories import make_address, make_customer

CHECKOUT = "/api/v1/checkout"
ITEMS = "/api/v1/cart/items"
GALLE = {"recipient": "Sarah Fernando", "phone": "077 123 4567", "line1": "5 Church Street",
         "city": "Galle", "district": "galle", "postal_code": "80000"}


def money(cents: int) -> dict:
    return {"amount_cents": cents, "currency": "LKR"}


def key_headers(headers: dict, key: str | None = None) -> dict:
    return {**headers, "Idempotency-Key": key or str(uuid.uuid4())}


def post_checkout(client, headers, body, key: str | None = None):
    return client.post(CHECKOUT, headers=key_headers(headers, key), json=body)


def fill_cart(client, headers, variant_id: int, quantity: int = 1, **extra) -> int:
    response = client.post(ITEMS, headers=headers,
                           json={"variant_id": variant_id, "quantity": quantity, **extra})
    assert response.status_code in (200, 201), response.get_data(as_text=True)
    return response.get_json()["id"]


def order_count(user_id: int) -> int:
    return orders.customer_orders(user_id)[1]


@pytest.fixture()
def tea(db_session) -> int:
    """A stocked product's variant id (10 units at Rs 1,250), and the starter delivery
    options."""
    starter_delivery()
    return stocked("Ceylon tea", units=10, price_cents=1_250_00, name_si="තේ").id


@pytest.fixture()
def address_id(customer) -> int:
    return make_address(customer.id).id  # Galle


# Placing

def test_cash_on_delivery_to_my_address_places_a_confirmed_order(
        client, auth_headers, customer, tea, address_id, outbox):
    fill_cart(client, auth_headers, tea, 2)
    quoted = client.get("/api/v1/cart?district=galle&delivery_option=island-wide",
                        headers=auth_headers).get_json()

    response = post_checkout(client, auth_headers, {
        "address_id": address_id, "delivery_option": "island-wide", "payment_method": "cod"})

    assert response.status_code == 201, response.get_data(as_text=True)
    assert "Idempotent-Replayed" not in response.headers
    order = response.get_json()
    assert order["number"].startswith("KD-")
    assert (order["status"], order["status_label"]) == ("processing", "Confirmed")
    assert (order["payment_method"], order["payment_status"]) == ("cod", "unpaid")
    assert order["channel"] == "app"  # the API is the app's channel
    assert order["payment_due_at"] is None and order["can_cancel"] is True
    assert order["subtotal"] == quoted["subtotal"] == money(2_500_00)
    assert order["delivery_fee"] == quoted["delivery_fee"] == money(35_000)
    assert order["total"] == quoted["total"] == money(2_500_00 + 35_000)
    assert order["delivery"] == {"code": "island-wide", "name": "Island-wide standard"}
    assert order["address"] == {"recipient": "Nimal Perera", "phone": "+94771234567",
                                "line1": "12 Temple Road", "line2": None, "city": "Galle",
                                "district": "galle", "district_name": "Galle",
                                "postal_code": "80000"}
    [line] = order["lines"]
    assert (line["variant_id"], line["quantity"], line["unit_price"], line["total"]) == (
        tea, 2, money(1_250_00), money(2_500_00))
    assert [event["status"] for event in order["timeline"]] == ["processing"]
    # The stock is held, the cart is spent, the order is mine and the mail is out.
    assert inventory.available([tea])[tea] == 8
    assert client.get("/api/v1/cart", headers=auth_headers).get_json()["items"] == []
    assert orders.customer_order(order["number"], customer.id).total_cents == 2_850_00
    assert outbox.to(customer.email, "order")


def test_bank_transfer_to_a_new_address_waits_for_payment(client, auth_headers, customer,
                                                          tea, db_session):
    fill_cart(client, auth_headers, tea)

    response = post_checkout(client, auth_headers, {
        "address": {**GALLE, "line2": "Fort"}, "delivery_option": "island-wide",
        "payment_method": "bank_transfer", "locale": "si"})

    order = response.get_json()
    assert response.status_code == 201
    assert (order["status"], order["payment_method"]) == ("pending_payment", "bank_transfer")
    assert order["payment_due_at"].endswith("+00:00")
    assert order["address"]["recipient"] == "Sarah Fernando"
    assert order["address"]["phone"] == "+94771234567"
    assert order["address"]["line2"] == "Fort"
    assert orders.find_by_number(order["number"]).locale == "si"
    assert client.get("/api/v1/me/addresses", headers=auth_headers).get_json()["total"] == 0


def test_the_order_answers_in_the_language_asked_for(client, auth_headers, tea, address_id):
    fill_cart(client, auth_headers, tea)

    response = client.post(CHECKOUT, json={"address_id": address_id,
                                           "delivery_option": "island-wide",
                                           "payment_method": "cod"},
                           headers={**key_headers(auth_headers), "Accept-Language": "si"})

    order = response.get_json()
    assert order["lines"][0]["name"] == "තේ"
    assert order["address"]["district_name"] == "ගාල්ල"
    assert orders.find_by_number(order["number"]).locale == "si"


def test_collecting_from_the_shop_keeps_no_address(client, auth_headers, tea, address_id):
    fill_cart(client, auth_headers, tea)

    order = post_checkout(client, auth_headers, {
        "address_id": address_id, "delivery_option": "pickup", "payment_method": "cod"}
    ).get_json()

    assert order["address"] is None
    assert order["delivery"]["code"] == "pickup" and order["delivery_fee"] == money(0)


def test_services_alone_need_no_address_or_delivery(client, auth_headers, db_session):
    variant, slot = service_with_slot(capacity=3, price_cents=5_000_00)
    visit, slot_id = variant.id, slot.id
    fill_cart(client, auth_headers, visit, 2, slot_id=slot_id)

    response = post_checkout(client, auth_headers, {"payment_method": "cod"})

    order = response.get_json()
    assert response.status_code == 201, order
    assert (order["address"], order["delivery"]) == (None, None)
    assert order["lines"][0]["kind"] == "service"
    assert order["lines"][0]["slot_starts_at"].endswith("+00:00")
    assert order["total"] == money(10_000_00)


# Retries: one key, one order

def test_the_same_key_and_body_twice_make_one_order(client, auth_headers, customer, tea,
                                                    address_id, outbox):
    fill_cart(client, auth_headers, tea, 3)
    body = {"address_id": address_id, "delivery_option": "island-wide",
            "payment_method": "cod"}

    first = post_checkout(client, auth_headers, body, key="retry-me-1")
    again = post_checkout(client, auth_headers, body, key="retry-me-1")

    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()
    assert order_count(customer.id) == 1
    assert inventory.available([tea])[tea] == 7
    assert len(outbox.to(customer.email, "order")) == 1


def test_the_same_key_still_answers_after_i_filled_a_new_cart(client, auth_headers, customer,
                                                              tea, address_id):
    body = {"address_id": address_id, "delivery_option": "island-wide",
            "payment_method": "cod"}
    fill_cart(client, auth_headers, tea, 1)
    first = post_checkout(client, auth_headers, body, key="k-1")
    fill_cart(client, auth_headers, tea, 4)

    again = post_checkout(client, auth_headers, body, key="k-1")

    assert again.get_json()["number"] == first.get_json()["number"]
    assert order_count(customer.id) == 1
    assert len(client.get("/api/v1/cart", headers=auth_headers).get_json()["items"]) == 1


def test_the_same_key_with_another_body_is_a_conflict(client, auth_headers, customer, tea,
                                                      address_id):
    fill_cart(client, auth_headers, tea)
    post_checkout(client, auth_headers, {"address_id": address_id,
                                         "delivery_option": "island-wide",
                                         "payment_method": "cod"}, key="k-2")

    response = post_checkout(client, auth_headers, {"address_id": address_id,
                                                    "delivery_option": "pickup",
                                                    "payment_method": "cod"}, key="k-2")

    problem = assert_problem(response, 409, "conflict")
    assert error_fields(problem) == {"Idempotency-Key"}
    assert order_count(customer.id) == 1


def test_a_new_key_after_the_order_finds_an_empty_cart(client, auth_headers, customer, tea,
                                                       address_id):
    fill_cart(client, auth_headers, tea)
    body = {"address_id": address_id, "delivery_option": "island-wide",
            "payment_method": "cod"}
    post_checkout(client, auth_headers, body)

    response = post_checkout(client, auth_headers, body)

    problem = assert_problem(response, 422, "cart_not_ready")
    assert "empty" in problem["detail"]
    assert order_count(customer.id) == 1


def test_another_customer_s_key_is_theirs_alone(client, auth_headers, customer, tea,
                                                address_id):
    other = make_customer(email="other@example.lk")
    their_address = make_address(other.id).id
    theirs = bearer(sign_in(client, other.email)["access_token"])
    body = {"delivery_option": "island-wide", "payment_method": "cod"}
    fill_cart(client, auth_headers, tea)
    fill_cart(client, theirs, tea)

    mine = post_checkout(client, auth_headers, {**body, "address_id": address_id}, key="same")
    their = post_checkout(client, theirs, {**body, "address_id": their_address}, key="same")

    assert mine.status_code == their.status_code == 201
    assert mine.get_json()["number"] != their.get_json()["number"]


def test_concurrent_retries_with_one_key_make_one_order(app, auth_headers, customer, tea,
                                                        address_id):
    fill_cart(app.test_client(), auth_headers, tea, 2)
    body = {"address_id": address_id, "delivery_option": "island-wide",
            "payment_method": "cod"}
    answers: list = []

    def attempt():
        response = app.test_client().post(CHECKOUT, json=body,
                                          headers=key_headers(auth_headers, "race"))
        answers.append((response.status_code, response.get_json()))

    threads = [threading.Thread(target=attempt) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert {status for status, _ in answers} == {201}, answers
    assert len({answer["number"] for _, answer in answers}) == 1
    assert order_count(customer.id) == 1
    assert inventory.available([tea])[tea] == 8


@pytest.mark.parametrize(("headers", "field"), [
    ({}, "Idempotency-Key"),
    ({"Idempotency-Key": ""}, "Idempotency-Key"),
    ({"Idempotency-Key": "k" * 101}, "Idempotency-Key"),
    ({"Idempotency-Key": "two words"}, "Idempotency-Key"),
    ({"Idempotency-Key": "ključ"}, "Idempotency-Key"),
])
def test_the_idempotency_key_is_required_and_short(client, auth_headers, customer, tea,
                                                   address_id, headers, field):
    fill_cart(client, auth_headers, tea)

    response = client.post(CHECKOUT, headers={**auth_headers, **headers},
                           json={"address_id": address_id, "delivery_option": "island-wide",
                                 "payment_method": "cod"})

    problem = assert_problem(response, 422, "validation_failed")
    assert error_fields(problem) == {field}
    assert order_count(customer.id) == 0


def test_a_key_of_100_characters_is_fine(client, auth_headers, tea, address_id):
    fill_cart(client, auth_headers, tea)

    response = post_checkout(client, auth_headers, {
        "address_id": address_id, "delivery_option": "island-wide", "payment_method": "cod"},
        key="k" * 100)

    assert response.status_code == 201


# Refusals change nothing

def test_stock_gone_since_the_cart_was_filled_is_a_409(client, auth_headers, customer, tea,
                                                       address_id):
    fill_cart(client, auth_headers, tea, 5)
    inventory.set_on_hand(tea, 2)

    response = post_checkout(client, auth_headers, {
        "address_id": address_id, "delivery_option": "island-wide", "payment_method": "cod"})

    problem = assert_problem(response, 409, "out_of_stock")
    assert problem["available"] == [{"variant_id": tea, "units": 2}]
    assert order_count(customer.id) == 0
    assert inventory.available([tea])[tea] == 2
    assert client.get("/api/v1/cart", headers=auth_headers).get_json()["items"][0][
        "quantity"] == 5


def test_another_customer_s_address_is_refused_on_the_field(client, auth_headers, customer,
                                                            tea):
    other = make_customer(email="other@example.lk")
    theirs = make_address(other.id, city="Jaffna", district="jaffna").id
    fill_cart(client, auth_headers, tea)

    response = post_checkout(client, auth_headers, {
        "address_id": theirs, "delivery_option": "island-wide", "payment_method": "cod"})

    problem = assert_problem(response, 422)
    assert error_fields(problem) == {"address_id"}
    assert "Jaffna" not in response.get_data(as_text=True)
    assert order_count(customer.id) == 0
    assert inventory.available([tea])[tea] == 10


def test_an_empty_cart_cannot_be_checked_out(client, auth_headers, customer, address_id,
                                             db_session):
    starter_delivery()

    response = post_checkout(client, auth_headers, {
        "address_id": address_id, "delivery_option": "island-wide", "payment_method": "cod"})

    problem = assert_problem(response, 422, "cart_not_ready")
    assert problem["detail"] == "Your cart is empty."


def test_an_item_taken_off_sale_stops_checkout(client, auth_headers, customer, tea,
                                               address_id):
    biscuits = stocked("Biscuits", units=5)
    biscuits_id, product_id = biscuits.id, biscuits.product_id
    fill_cart(client, auth_headers, tea)
    fill_cart(client, auth_headers, biscuits_id)
    editing.set_status([product_id], "archived")

    response = post_checkout(client, auth_headers, {
        "address_id": address_id, "delivery_option": "island-wide", "payment_method": "cod"})

    assert_problem(response, 422, "cart_not_ready")
    assert order_count(customer.id) == 0
    assert inventory.available([tea])[tea] == 10


@pytest.mark.parametrize(("change", "field"), [
    ({"payment_method": "payhere"}, "payment_method"),
    ({"payment_method": "cash"}, "payment_method"),
    ({"payment_method": None}, "payment_method"),
    ({"payment_method": ...}, "payment_method"),
    ({"delivery_option": "colombo-same-day"}, "delivery_option"),  # not to Galle
    ({"delivery_option": "teleport"}, "delivery_option"),
    ({"delivery_option": "x" * 33}, "delivery_option"),
    ({"delivery_option": ...}, "delivery_option"),
    ({"address_id": ...}, "address_id"),
    ({"address_id": 0}, "address_id"),
    ({"address_id": "1"}, "address_id"),
    ({"address_id": 10**12}, "address_id"),
    ({"address_id": 999_999}, "address_id"),
    ({"address": GALLE}, "address"),  # and address_id: one or the other
    ({"address_id": ..., "address": {**GALLE, "district": "atlantis"}}, "address.district"),
    ({"address_id": ..., "address": {**GALLE, "phone": "12345"}}, "address.phone"),
    ({"address_id": ..., "address": {**GALLE, "line1": ""}}, "address.line1"),
    ({"address_id": ..., "address": {**GALLE, "user_id": 2}}, "address.user_id"),
    ({"locale": "fr"}, "locale"),
    ({"total": 1}, "total"),
    ({"subtotal_cents": 1}, "subtotal_cents"),
    ({"delivery_fee": money(0)}, "delivery_fee"),
    ({"lines": [{"variant_id": 1, "quantity": 1, "unit_price": 1}]}, "lines"),
    ({"discount": 100_000}, "discount"),
    ({"user_id": 1}, "user_id"),
    ({"status": "paid"}, "status"),
])
def test_bad_and_tampered_fields_are_refused_and_change_nothing(
        client, auth_headers, customer, tea, address_id, change, field):
    fill_cart(client, auth_headers, tea, 2)
    body = {"address_id": address_id, "delivery_option": "island-wide",
            "payment_method": "cod", **change}
    body = {name: value for name, value in body.items() if value is not ...}

    response = client.post(CHECKOUT, headers=key_headers(auth_headers),
                           data=json.dumps(body), content_type="application/json")

    problem = assert_problem(response, 422)
    assert field in error_fields(problem), problem
    assert order_count(customer.id) == 0
    assert inventory.available([tea])[tea] == 10
    assert carts.find_cart(user_id=customer.id).lines[0].quantity == 2


@pytest.mark.parametrize("data", ["payment_method=cod", "", "[]", "null"])
def test_a_body_that_is_not_a_json_object_is_refused(client, auth_headers, customer, tea,
                                                     data):
    fill_cart(client, auth_headers, tea)

    response = client.post(CHECKOUT, headers=key_headers(auth_headers), data=data,
                           content_type="application/json")

    assert_problem(response, response.status_code)
    assert response.status_code in (400, 422)
    assert order_count(customer.id) == 0


def test_checkout_needs_a_token(client, db_session):
    response = client.post(CHECKOUT, headers={"Idempotency-Key": "k"},
                           json={"payment_method": "cod"})

    assert_problem(response, 401)


# The answers keep to the OpenAPI document. The fuzzer (tests/api/test_openapi.py) seldom
# makes a request that succeeds here (a random variant id rarely exists), so one shopping
# trip, every answer of which is checked against the document: status, media type, headers
# and body (the problems' too).

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]


def test_a_shopping_trip_keeps_to_the_document(app, auth_headers, customer, tea, address_id):
    variant, slot = service_with_slot(capacity=1)
    visit, slot_id = variant.id, slot.id
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)

    def call(method, path, status, *, body=None, query=None, headers=None, **path_parameters):
        case = schema[path][method].Case(
            path_parameters=path_parameters or None, query=query,
            headers={**auth_headers, **(headers or {})},
            **({} if body is None else {"body": body}))
        response = case.call_and_validate(checks=CHECKS)
        assert response.status_code == status, response.text
        return response.json() if response.content else None

    call("GET", "/api/v1/delivery-options", 200, query={"district": "galle"})
    call("GET", "/api/v1/delivery-options", 422, query={"district": "atlantis"})
    line = call("POST", "/api/v1/cart/items", 201, body={"variant_id": tea, "quantity": 1})
    call("POST", "/api/v1/cart/items", 200, body={"variant_id": tea, "quantity": 1})
    call("POST", "/api/v1/cart/items", 201, body={"variant_id": visit, "slot_id": slot_id})
    call("POST", "/api/v1/cart/items", 409, body={"variant_id": tea, "quantity": 50})
    call("POST", "/api/v1/cart/items", 404, body={"variant_id": 999_999})
    call("PATCH", "/api/v1/cart/items/{item_id}", 200, body={"quantity": 3},
         item_id=line["id"])
    call("PATCH", "/api/v1/cart/items/{item_id}", 409, body={"quantity": 11},
         item_id=line["id"])
    call("GET", "/api/v1/cart", 200)
    call("GET", "/api/v1/cart", 200, query={"district": "galle",
                                            "delivery_option": "island-wide"},
         headers={"Accept-Language": "ta"})
    inventory.set_on_hand(tea, 2)
    call("GET", "/api/v1/cart", 200)  # a line with a problem
    body = {"address_id": address_id, "delivery_option": "island-wide",
            "payment_method": "cod"}
    call("POST", "/api/v1/checkout", 409, body=body, headers={"Idempotency-Key": "a"})
    call("PATCH", "/api/v1/cart/items/{item_id}", 200, body={"quantity": 2},
         item_id=line["id"])
    order = call("POST", "/api/v1/checkout", 201, body=body,
                 headers={"Idempotency-Key": "b"})
    call("POST", "/api/v1/checkout", 201, body=body, headers={"Idempotency-Key": "b"})
    call("POST", "/api/v1/checkout", 409, body={**body, "payment_method": "bank_transfer"},
         headers={"Idempotency-Key": "b"})
    call("POST", "/api/v1/checkout", 422, body=body, headers={"Idempotency-Key": "c"})
    call("GET", "/api/v1/orders", 200)
    call("GET", "/api/v1/orders/{number}", 200, number=order["number"],
         headers={"Accept-Language": "si"})
    call("POST", "/api/v1/orders/{number}/cancel", 200, body={"reason": "Changed my mind"},
         number=order["number"])
    call("POST", "/api/v1/orders/{number}/cancel", 409, body={}, number=order["number"])
    call("DELETE", "/api/v1/cart/items/{item_id}", 404, item_id=line["id"])  # it was ordered


# Services done at my address

JAFFNA = {**GALLE, "line1": "14 Hospital Road", "city": "Jaffna", "district": "jaffna",
          "postal_code": "40000"}


@pytest.fixture()
def cleaning(db_session) -> tuple[int, int]:
    """A home service for Colombo and Jaffna: (variant id, slot id)."""
    starter_delivery()
    variant, slot = service_with_slot("Home deep cleaning", price_cents=12_000_00,
                                      where="address", districts=("colombo", "jaffna"))
    return variant.id, slot.id


def test_a_home_service_shows_where_it_happens_in_the_cart_and_the_product(
        client, auth_headers, cleaning):
    variant, slot = cleaning
    fill_cart(client, auth_headers, variant, slot_id=slot)

    cart = client.get("/api/v1/cart", headers=auth_headers).get_json()
    [line] = cart["items"]
    product = client.get(f"/api/v1/products/{line['product_slug']}").get_json()

    assert (cart["needs_delivery"], cart["needs_address"]) == (False, True)
    assert (line["service_location"], line["service_districts"]) == (
        "address", ["colombo", "jaffna"])
    assert (product["service_location"], product["service_districts"]) == (
        "address", ["colombo", "jaffna"])


@pytest.mark.parametrize(("body", "field", "code", "detail"), [
    ({"address": GALLE}, "district", "outside_service_area",
     "Home deep cleaning is not offered in Galle. It covers: Colombo, Jaffna."),
    ({}, "address_id", "invalid", "Enter your delivery address."),
])
def test_a_home_service_is_refused_without_an_address_it_covers(
        client, auth_headers, customer, cleaning, body, field, code, detail):
    variant, slot = cleaning
    fill_cart(client, auth_headers, variant, slot_id=slot)

    response = post_checkout(client, auth_headers, {"payment_method": "cod", **body})

    problem = assert_problem(response, 422, code)
    assert field in error_fields(problem)
    assert detail in json.dumps(problem, ensure_ascii=False)
    assert order_count(customer.id) == 0
    assert len(client.get("/api/v1/cart", headers=auth_headers).get_json()["items"]) == 1


def test_a_home_service_in_a_district_it_covers_is_booked_at_the_address(
        client, auth_headers, cleaning):
    variant, slot = cleaning
    fill_cart(client, auth_headers, variant, slot_id=slot)

    response = post_checkout(client, auth_headers, {"payment_method": "cod",
                                                    "address": JAFFNA})

    assert response.status_code == 201, response.get_data(as_text=True)
    order = response.get_json()
    assert order["address"]["district"] == "jaffna"
    assert order["address"]["line1"] == "14 Hospital Road"
    assert order["delivery"] is None and order["delivery_fee"] == money(0)
    assert [line["service_location"] for line in order["lines"]] == ["address"]
