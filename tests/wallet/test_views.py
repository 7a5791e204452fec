"""Store credit in the shopper's pages: the payment step offers it, the review says what it
pays and what is left, the order and the account page show it."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from app.db import utcnow
from app.orders import services as orders
from app.orders.models import Order
from app.wallet import services as wallet
from tests.catalog.pages import find
from tests.checkout.factories import starter_delivery, stocked
from tests.checkout.test_views import add, page, place, step
from tests.factories import make_address, make_customer, make_staff


@pytest.fixture()
def customer(db_session, client, login):
    starter_delivery()
    person = make_customer(name="Nimal Perera")
    make_address(person.id, line1="12 Temple Road", district="galle")
    login(person)
    return person


def _to_payment(client, variant, quantity=1):
    """Through the address (the saved one, the first choice) and delivery steps."""
    add(client, variant, quantity)
    saved = find(page(client), tag="input", name="address_id")[0]["attrs"]["value"]
    step(client, "address", address_id=saved)
    step(client, "delivery", delivery_option="island-wide")


def test_part_credit_and_cash_on_delivery_through_the_pages(client, customer, db_session):
    wallet.add(customer.id, 400_00, kind="refund")
    _to_payment(client, stocked("Ceylon tea", price_cents=1_250_00))

    payment = page(client, "payment")
    assert "Use my store credit" in payment and "You have Rs. 400.00." in payment
    step(client, "payment", payment_method="cod", use_credit="y")
    review = page(client, "review")
    assert "Paid with store credit" in review and "−Rs. 400.00" in review
    placed = place(client)

    order = orders.find_by_number(db_session.scalar(select(Order.number)))
    assert placed.headers["Location"] == f"/account/orders/{order.number}"
    assert (order.credit_cents, order.payment_method) == (400_00, "cod")
    shown = client.get(placed.headers["Location"]).get_data(as_text=True)
    assert "Paid with store credit" in shown and "Left to pay" in shown
    assert f"You pay Rs. {order.due_cents // 100:,}.00 in cash" in shown
    assert wallet.balance(customer.id) == 0


def test_credit_that_covers_all_needs_no_payment_method(client, customer, db_session):
    wallet.add(customer.id, 10_000_00, kind="goodwill", reason="Sorry for the wait")
    _to_payment(client, stocked("Kithul treacle", price_cents=900_00))

    assert "It pays for the whole order." in page(client, "payment")
    assert step(client, "payment", use_credit="y").headers["Location"] == "/checkout?step=review"
    review = page(client, "review")
    assert "Store credit" in review
    place(client)

    order = orders.find_by_number(db_session.scalar(select(Order.number)))
    assert (order.payment_method, order.payment_status, order.due_cents) == (
        "store_credit", "paid", 0)


def test_without_credit_or_a_method_the_payment_step_asks_again(client, customer, db_session):
    wallet.add(customer.id, 100_00, kind="refund")
    _to_payment(client, stocked("Jaggery", price_cents=900_00))

    response = step(client, "payment", use_credit="y")

    assert response.status_code == 422
    assert "Choose a payment method." in response.get_data(as_text=True)


def test_no_credit_no_checkbox(client, customer, db_session):
    _to_payment(client, stocked("Cinnamon", price_cents=500_00))
    assert "Use my store credit" not in page(client, "payment")


def test_the_account_page_shows_the_balance_what_lapses_and_every_entry(client, customer,
                                                                        db_session):
    agent = make_staff("support_agent")
    wallet.give_goodwill(customer.id, 250_00, "Parcel came late", actor=agent,
                         expires_at=utcnow() + dt.timedelta(days=30))
    wallet.add(customer.id, 100_00, kind="refund", order_number="KD-2026-000042")

    html = client.get("/account/credit").get_data(as_text=True)

    assert "You have Rs. 350.00 to spend." in html
    assert "Rs. 250.00 expires on" in html
    assert "Parcel came late" in html and "KD-2026-000042" in html
    assert "Refund as store credit" in html and "From the shop" in html


def test_the_credit_page_needs_a_sign_in(client, db_session):
    response = client.get("/account/credit")
    assert response.status_code in (302, 303)
    assert "/account/login" in response.headers["Location"]


def test_points_and_credit_together_through_the_pages(client, customer, db_session):
    wallet.add(customer.id, 200_00, kind="refund")
    wallet.add(customer.id, 150, kind="earned", unit="points")
    _to_payment(client, stocked("Clay pot", price_cents=1_000_00))

    payment = page(client, "payment")
    assert "Use my points" in payment and "You have 150 points, worth Rs. 150.00." in payment
    step(client, "payment", payment_method="cod", use_credit="y", use_points="y")
    review = page(client, "review")
    assert "Paid with 150 points" in review and "−Rs. 150.00" in review
    place(client)

    order = orders.find_by_number(db_session.scalar(select(Order.number)))
    assert (order.credit_cents, order.points_cents) == (200_00, 150_00)
    assert order.due_cents == order.total_cents - 350_00
    shown = client.get(f"/account/orders/{order.number}").get_data(as_text=True)
    assert "Paid with points" in shown and "Paid with store credit" in shown
