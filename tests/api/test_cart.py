"""My cart and the delivery options through the API: adding, changing and removing lines with
stock checked at each change, prices only from the pricing pipeline, and problem+json for
everything refused."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from app.catalog import editing
from app.checkout import cart as carts
from app.checkout.pricing import Adjustment, rule_applied
from app.inventory import services as inventory
from tests.api.helpers import assert_problem, bearer, error_fields, sign_in
from tests.catalog.factories import make_product
from tests.checkout.factories import service_with_slot, starter_delivery, stocked
from tests.factories import make_customer

CART = "/api/v1/cart"
ITEMS = "/api/v1/cart/items"
OPTIONS = "/api/v1/delivery-options"


def goods(name: str = "Ceylon tea", **kwargs) -> SimpleNamespace:
    """A stocked variant's values: requests end the session its objects belong to."""
    variant = stocked(name, **kwargs)
    return SimpleNamespace(id=variant.id, sku=variant.sku, price_cents=variant.price_cents,
                           product_id=variant.product_id)


def service(name: str = "AC service visit", capacity: int = 2) -> tuple[int, int]:
    """(variant id, slot id) of a service with a slot tomorrow."""
    variant, slot = service_with_slot(name, capacity=capacity)
    return variant.id, slot.id


def money(cents: int) -> dict:
    return {"amount_cents": cents, "currency": "LKR"}


def add(client, headers, variant_id, quantity=1, **extra):
    return client.post(ITEMS, headers=headers,
                       json={"variant_id": variant_id, "quantity": quantity, **extra})


def lines_of(customer_id: int) -> list[tuple[int, int]]:
    cart = carts.find_cart(user_id=customer_id)
    return [] if cart is None else [(line.variant_id, line.quantity) for line in cart.lines]


# Delivery options

def test_delivery_options_serve_the_district_with_fees_as_money(client, db_session):
    starter_delivery()

    galle = client.get(f"{OPTIONS}?district=galle")
    colombo = client.get(f"{OPTIONS}?district=colombo")

    assert galle.status_code == 200
    assert [o["code"] for o in galle.get_json()["items"]] == ["island-wide", "pickup"]
    island = galle.get_json()["items"][0]
    assert island == {"code": "island-wide", "name": "Island-wide standard",
                      "fee": money(35_000), "free_over": money(2_000_000), "min_days": 2,
                      "max_days": 4, "is_pickup": False}
    assert galle.get_json()["items"][1]["free_over"] is None
    assert [o["code"] for o in colombo.get_json()["items"]] == [
        "colombo-same-day", "island-wide", "pickup"]
    assert "public" in galle.headers["Cache-Control"]


def test_delivery_option_names_follow_accept_language(client, db_session):
    starter_delivery()

    response = client.get(f"{OPTIONS}?district=colombo", headers={"Accept-Language": "si"})

    assert response.get_json()["items"][0]["name"] == "කොළඹ එදිනම"


@pytest.mark.parametrize("query", ["district=atlantis", "district=Galle", "district=",
                                   "district=galle%00", "", "district=galle'%20OR%201=1"])
def test_an_unknown_district_is_a_validation_error(client, db_session, query):
    starter_delivery()

    response = client.get(f"{OPTIONS}?{query}")

    problem = assert_problem(response, 422, "validation_failed")
    assert error_fields(problem) == {"district"}


# Reading the cart

def test_an_empty_cart_is_priced_at_nothing(client, auth_headers, customer):
    response = client.get(CART, headers=auth_headers)

    assert response.status_code == 200
    assert response.get_json() == {
        "items": [], "unavailable": [], "item_count": 0, "needs_delivery": False,
        "needs_address": False,
        "subtotal": money(0), "order_discounts": [], "discount": money(0), "delivery": None,
        "delivery_fee": None, "delivery_discounts": [], "total": money(0),
        "savings": money(0), "voucher": None, "explanations": [], "nudges": [],
        "can_check_out": False}
    assert carts.find_cart(user_id=customer.id) is None  # reading makes no cart


