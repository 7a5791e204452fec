"""The wallet through the API: GET /me/wallet tells my credit, what lapses and the ledger;
POST /checkout spends it with `store_credit_cents`, and refuses more than I hold."""

from __future__ import annotations

import datetime as dt

import pytest

from app.db import utcnow
from app.wallet import services as wallet
from tests.api.helpers import assert_problem
from tests.api.test_checkout import fill_cart, money, post_checkout
from tests.checkout.factories import starter_delivery, stocked
from tests.factories import make_address, make_staff

WALLET = "/api/v1/me/wallet"


@pytest.fixture()
def tea(db_session) -> int:
    starter_delivery()
    return stocked("Ceylon tea", units=10, price_cents=1_250_00).id


@pytest.fixture()
def address_id(customer) -> int:
    return make_address(customer.id).id


def test_my_wallet_shows_the_balance_what_lapses_and_the_entries(client, auth_headers,
                                                                 customer, db_session):
    soon = utcnow().replace(microsecond=0) + dt.timedelta(days=20)
    wallet.give_goodwill(customer.id, 150_00, "Parcel came late", actor=make_staff(),
                         expires_at=soon)
    wallet.add(customer.id, 50_00, kind="refund", order_number="KD-2026-000009")

    body = client.get(WALLET, headers=auth_headers).get_json()

    assert body["balance"] == money(200_00)
    assert body["expiring"] == [{"amount": money(150_00),
                                 "expires_at": soon.isoformat()}]
    assert [(e["kind"], e["amount"]["amount_cents"], e["balance_after"]["amount_cents"],
             e["order_number"], e["reason"]) for e in body["entries"]] == [
        ("refund", 50_00, 200_00, "KD-2026-000009", None),
        ("goodwill", 150_00, 150_00, None, "Parcel came late")]


def test_an_empty_wallet_and_no_token(client, auth_headers, db_session):
    assert client.get(WALLET, headers=auth_headers).get_json() == {
        "balance": money(0), "expiring": [], "entries": []}
    assert_problem(client.get(WALLET), 401)


def test_checkout_spends_credit_and_the_order_says_what_is_left(client, auth_headers, customer,
                                                                tea, address_id):
    wallet.add(customer.id, 1_000_00, kind="refund")
    fill_cart(client, auth_headers, tea, 1)

    response = post_checkout(client, auth_headers, {
        "address_id": address_id, "delivery_option": "island-wide", "payment_method": "cod",
        "store_credit_cents": 1_000_00})

    assert response.status_code == 201, response.get_data(as_text=True)
    order = response.get_json()
    assert order["store_credit"] == money(1_000_00)
    assert order["due"] == money(order["total"]["amount_cents"] - 1_000_00)
    assert client.get(WALLET, headers=auth_headers).get_json()["balance"] == money(0)


def test_more_credit_than_held_is_a_409_that_says_the_balance(client, auth_headers, customer,
                                                              tea, address_id):
    wallet.add(customer.id, 300_00, kind="refund")
    fill_cart(client, auth_headers, tea, 1)

    response = post_checkout(client, auth_headers, {
        "address_id": address_id, "delivery_option": "island-wide", "payment_method": "cod",
        "store_credit_cents": 400_00})

    body = assert_problem(response, 409, "not_enough_credit")
    assert "Rs. 300.00" in body["detail"]
    assert body["errors"][0]["field"] == "credit"
    assert wallet.balance(customer.id) == 300_00


def test_store_credit_must_be_a_whole_number_of_cents(client, auth_headers, tea,
                                                      address_id):
    for bad in (-1, 1.5, "100"):
        response = post_checkout(client, auth_headers, {
            "address_id": address_id, "delivery_option": "island-wide",
            "payment_method": "cod", "store_credit_cents": bad})
        assert_problem(response, 422)


def test_my_points_and_spending_them_at_checkout(client, auth_headers, customer, tea,
                                                 address_id):
    wallet.add(customer.id, 120, kind="earned", unit="points", order_number="KD-2026-000031",
               expires_at=utcnow().replace(microsecond=0) + dt.timedelta(days=90))

    body = client.get("/api/v1/me/points", headers=auth_headers).get_json()
    assert (body["balance"], body["value"]) == (120, money(120_00))
    assert body["scheme"]["point_value"] == money(100) and body["scheme"]["enabled"] is True
    assert [(e["kind"], e["points"], e["order_number"]) for e in body["entries"]] == [
        ("earned", 120, "KD-2026-000031")]
    assert [x["points"] for x in body["expiring"]] == [120]

    fill_cart(client, auth_headers, tea, 1)
    placed = post_checkout(client, auth_headers, {
        "address_id": address_id, "delivery_option": "island-wide", "payment_method": "cod",
        "points": 100}).get_json()
    assert placed["points_value"] == money(100_00)
    assert placed["due"] == money(placed["total"]["amount_cents"] - 100_00)
    assert client.get("/api/v1/me/points", headers=auth_headers).get_json()["balance"] == 20
