"""Checkout as a shopper goes through it: address (or a guest's details), delivery, payment,
review, place order; field errors next to their fields; tampered choices refused; a double
submit making one order. Run on SQLite and on PostgreSQL (`--db`)."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from app.accounts import addresses
from app.checkout import cart as carts, steps
from app.checkout.models import Cart
from app.inventory import services as inventory
from app.orders import services as orders
from app.orders.models import Order
from tests.catalog.pages import attr, find, text, texts
from tests.checkout.factories import (
    order_link_target,
    service_with_slot,
    starter_delivery,
    stocked,
)
from tests.factories import make_address, make_customer

GUEST = {"name": "Sarah Fernando", "email": "sarah@example.lk", "phone": "077 123 4567",
         "line1": "5 Church Street", "city": "Galle", "district": "galle",
         "postal_code": "80000"}


@pytest.fixture()
def shop(db_session):
    starter_delivery()
    return {"tea": stocked("Ceylon tea", units=5, price_cents=1_250_00),
            "soap": stocked("Herbal soap", units=5, price_cents=280_00)}


def add(client, variant, quantity=1, slot=None):
    data = {"variant_id": variant.id, "quantity": quantity}
    if slot is not None:
        data["slot_id"] = slot.id
    response = client.post("/cart/items", data=data)
    assert response.status_code == 303


def step(client, name, /, **data):
    return client.post("/checkout", data={"step": name, **data})


def page(client, name=None) -> str:
    response = client.get("/checkout" + (f"?step={name}" if name else ""))
    assert response.status_code == 200, response.headers.get("Location")
    return response.get_data(as_text=True)


def place(client, key=None):
    key = key or attr(page(client, "review"), "value", name="idempotency_key")
    return client.post("/checkout", data={"step": "place", "idempotency_key": key})


def guest_cart_of(client) -> Cart | None:
    return carts.find_cart(token=client.get_cookie("kade_cart").value)


def order_count(db_session) -> int:
    return db_session.scalar(select(func.count()).select_from(Order))


def test_checkout_with_an_empty_cart_goes_back_to_the_cart(client, db_session):
    response = client.get("/checkout")

    assert response.status_code == 303
    assert response.headers["Location"] == "/cart"
    assert "Your cart is empty." in client.get("/cart").get_data(as_text=True)


def test_a_guest_checks_out_cash_on_delivery_to_galle(client, shop, outbox, db_session):
    add(client, shop["tea"], 2)
    add(client, shop["soap"], 1)

    first = page(client)
    assert text(first, tag="li", aria_current="step") == "Address"
    to_delivery = step(client, "address", **GUEST)
    assert to_delivery.status_code == 303
    assert to_delivery.headers["Location"] == "/checkout?step=delivery"

    delivery = page(client, "delivery")
    options = texts(delivery, cls="choice-text")
    assert options[0].startswith("Island-wide standard Rs. 350.00")
    assert "Free over Rs. 20,000.00." in options[0]
    assert not any("Colombo same-day" in o for o in options)  # Colombo only
    assert step(client, "delivery", delivery_option="island-wide").headers[
        "Location"] == "/checkout?step=payment"

    payment = page(client, "payment")
    assert [t.split(" ", 3)[:3] for t in texts(payment, cls="choice-text")] == [
        ["Cash", "on", "delivery"], ["Bank", "transfer", "Transfer"]]
    assert step(client, "payment", payment_method="cod").headers[
        "Location"] == "/checkout?step=review"

    review = page(client, "review")
    assert "Sarah Fernando" in review and "5 Church Street" in review
    assert texts(review, cls="grand-total")[1] == "Rs. 3,130.00"  # 2 × 1,250 + 280 + 350
    placed = place(client)

    assert placed.status_code == 303
    number = db_session.scalar(select(Order.number))
    assert placed.headers["Location"].startswith(f"/orders/{number}?t=")
    order = orders.find_by_number(number)
    assert order.status == "processing" and order.payment_method == "cod"
    assert order.district == "galle" and order.ship_city == "Galle"
    assert order.contact_email == "sarah@example.lk" and order.contact_phone == "+94771234567"
    assert order.total_cents == 3_130_00 and order.delivery_code == "island-wide"
    assert inventory.available([shop["tea"].id]) == {shop["tea"].id: 3}
    assert client.get_cookie("kade_cart") is None  # the cart became the order
    thanks = client.get(placed.headers["Location"]).get_data(as_text=True)
    assert "Thank you!" in thanks
    assert f"Your order {number} is placed." in thanks
    [mail] = outbox.to("sarah@example.lk")
    assert number in mail["Subject"]
    assert order_link_target(outbox.link(mail)) == order_link_target(
        placed.headers["Location"]) == (f"/orders/{number}", number)
    again = client.get(placed.headers["Location"]).get_data(as_text=True)
    assert "Thank you!" not in again  # said once


def test_the_thank_you_is_not_shown_when_the_order_is_opened_much_later(client, shop,
                                                                      db_session, monkeypatch):
    """A card payer goes to PayHere first and may open the order days later: no stale
    "Thank you! Your order is placed" then."""
    from app.orders import just_placed

    add(client, shop["tea"], 1)
    step(client, "address", **GUEST)
    step(client, "delivery", delivery_option="island-wide")
    step(client, "payment", payment_method="cod")
    placed = place(client)
    later = time.time() + just_placed.FRESH_SECONDS + 60
    monkeypatch.setattr(just_placed, "_now", lambda: later)

    opened = client.get(placed.headers["Location"]).get_data(as_text=True)

    assert "Thank you!" not in opened and "is placed." not in opened
    assert "Order KD-" in opened


def test_the_place_order_form_submitted_twice_makes_one_order(client, shop, db_session):
    add(client, shop["tea"], 1)
    step(client, "address", **GUEST)
    step(client, "delivery", delivery_option="island-wide")
    step(client, "payment", payment_method="cod")
    key = attr(page(client, "review"), "value", name="idempotency_key")

    first = place(client, key)
    second = place(client, key)

    assert first.status_code == second.status_code == 303
    # The same order; each link carries its own freshly signed (time-stamped) token.
    assert first.headers["Location"].split("?")[0] == second.headers["Location"].split("?")[0]
    assert order_count(db_session) == 1
    assert inventory.available([shop["tea"].id]) == {shop["tea"].id: 4}


def test_a_double_tap_sending_two_requests_at_once_makes_one_order(client, shop, db_session):
    add(client, shop["tea"], 1)
    step(client, "address", **GUEST)
    step(client, "delivery", delivery_option="island-wide")
    step(client, "payment", payment_method="cod")
    key = attr(page(client, "review"), "value", name="idempotency_key")
    cookie = client.get_cookie("kade_cart").value
    taps = [client.application.test_client() for _ in range(2)]
    for tap in taps:
        tap.set_cookie("kade_cart", cookie)
    start = threading.Barrier(len(taps))

    def submit(tap):
        start.wait()
        return place(tap, key)

    with ThreadPoolExecutor(len(taps)) as pool:
        answers = list(pool.map(submit, taps))

    assert [a.status_code for a in answers] == [303, 303]
    assert len({a.headers["Location"].split("?")[0] for a in answers}) == 1
    assert answers[0].headers["Location"].startswith("/orders/KD-")
    assert order_count(db_session) == 1
    assert inventory.available([shop["tea"].id]) == {shop["tea"].id: 4}


def test_a_second_tab_placing_the_same_cart_makes_no_second_order(client, shop, db_session):
    add(client, shop["tea"], 1)
    step(client, "address", **GUEST)
    step(client, "delivery", delivery_option="island-wide")
    step(client, "payment", payment_method="cod")
    other_tab = client.application.test_client()
    other_tab.set_cookie("kade_cart", client.get_cookie("kade_cart").value)
    other_key = attr(page(other_tab, "review"), "value", name="idempotency_key")

    one = place(client)
    other = place(other_tab, other_key)  # its own key, the cart already an order

    assert one.status_code == other.status_code == 303
    assert other.headers["Location"] == "/cart"
    assert "Your cart is empty." in other_tab.get("/cart").get_data(as_text=True)
    assert order_count(db_session) == 1


@pytest.mark.parametrize(("field", "value", "message"), [
    ("name", "", "This field is required."),
    ("email", "sarah-at-example", "Enter an email address like name@example.lk."),
    ("phone", "12345", "Enter a Sri Lankan mobile number"),
    ("line1", "", "This field is required."),
    ("line1", "x" * 500, "Field cannot be longer than 120 characters."),
    ("district", "", "This field is required."),
    ("district", "atlantis", "Choose one of the 25 districts."),
    ("district", "colombo'; --", "Choose one of the 25 districts."),
    ("postal_code", "8000", "A postal code has 5 digits."),
])
def test_guest_address_errors_show_next_to_their_field(client, shop, db_session, field, value,
                                                      message):
    add(client, shop["tea"])

    response = step(client, "address", **{**GUEST, field: value})

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in text(html, id=f"{field}-error")
    assert attr(html, "aria-invalid", id=field) == "true"
    assert steps.load(guest_cart_of(client)) == {}


def test_steps_cannot_be_skipped(client, shop, db_session):
    add(client, shop["tea"])

    review = client.get("/checkout?step=review")
    payment = step(client, "payment", payment_method="cod")
    unknown = client.get("/checkout?step=nonsense")

    for response in (review, payment, unknown):
        assert response.status_code == 303
        assert response.headers["Location"] == "/checkout?step=address"
    assert "payment_method" not in steps.load(guest_cart_of(client))


@pytest.mark.parametrize(("name", "data", "message"), [
    ("delivery", {"delivery_option": "colombo-same-day"},
     "Choose a delivery option for your district."),  # Galle is not Colombo
    ("delivery", {"delivery_option": "free-rocket"},
     "Choose a delivery option for your district."),
    ("delivery", {}, "Choose a delivery option for your district."),
    ("payment", {"payment_method": "bitcoin"}, "Choose a payment method."),
    ("payment", {"payment_method": "payhere"}, "Card payment is not available right now."),
    ("payment", {"payment_method": ""}, "Choose a payment method."),
])
def test_tampered_choices_are_refused_with_a_message(client, shop, db_session, name, data,
                                                     message):
    add(client, shop["tea"])
    step(client, "address", **GUEST)
    if name == "payment":
        step(client, "delivery", delivery_option="island-wide")
    saved = steps.load(guest_cart_of(client))

    response = step(client, name, **data)

    assert response.status_code == 422
    field = "delivery_option" if name == "delivery" else "payment_method"
    assert message in text(response.get_data(as_text=True), id=f"{field}-error")
    assert steps.load(guest_cart_of(client)) == saved


def test_a_tampered_idempotency_key_is_refused(client, shop, db_session):
    add(client, shop["tea"])
    step(client, "address", **GUEST)
    step(client, "delivery", delivery_option="island-wide")
    step(client, "payment", payment_method="cod")

    response = place(client, key="x")

    assert response.status_code == 303
    assert response.headers["Location"] == "/checkout?step=review"
    assert order_count(db_session) == 0


def test_stock_gone_before_placing_sends_the_shopper_to_the_cart(client, shop, db_session):
    add(client, shop["tea"], 2)
    step(client, "address", **GUEST)
    step(client, "delivery", delivery_option="island-wide")
    step(client, "payment", payment_method="cod")
    key = attr(page(client, "review"), "value", name="idempotency_key")
    inventory.set_on_hand(shop["tea"].id, 1)

    response = place(client, key)

    assert response.status_code == 303 and response.headers["Location"] == "/cart"
    cart = client.get("/cart").get_data(as_text=True)
    assert "out of stock" in text(cart, id="flashes")
    assert "Only 1 left in stock." in cart
    assert order_count(db_session) == 0


def test_a_guest_buying_only_a_service_gives_details_and_no_address(client, db_session):
    starter_delivery()
    visit, slot = service_with_slot(price_cents=5_000_00)
    add(client, visit, 1, slot)

    html = page(client)
    assert text(html, cls="checkout-steps") == "Your details Payment Review"
    assert not find(html, id="district")
    details = {k: GUEST[k] for k in ("name", "email", "phone")}
    assert step(client, "details", **details).headers["Location"] == "/checkout?step=payment"
    step(client, "payment", payment_method="cod")
    placed = place(client)

    order = db_session.scalar(select(Order))
    assert placed.headers["Location"].startswith(f"/orders/{order.number}?t=")
    assert order.delivery_fee_cents == 0 and order.ship_line1 is None
    assert order.total_cents == 5_000_00
    assert order.lines[0].slot_id == slot.id


# ---- signed-in customers --------------------------------------------------------------------

def test_a_customer_checks_out_with_a_saved_address_and_bank_transfer(
        client, shop, login, outbox, db_session):
    customer = make_customer(name="Nimal Perera")
    address = make_address(customer.id, line1="12 Temple Road", district="galle")
    login(customer)
    add(client, shop["tea"], 1)

    html = page(client)
    radios = find(html, tag="input", name="address_id")
    assert [r["attrs"]["value"] for r in radios] == [str(address.id), "new"]
    assert "checked" in radios[0]["attrs"]
    assert step(client, "address", address_id=address.id).headers[
        "Location"] == "/checkout?step=delivery"
    step(client, "delivery", delivery_option="island-wide")
    step(client, "payment", payment_method="bank_transfer")
    review = page(client, "review")
    assert "12 Temple Road" in review
    assert "We email you our bank details." in review
    placed = place(client)

    number = db_session.scalar(select(Order.number))
    assert placed.headers["Location"] == f"/account/orders/{number}"
    order = orders.find_by_number(number)
    assert order.user_id == customer.id and order.status == "pending_payment"
    assert order.ship_line1 == "12 Temple Road" and order.district == "galle"
    thanks = client.get(placed.headers["Location"]).get_data(as_text=True)
    assert "Thank you!" in thanks and number in thanks
    assert "Payment instructions follow by email." in thanks
    assert outbox.to(customer.email)


def test_another_customers_address_is_refused_with_a_message(client, shop, login, db_session):
    customer = make_customer()
    make_address(customer.id)
    theirs = make_address(make_customer().id, line1="99 Their Lane")
    login(customer)
    add(client, shop["tea"], 1)

    response = step(client, "address", address_id=theirs.id)

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Choose one of your addresses." in text(html, id="address_id-error")
    assert "99 Their Lane" not in html
    assert steps.load(carts.find_cart(user_id=customer.id)) == {}


@pytest.mark.parametrize("value", ["", "abc", "-1", "99999999999999"])
def test_a_nonsense_address_choice_is_refused(client, shop, login, db_session, value):
    customer = make_customer()
    login(customer)
    add(client, shop["tea"], 1)

    response = step(client, "address", address_id=value)

    assert response.status_code == 422
    assert steps.load(carts.find_cart(user_id=customer.id)) == {}


def test_a_customers_new_address_is_kept_in_their_book(client, shop, login, db_session):
    customer = make_customer()
    login(customer)
    add(client, shop["tea"], 1)

    response = step(client, "address", address_id="new", recipient="Amma",
                    address_phone="071 234 5678", line1="3 Lake Road", city="Kandy",
                    district="kandy", save_address="y")

    assert response.headers["Location"] == "/checkout?step=delivery"
    [kept] = addresses.list_addresses(customer.id)
    assert (kept.recipient, kept.district, kept.phone) == ("Amma", "kandy", "+94712345678")
    delivery = page(client, "delivery")
    assert "Delivery to Kandy" in delivery


def test_a_customers_new_address_can_stay_out_of_the_book(client, shop, login, db_session):
    customer = make_customer()
    login(customer)
    add(client, shop["tea"], 1)

    step(client, "address", address_id="new", recipient="Amma", address_phone="0712345678",
         line1="3 Lake Road", city="Colombo", district="colombo")
    step(client, "delivery", delivery_option="colombo-same-day")
    step(client, "payment", payment_method="cod")
    place(client)

    assert addresses.list_addresses(customer.id) == []
    order = db_session.scalar(select(Order))
    assert order.ship_line1 == "3 Lake Road" and order.delivery_code == "colombo-same-day"


def test_a_customers_double_submit_makes_one_order(client, shop, login, db_session):
    customer = make_customer()
    address = make_address(customer.id)
    login(customer)
    add(client, shop["tea"], 1)
    step(client, "address", address_id=address.id)
    step(client, "delivery", delivery_option="island-wide")
    step(client, "payment", payment_method="cod")
    key = attr(page(client, "review"), "value", name="idempotency_key")

    first, second = place(client, key), place(client, key)

    assert first.headers["Location"] == second.headers["Location"]
    assert order_count(db_session) == 1


def test_new_address_fields_are_required_only_for_a_new_address(client, shop, login,
                                                                db_session):
    customer = make_customer()
    login(customer)
    add(client, shop["tea"], 1)

    response = step(client, "address", address_id="new", recipient="", line1="")

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "This field is required." in text(html, id="line1-error")
    assert "This field is required." in text(html, id="recipient-error")