@pytest.mark.parametrize(("method", "path"), [
    ("get", CART), ("post", ITEMS), ("patch", f"{ITEMS}/1"), ("delete", f"{ITEMS}/1")])
def test_the_cart_needs_a_token(client, db_session, method, path):
    response = getattr(client, method)(path, json={"variant_id": 1, "quantity": 1})

    assert_problem(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_web_session_does_not_open_the_api_cart(client, customer, login):
    login(customer)

    assert_problem(client.get(CART), 401)


# Adding

def test_adding_answers_the_priced_line_and_the_cart_adds_up(client, auth_headers,
                                                             db_session, customer):
    tea = goods("Ceylon tea", units=10, price_cents=1_250_00, name_si="තේ")

    first = add(client, auth_headers, tea.id, 2)
    again = add(client, auth_headers, tea.id, 1)

    assert first.status_code == 201
    line = first.get_json()
    assert line == {"id": line["id"], "variant_id": tea.id, "sku": tea.sku,
                    "product_slug": "ceylon-tea", "name": "Ceylon tea", "options": None,
                    "kind": "product", "slot": None, "service_location": None,
                    "service_districts": [], "quantity": 2,
                    "unit_price": money(1_250_00), "discount": money(0),
                    "discounts": [], "total": money(2_500_00), "problem": None}
    assert again.status_code == 200  # onto the same line
    assert again.get_json()["id"] == line["id"] and again.get_json()["quantity"] == 3
    cart = client.get(CART, headers={**auth_headers, "Accept-Language": "si"}).get_json()
    assert [(i["name"], i["quantity"]) for i in cart["items"]] == [("තේ", 3)]
    assert (cart["item_count"], cart["subtotal"], cart["total"]) == (
        3, money(3_750_00), money(3_750_00))
    assert cart["needs_delivery"] and cart["can_check_out"]
    assert lines_of(customer.id) == [(tea.id, 3)]


def test_the_quantity_may_be_left_out(client, auth_headers, db_session):
    tea = goods(units=3)

    response = client.post(ITEMS, headers=auth_headers, json={"variant_id": tea.id})

    assert response.status_code == 201 and response.get_json()["quantity"] == 1


def test_delivery_is_priced_for_the_district_and_option_asked_for(client, auth_headers,
                                                                   db_session):
    starter_delivery()
    tea = goods(units=50, price_cents=1_000_00)
    add(client, auth_headers, tea.id, 2)

    galle = client.get(f"{CART}?district=galle&delivery_option=island-wide",
                       headers=auth_headers).get_json()
    add(client, auth_headers, tea.id, 18)  # Rs 20,000: island-wide is free from there
    free = client.get(f"{CART}?district=galle&delivery_option=island-wide",
                      headers=auth_headers).get_json()

    assert galle["delivery"] == {"code": "island-wide", "name": "Island-wide standard"}
    assert galle["delivery_fee"] == money(35_000)
    assert galle["total"] == money(2_000_00 + 35_000)
    assert free["delivery_fee"] == money(0) and free["total"] == money(20_000_00)


@pytest.mark.parametrize(("query", "field"), [
    ("district=galle&delivery_option=colombo-same-day", "delivery_option"),  # not in Galle
    ("district=galle&delivery_option=teleport", "delivery_option"),
    ("district=galle&delivery_option=ISLAND", "delivery_option"),
    ("district=atlantis&delivery_option=island-wide", "district"),
    ("delivery_option=island-wide", "district"),
    ("district=galle", "delivery_option"),
])
def test_pricing_delivery_needs_an_option_serving_a_real_district(client, auth_headers,
                                                                   db_session, query, field):
    starter_delivery()
    add(client, auth_headers, goods().id)

    response = client.get(f"{CART}?{query}", headers=auth_headers)

    problem = assert_problem(response, 422)
    assert error_fields(problem) == {field}


def test_a_service_is_booked_into_a_slot(client, auth_headers, db_session):
    visit, slot = service(capacity=2)

    without = add(client, auth_headers, visit)
    booked = add(client, auth_headers, visit, 2, slot_id=slot)
    full = add(client, auth_headers, visit, 1, slot_id=slot)

    assert error_fields(assert_problem(without, 422)) == {"slot_id"}
    assert booked.status_code == 201
    assert booked.get_json()["kind"] == "service"
    assert booked.get_json()["slot"]["id"] == slot
    assert booked.get_json()["slot"]["starts_at"].endswith("+00:00")
    problem = assert_problem(full, 409, "out_of_stock")
    assert problem["available"] == [{"variant_id": visit, "units": 2}]
    cart = client.get(CART, headers=auth_headers).get_json()
    assert cart["needs_delivery"] is False


def test_a_slot_of_another_service_or_on_a_product_is_refused(client, auth_headers,
                                                              db_session):
    visit, _ = service()
    _, other_slot = service("Plumber")

    wrong = add(client, auth_headers, visit, slot_id=other_slot)
    on_goods = add(client, auth_headers, goods().id, slot_id=other_slot)

    assert error_fields(assert_problem(wrong, 422)) == {"slot_id"}
    assert error_fields(assert_problem(on_goods, 422)) == {"slot_id"}


def test_more_than_in_stock_is_a_409_with_the_units_available(client, auth_headers,
                                                              db_session, customer):
    tea = goods(units=3)

    response = add(client, auth_headers, tea.id, 4)

    problem = assert_problem(response, 409, "out_of_stock")
    assert problem["type"] == "tag:kade.lk,2025:problem:out_of_stock"
    assert "3" in problem["detail"]
    assert problem["available"] == [{"variant_id": tea.id, "units": 3}]
    assert lines_of(customer.id) == []


def test_a_sold_out_item_is_refused(client, auth_headers, db_session):
    tea = goods(units=0)

    problem = assert_problem(add(client, auth_headers, tea.id), 409, "out_of_stock")

    assert problem["available"] == [{"variant_id": tea.id, "units": 0}]


@pytest.mark.parametrize("status", ["draft", "archived"])
def test_an_item_not_on_sale_is_not_found(client, auth_headers, db_session, customer, status):
    product = make_product("Hidden", status=status)

    problem = assert_problem(add(client, auth_headers, product.variants[0].id), 404)

    assert error_fields(problem) == {"variant_id"}
    assert lines_of(customer.id) == []


def test_an_unknown_variant_is_not_found(client, auth_headers, db_session):
    assert_problem(add(client, auth_headers, 999_999), 404, "not_found")


@pytest.mark.parametrize(("body", "field"), [
    ({"variant_id": ...}, "variant_id"),  # left out
    ({"variant_id": 0}, "variant_id"),
    ({"variant_id": -5}, "variant_id"),
    ({"variant_id": 2**31}, "variant_id"),
    ({"variant_id": 10**30}, "variant_id"),
    ({"variant_id": "1"}, "variant_id"),
    ({"variant_id": "1 OR 1=1"}, "variant_id"),
    ({"variant_id": None}, "variant_id"),
    ({"quantity": 0}, "quantity"),
    ({"quantity": -1}, "quantity"),
    ({"quantity": 100}, "quantity"),
    ({"quantity": 10**9}, "quantity"),
    ({"quantity": 2.5}, "quantity"),
    ({"quantity": 2.0}, "quantity"),
    ({"quantity": "2"}, "quantity"),
    ({"quantity": True}, "quantity"),
    ({"quantity": None}, "quantity"),
    ({"quantity": [1]}, "quantity"),
    ({"slot_id": 0}, "slot_id"),
    ({"slot_id": "x"}, "slot_id"),
    ({"unit_price": {"amount_cents": 1, "currency": "LKR"}}, "unit_price"),
    ({"price_cents": 1}, "price_cents"),
    ({"total": 0}, "total"),
    ({"discount": 100_000}, "discount"),
])
def test_adding_refuses_bad_and_tampered_fields(client, auth_headers, db_session, customer,
                                                body, field):
    tea = goods(units=50)

    sent = {key: value for key, value in {"variant_id": tea.id, "quantity": 1, **body}.items()
            if value is not ...}

    response = client.post(ITEMS, headers=auth_headers, data=json.dumps(sent),
                           content_type="application/json")

    problem = assert_problem(response, 422, "validation_failed")
    assert field in error_fields(problem)
    assert lines_of(customer.id) == []


@pytest.mark.parametrize("data", ["variant_id=1", "", "[1, 2]", '"x"', "null"])
def test_adding_refuses_a_body_that_is_not_a_json_object(client, auth_headers, db_session,
                                                         data):
    response = client.post(ITEMS, headers=auth_headers, data=data,
                           content_type="application/json")

    assert response.status_code in (400, 422)
    assert_problem(response, response.status_code)


def test_adding_past_99_on_one_line_is_refused(client, auth_headers, db_session, customer):
    tea = goods(units=500)
    add(client, auth_headers, tea.id, 60)

    problem = assert_problem(add(client, auth_headers, tea.id, 40), 422)

    assert error_fields(problem) == {"quantity"}
    assert lines_of(customer.id) == [(tea.id, 60)]


def test_prices_come_from_the_pricing_pipeline(client, auth_headers, db_session):
    tea = goods(units=10, price_cents=1_000_00)

    class TenPercentOff:
        def line_discounts(self, context, line):
            return [Adjustment("ten", "10% off", line.gross_cents // 10)]

        def order_discounts(self, context, cart):
            return [Adjustment("welcome", "Welcome", 50_00)]

    with rule_applied(TenPercentOff()):
        line = add(client, auth_headers, tea.id, 2).get_json()
        cart = client.get(CART, headers=auth_headers).get_json()

    assert (line["unit_price"], line["discount"], line["total"]) == (
        money(1_000_00), money(200_00), money(1_800_00))
    assert cart["subtotal"] == money(1_800_00)
    assert cart["order_discounts"] == [{"code": "welcome", "label": "Welcome",
                                        "amount": money(50_00), "promotion_id": None,
                                        "voucher": None}]
    assert cart["discount"] == money(50_00) and cart["total"] == money(1_750_00)


# Changing and removing

def test_changing_and_removing_a_line(client, auth_headers, db_session, customer):
    tea = goods(units=5)
    line_id = add(client, auth_headers, tea.id, 1).get_json()["id"]

    changed = client.patch(f"{ITEMS}/{line_id}", headers=auth_headers, json={"quantity": 4})
    removed = client.delete(f"{ITEMS}/{line_id}", headers=auth_headers)

    assert changed.status_code == 200
    assert changed.get_json()["quantity"] == 4 and changed.get_json()["total"] == money(
        4 * tea.price_cents)
    assert removed.status_code == 204 and removed.get_data() == b""
    assert lines_of(customer.id) == []
    assert_problem(client.delete(f"{ITEMS}/{line_id}", headers=auth_headers), 404)
    assert_problem(client.patch(f"{ITEMS}/{line_id}", headers=auth_headers,
                                json={"quantity": 1}), 404)


def test_raising_a_quantity_past_the_stock_is_a_409(client, auth_headers, db_session,
                                                    customer):
    tea = goods(units=3)
    line_id = add(client, auth_headers, tea.id, 2).get_json()["id"]

    response = client.patch(f"{ITEMS}/{line_id}", headers=auth_headers, json={"quantity": 5})

    problem = assert_problem(response, 409, "out_of_stock")
    assert problem["available"] == [{"variant_id": tea.id, "units": 3}]
    assert lines_of(customer.id) == [(tea.id, 2)]


def test_lowering_a_quantity_always_works(client, auth_headers, db_session, customer):
    tea = goods(units=5)
    line_id = add(client, auth_headers, tea.id, 5).get_json()["id"]
    inventory.set_on_hand(tea.id, 1)

    response = client.patch(f"{ITEMS}/{line_id}", headers=auth_headers, json={"quantity": 2})

    assert response.status_code == 200
    assert response.get_json()["quantity"] == 2
    assert "1" in response.get_json()["problem"]  # still more than stock holds


@pytest.mark.parametrize("body", [{"quantity": 0}, {"quantity": -3}, {"quantity": 100},
                                  {"quantity": "3"}, {"quantity": 1.5}, {}, {"quantity": None},
                                  {"quantity": 2, "unit_price": 1}, {"quantity": 2, "id": 9}])
def test_changing_refuses_bad_quantities_and_keeps_the_line(client, auth_headers, db_session,
                                                            customer, body):
    tea = goods(units=5)
    line_id = add(client, auth_headers, tea.id, 2).get_json()["id"]

    response = client.patch(f"{ITEMS}/{line_id}", headers=auth_headers, json=body)

    problem = assert_problem(response, 422, "validation_failed")
    assert error_fields(problem) & {"quantity", "unit_price", "id"}
    assert lines_of(customer.id) == [(tea.id, 2)]


@pytest.mark.parametrize("method", ["patch", "delete"])
def test_another_customer_s_line_is_not_found(client, auth_headers, db_session, method):
    tea = goods(units=10)
    other = make_customer(email="other@example.lk")
    theirs = carts.add_item(carts.open_cart(user_id=other.id), tea.id, 3).id

    response = getattr(client, method)(f"{ITEMS}/{theirs}", headers=auth_headers,
                                       json={"quantity": 1})

    assert_problem(response, 404, "not_found")
    assert lines_of(other.id) == [(tea.id, 3)]


def test_without_a_cart_no_line_is_found(client, auth_headers, db_session):
    assert_problem(client.delete(f"{ITEMS}/1", headers=auth_headers), 404)


@pytest.mark.parametrize(("path", "status"), [
    (f"{ITEMS}/0", 422), (f"{ITEMS}/-1", 404), (f"{ITEMS}/abc", 404),
    (f"{ITEMS}/99999999999999999999", 404), (f"{ITEMS}/1%20OR%201=1", 404)])
def test_odd_line_ids_never_fail_the_server(client, auth_headers, db_session, path, status):
    assert_problem(client.delete(path, headers=auth_headers), status)


# Lines that can no longer be bought

def test_the_cart_tells_which_lines_stock_no_longer_covers(client, auth_headers, db_session):
    tea = goods(units=5)
    add(client, auth_headers, tea.id, 4)
    inventory.set_on_hand(tea.id, 0)

    cart = client.get(CART, headers=auth_headers).get_json()

    assert "out of stock" in cart["items"][0]["problem"]
    assert cart["can_check_out"] is False


def test_an_item_taken_off_sale_is_listed_apart_and_not_charged(client, auth_headers,
                                                                db_session):
    kept, gone = goods("Tea", units=5), goods("Biscuits", units=5)
    add(client, auth_headers, kept.id)
    gone_line = add(client, auth_headers, gone.id, 2).get_json()["id"]
    editing.set_status([gone.product_id], "archived")

    cart = client.get(CART, headers={**auth_headers, "Accept-Language": "si"}).get_json()

    assert [item["variant_id"] for item in cart["items"]] == [kept.id]
    assert cart["unavailable"] == [{"id": gone_line, "variant_id": gone.id, "quantity": 2,
                                    "problem": cart["unavailable"][0]["problem"]}]
    assert cart["unavailable"][0]["problem"]
    assert cart["total"] == money(kept.price_cents) and cart["can_check_out"] is False
    removed = client.delete(f"{ITEMS}/{gone_line}", headers=auth_headers)
    assert removed.status_code == 204
    assert client.get(CART, headers=auth_headers).get_json()["can_check_out"] is True


def test_each_customer_has_their_own_cart(client, auth_headers, db_session):
    tea = goods(units=10)
    other = make_customer(email="other@example.lk")
    add(client, auth_headers, tea.id, 2)

    theirs = client.get(CART, headers=bearer(sign_in(client, other.email)["access_token"]))

    assert theirs.get_json()["items"] == []
