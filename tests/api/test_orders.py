"""My orders through the API: the list in pages, one order with its public timeline, and
cancelling while nothing is sent. Another customer's order, or a guest's, is a 404 to me."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from app.accounts import addresses
from app.checkout import cart as carts
from app.checkout.services import CheckoutChoices, place_order
from app.inventory import services as inventory
from app.orders import services as orders
from tests.api.helpers import assert_problem, error_fields
from tests.checkout.factories import place_guest_order, starter_delivery, stocked
from tests.factories import make_address, make_customer

ORDERS = "/api/v1/orders"


def money(cents: int) -> dict:
    return {"amount_cents": cents, "currency": "LKR"}


def order_for(user, variant_id: int, quantity: int = 1, *, payment_method: str = "cod",
              district: str = "galle") -> str:
    """An order placed by `user` through the checkout service; its number."""
    starter_delivery()
    cart = carts.open_cart(user_id=user.id)
    carts.add_item(cart, variant_id, quantity)
    book = addresses.list_addresses(user.id)
    address_id = book[0].id if book else make_address(user.id, district=district).id
    order, _ = place_order(cart, CheckoutChoices(payment_method=payment_method,
                                                 delivery_option="island-wide",
                                                 address_id=address_id), user=user)
    return order.number


@pytest.fixture()
def tea(db_session) -> int:
    return stocked("Ceylon tea", units=50, price_cents=1_000_00, name_si="තේ").id


# Listing

def test_my_orders_newest_first_in_pages(client, auth_headers, customer, tea):
    numbers = [order_for(customer, tea, n) for n in (1, 2, 3)]
    order_for(make_customer(email="other@example.lk"), tea)  # not mine

    first = client.get(f"{ORDERS}?per_page=2", headers=auth_headers).get_json()
    second = client.get(f"{ORDERS}?per_page=2&page=2", headers=auth_headers).get_json()

    assert (first["page"], first["per_page"], first["total"]) == (1, 2, 3)
    assert [o["number"] for o in first["items"] + second["items"]] == numbers[::-1]
    newest = first["items"][0]
    assert newest == {"number": numbers[2], "status": "processing",
                      "status_label": "Confirmed", "payment_method": "cod",
                      "payment_status": "unpaid", "channel": "web",
                      "placed_at": newest["placed_at"],
                      "total": money(3_000_00 + 35_000), "store_credit": money(0),
                      "points_value": money(0), "due": money(3_000_00 + 35_000),
                      "can_cancel": True, "item_count": 3}
    assert newest["placed_at"].endswith("+00:00")


def test_pages_beyond_the_services_page_size_are_cut_right(client, auth_headers, customer,
                                                           tea, app, monkeypatch):
    # A customer with many orders placed them over months; here they come all at once.
    monkeypatch.setitem(app.config, "ORDERS_PER_PHONE_PER_HOUR", 100)
    numbers = [order_for(customer, tea) for _ in range(orders.PER_PAGE + 5)][::-1]

    pages = [client.get(f"{ORDERS}?per_page=7&page={page}", headers=auth_headers).get_json()
             for page in range(1, 6)]
    everything = client.get(f"{ORDERS}?per_page=100", headers=auth_headers).get_json()

    assert [o["number"] for page in pages for o in page["items"]] == numbers
    assert [len(page["items"]) for page in pages] == [7, 7, 7, 4, 0]
    assert {page["total"] for page in pages} == {orders.PER_PAGE + 5}
    assert [o["number"] for o in everything["items"]] == numbers


def test_no_orders_is_an_empty_page(client, auth_headers, customer):
    response = client.get(ORDERS, headers=auth_headers)

    assert response.get_json() == {"items": [], "page": 1, "per_page": 24, "total": 0}


@pytest.mark.parametrize(("query", "field"), [
    ("page=0", "page"), ("page=abc", "page"), ("per_page=101", "per_page"),
    ("per_page=0", "per_page"), ("page=99999999999999999999", "page")])
def test_bad_paging_is_a_validation_error(client, auth_headers, customer, query, field):
    problem = assert_problem(client.get(f"{ORDERS}?{query}", headers=auth_headers), 422)

    assert error_fields(problem) == {field}


@pytest.mark.parametrize("path", [ORDERS, f"{ORDERS}/KD-2026-000001",
                                  f"{ORDERS}/KD-2026-000001/cancel"])
def test_orders_need_a_token(client, db_session, path):
    response = client.post(path, json={}) if path.endswith("cancel") else client.get(path)

    assert_problem(response, 401)


# One order

def test_one_order_with_lines_totals_address_and_timeline(client, auth_headers, customer,
                                                          tea):
    number = order_for(customer, tea, 2)

    response = client.get(f"{ORDERS}/{number}", headers={**auth_headers,
                                                         "Accept-Language": "si"})

    assert response.status_code == 200
    order = response.get_json()
    assert order["number"] == number
    assert (order["subtotal"], order["discount"], order["delivery_fee"], order["total"]) == (
        money(2_000_00), money(0), money(35_000), money(2_350_00))
    [line] = order["lines"]
    assert line == {"id": line["id"], "variant_id": tea, "sku": line["sku"], "name": "තේ",
                    "options": None, "kind": "product", "slot_starts_at": None,
                    "service_location": None,
                    "quantity": 2, "fulfilled_quantity": 0, "unit_price": money(1_000_00),
                    "discount": money(0), "total": money(2_000_00)}
    assert order["address"]["district_name"] == "ගාල්ල"
    assert order["delivery"]["code"] == "island-wide"
    [placed] = order["timeline"]
    assert (placed["kind"], placed["status"], placed["note"]) == ("status", "processing", None)
    assert placed["at"].endswith("+00:00")


def test_the_timeline_shows_public_events_only(client, auth_headers, customer, tea):
    number = order_for(customer, tea)
    orders.add_note(number, "Customer sounded annoyed", public=False)
    orders.add_note(number, "Packed with care", public=True)
    orders.change_status(number, "shipped", note="Sent with Pronto")

    order = client.get(f"{ORDERS}/{number}", headers=auth_headers).get_json()

    assert [(e["kind"], e["status"], e["note"]) for e in order["timeline"]] == [
        ("status", "processing", None), ("note", None, "Packed with care"),
        ("status", "shipped", "Sent with Pronto")]
    assert order["timeline"][2]["status_label"] == "Shipped"
    line = order["lines"][0]
    assert order["timeline"][2]["items"] == [
        {"line_id": line["id"], "name": line["name"], "quantity": 1}]
    assert order["timeline"][0]["items"] == []
    assert "annoyed" not in client.get(f"{ORDERS}/{number}",
                                       headers=auth_headers).get_data(as_text=True)
    assert order["status"] == "shipped" and order["can_cancel"] is False
    assert order["lines"][0]["fulfilled_quantity"] == 1


def test_another_customer_s_order_is_not_found(client, auth_headers, customer, tea):
    other = make_customer(email="other@example.lk")
    theirs = order_for(other, tea, 2)

    seen = client.get(f"{ORDERS}/{theirs}", headers=auth_headers)
    cancelled = client.post(f"{ORDERS}/{theirs}/cancel", headers=auth_headers, json={})

    assert_problem(seen, 404, "not_found")
    assert_problem(cancelled, 404, "not_found")
    assert seen.get_json() == cancelled.get_json()  # nothing tells it exists
    assert orders.find_by_number(theirs).status == "processing"
    assert inventory.available([tea])[tea] == 48
    assert client.get(ORDERS, headers=auth_headers).get_json()["total"] == 0


def test_a_guest_s_order_is_not_found(client, auth_headers, customer, tea):
    number = place_guest_order(SimpleNamespace(id=tea)).number

    assert_problem(client.get(f"{ORDERS}/{number}", headers=auth_headers), 404)
    assert_problem(client.post(f"{ORDERS}/{number}/cancel", headers=auth_headers, json={}),
                   404)
    assert orders.find_by_number(number).status == "processing"


@pytest.mark.parametrize(("number", "status"), [
    ("KD-2026-999999", 404), ("nothing", 404), ("KD' OR '1'='1", 404),
    ("x" * 25, 422), ("KD%00", 422), ("%E0%B6%9A", 404)])
def test_odd_numbers_never_fail_the_server(client, auth_headers, customer, number, status):
    assert_problem(client.get(f"{ORDERS}/{number}", headers=auth_headers), status)
    assert_problem(client.post(f"{ORDERS}/{number}/cancel", headers=auth_headers, json={}),
                   status)


# Cancelling

def test_cancelling_releases_the_stock_and_shows_in_the_timeline(client, auth_headers,
                                                                 customer, tea, outbox):
    number = order_for(customer, tea, 5)
    assert inventory.available([tea])[tea] == 45

    response = client.post(f"{ORDERS}/{number}/cancel", headers=auth_headers,
                           json={"reason": "Ordered twice"})

    assert response.status_code == 200
    order = response.get_json()
    assert (order["status"], order["status_label"], order["can_cancel"]) == (
        "cancelled", "Cancelled", False)
    assert order["timeline"][-1]["status"] == "cancelled"
    assert order["timeline"][-1]["note"] == "Ordered twice"
    assert inventory.available([tea])[tea] == 50
    assert [m for m in outbox.to(customer.email, "order")
            if m["X-Kade-Dedupe-Key"] == f"order:{number}:order_cancelled"]
    again = client.post(f"{ORDERS}/{number}/cancel", headers=auth_headers, json={})
    assert_problem(again, 409, "conflict")


def test_a_bank_transfer_order_waiting_for_payment_can_be_cancelled(client, auth_headers,
                                                                    customer, tea):
    number = order_for(customer, tea, payment_method="bank_transfer")

    response = client.post(f"{ORDERS}/{number}/cancel", headers=auth_headers, json={})

    assert response.get_json()["status"] == "cancelled"


def test_a_sent_order_cannot_be_cancelled(client, auth_headers, customer, tea):
    number = order_for(customer, tea, 2)
    orders.change_status(number, "shipped")

    response = client.post(f"{ORDERS}/{number}/cancel", headers=auth_headers, json={})

    problem = assert_problem(response, 409, "conflict")
    assert "cancelled" in problem["detail"]
    assert orders.find_by_number(number).status == "shipped"


@pytest.mark.parametrize(("data", "status"), [
    ("", 400), ("reason", 400), ("[]", 422), ('{"reason": 5}', 422),
    ('{"reason": "x\\u0000y"}', 422), ('{"status": "cancelled"}', 422),
    ('{"reason": "' + "x" * 1001 + '"}', 422)])
def test_cancelling_refuses_a_bad_body_and_keeps_the_order(client, auth_headers, customer,
                                                           tea, data, status):
    number = order_for(customer, tea)

    response = client.post(f"{ORDERS}/{number}/cancel", headers=auth_headers, data=data,
                           content_type="application/json")

    assert_problem(response, status)
    assert orders.find_by_number(number).status == "processing"
