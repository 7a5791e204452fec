"""The staff order list names each order's payment as the order uses it: cash for a booking
(services only) is paid on the day of the booking, not on delivery; and the list finds
which orders are bookings in one query, whatever the number of rows."""

from __future__ import annotations

import re

import pytest

from app.db import session
from app.orders import services as orders
from tests.checkout.factories import place_guest_order, service_with_slot, stocked
from tests.factories import make_staff
from tests.statements import statements_sent


@pytest.fixture()
def manager_client(client, db_session, sign_in_staff):
    return sign_in_staff(make_staff("order_manager"))


def _row(html: str, number: str) -> str:
    row = re.search(rf"<tr[ >](?:(?!</tr>).)*{re.escape(number)}(?:(?!</tr>).)*</tr>", html,
                    re.S)
    assert row, number
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row.group(0)))


def test_each_row_names_cash_as_the_order_pays_it(manager_client, db_session):
    tea = stocked("Ceylon tea", units=10)
    visit, slot = service_with_slot("AC service visit", capacity=5)
    booking = place_guest_order((visit, 1, slot), delivery_option=None)
    goods = place_guest_order((tea, 1))
    mixed = place_guest_order((tea, 1), (visit, 1, slot))
    transfer = place_guest_order((visit, 1, slot), delivery_option=None,
                                 payment_method="bank_transfer")

    html = manager_client.get("/staff/orders").text

    assert "Cash on the day of the booking" in _row(html, booking.number)
    assert "Cash on delivery" not in _row(html, booking.number)
    assert "Cash on delivery" in _row(html, goods.number)
    assert "Cash on delivery" in _row(html, mixed.number)  # its goods still travel
    assert "Bank transfer" in _row(html, transfer.number)
    assert "Cash on the day" not in _row(html, transfer.number)


def test_the_payments_list_names_a_bookings_cash_as_paid_on_the_day(manager_client,
                                                                     db_session):
    tea = stocked("Ceylon tea", units=10)
    visit, slot = service_with_slot("AC service visit", capacity=5)
    booking = place_guest_order((visit, 1, slot), delivery_option=None)
    goods = place_guest_order((tea, 1))

    html = manager_client.get("/staff/payments").text

    assert "Cash on the day of the booking" in _row(html, booking.number)
    assert "Cash on delivery" in _row(html, goods.number)
    assert orders.services_only_numbers([booking.number, goods.number]) == {booking.number}
    assert orders.services_only_numbers([]) == set()


def test_services_only_ids_picks_the_bookings_and_nothing_for_no_orders(db_session):
    tea = stocked("Ceylon tea", units=10)
    visit, slot = service_with_slot("AC service visit", capacity=5)
    booking = place_guest_order((visit, 1, slot), delivery_option=None)
    goods = place_guest_order((tea, 1))
    mixed = place_guest_order((tea, 1), (visit, 1, slot))

    assert orders.services_only_ids([booking.id, goods.id, mixed.id]) == {booking.id}
    assert orders.services_only_ids([]) == set()
    assert orders.services_only_ids([2**31 - 1]) == set()  # an unknown id is not a booking


def _counting(app):
    session.remove()  # a request starts with an empty session, as in production
    return statements_sent(app)


def test_the_list_runs_as_many_queries_for_many_orders_as_for_few(app, manager_client,
                                                                  db_session):
    tea = stocked("Ceylon tea", units=50)
    visit, slot = service_with_slot("AC service visit", capacity=20)

    def orders_page() -> int:
        with _counting(app) as statements:
            assert manager_client.get("/staff/orders").status_code == 200
        return len([s for s in statements if "orders_order_line" in s])

    place_guest_order((tea, 1))
    place_guest_order((visit, 1, slot), delivery_option=None)
    few = orders_page()
    for _ in range(4):
        place_guest_order((tea, 1))
        place_guest_order((visit, 1, slot), delivery_option=None)
    many = orders_page()

    assert few == many == 1  # one look at the lines, for the whole page
