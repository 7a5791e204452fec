"""The short order link an SMS carries (/o/<code>): it opens the order's page, it cannot be
guessed or altered, it ends when the order's links are revoked, and it expires with them."""

from __future__ import annotations

import base64
import datetime as dt
import re

import pytest

from app.orders import services as orders, short_links
from tests.checkout.factories import customer_order, place_guest_order, stocked
from tests.factories import make_customer


@pytest.fixture()
def tea(db_session):
    return stocked("Ceylon tea", units=10, price_cents=1_250_00)


def _path(link: str) -> str:
    return re.sub(r"^https?://[^/]+", "", link)


def test_a_short_link_opens_the_guest_s_order(client, tea):
    order = place_guest_order((tea, 1))
    link = orders.short_link(order)

    answer = client.get(_path(link))
    page = client.get(_path(answer.location))

    assert re.fullmatch(r"https?://[^/]+/o/[A-Za-z0-9_-]{16,20}", link)
    assert answer.status_code == 303
    assert answer.headers["Cache-Control"] == "private, no-store"
    assert page.status_code == 200 and order.number in page.text


def test_an_account_order_s_short_link_leads_to_the_signed_in_page(client, tea):
    order = customer_order(make_customer(), (tea, 1))

    answer = client.get(_path(orders.short_link(order)))

    assert answer.status_code == 303
    assert _path(answer.location) == f"/account/orders/{order.number}"


def test_revoking_the_order_s_links_ends_its_short_links(client, tea, db_session):
    order = place_guest_order((tea, 1))
    link = orders.short_link(order)

    orders.revoke_links(order)
    db_session.commit()

    assert client.get(_path(link)).status_code == 404
    assert client.get(_path(orders.short_link(order))).status_code == 303  # a new one works


def test_a_short_link_expires_with_the_guest_link(client, tea, monkeypatch):
    order = place_guest_order((tea, 1))
    link = orders.short_link(order)
    later = short_links.utcnow() + dt.timedelta(days=orders.GUEST_LINK_DAYS + 1)

    monkeypatch.setattr(short_links, "utcnow", lambda: later)

    assert client.get(_path(link)).status_code == 404


def _altered(code: str, index: int) -> str:
    raw = bytearray(base64.urlsafe_b64decode(code + "=" * (-len(code) % 4)))
    raw[index] ^= 1
    return base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()


def test_an_altered_or_made_up_code_opens_nothing(client, tea):
    first = place_guest_order((tea, 1))
    second = place_guest_order((tea, 1))
    code = short_links.short_code(first)
    id_bytes = len(base64.urlsafe_b64decode(code + "==")) - 11
    # The first order's code with the second's id: the MAC is bound to the id.
    other = base64.urlsafe_b64encode(
        second.id.to_bytes(id_bytes, "big")
        + base64.urlsafe_b64decode(code + "=" * (-len(code) % 4))[id_bytes:]).rstrip(b"=")

    codes = [_altered(code, -1), _altered(code, id_bytes), other.decode(), "A" * 18,
             "x", code + "A", "%E0%B6%85" * 3, "A" * 40, "====", "_-_-_-_-_-_-_-_-_-"]

    assert [client.get(f"/o/{c}").status_code for c in codes] == [404] * len(codes)
    assert client.get(f"/o/{code}").status_code == 303


def test_the_code_holds_72_bits_of_mac_and_stays_short_for_any_order_id():
    class Big:
        id, link_version = 2**31 - 1, 7

    from flask import Flask
    app = Flask(__name__)
    app.config["SECRET_KEY"] = "k" * 32
    with app.app_context():
        code = short_links.short_code(Big)

    assert short_links.MAC_BYTES * 8 >= 72
    assert len(code) <= 20
