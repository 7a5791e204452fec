"""Order links: they open guests' orders only, a guest can ask for a new one (which ends the
older ones) from "Find your order" without an account, and nobody learns from that page
which orders exist. Run on SQLite and on PostgreSQL (`--db`)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from app.links import serializer
from app.orders import services as orders
from app.queue import wait_for_local_jobs
from tests.checkout.factories import GUEST, customer_order, place_guest_order, stocked
from tests.factories import make_customer

ANSWER = ("If that order was placed with that email or mobile number, we have sent it a new "
          "link. Links sent before no longer work.")


@pytest.fixture()
def tea(db_session):
    return stocked("Ceylon tea", units=10, price_cents=1_250_00)


def _pages(client, number: str, token: str) -> list[int]:
    """What a link token opens: the order page, its invoice, and cancelling."""
    return [client.get(f"/orders/{number}?t={token}").status_code,
            client.get(f"/orders/{number}/invoice.pdf?t={token}").status_code,
            client.post(f"/orders/{number}/cancel", data={"t": token}).status_code]


def _token_of(link: str) -> str:
    return parse_qs(urlsplit(link).query)["t"][0]


def _sms(app) -> list[dict]:
    wait_for_local_jobs(app)
    folder = Path(app.config["OUTBOX_DIR"])
    return [json.loads(p.read_text()) for p in sorted(folder.glob("*.sms.json"))]


def _ask(client, number: str, contact: str):
    return client.post("/order-link", data={"number": number, "contact": contact},
                       follow_redirects=True)


# ---- who a link opens an order for ----------------------------------------------------------

def test_a_registered_customers_order_is_not_found_by_its_link_token(
        client, tea, db_session, login):
    nimal = make_customer(email="nimal@example.lk")
    order = customer_order(nimal, (tea, 2))
    token = orders.guest_token(order)
    legacy = serializer("order").dumps(order.number)  # as links were signed before versions

    assert _pages(client, order.number, token) == [404, 404, 404]
    assert _pages(client, order.number, legacy) == [404, 404, 404]
    login(nimal)
    assert client.get(f"/account/orders/{order.number}").status_code == 200
    assert orders.find_by_number(order.number).status == "processing"  # not cancelled


def test_a_guests_order_opens_by_its_link(client, tea, db_session):
    order = place_guest_order((tea, 1))

    page = client.get(f"/orders/{order.number}?t={orders.guest_token(order)}")

    assert page.status_code == 200
    assert "5 Church Street" in page.get_data(as_text=True)


def test_a_link_mailed_before_links_had_versions_opens_until_revoked(client, tea, db_session):
    order = place_guest_order((tea, 1))
    legacy = serializer("order").dumps(order.number)
    assert client.get(f"/orders/{order.number}?t={legacy}").status_code == 200

    orders.revoke_links(orders.find_by_number(order.number))
    db_session.commit()

    assert _pages(client, order.number, legacy) == [404, 404, 404]


def test_the_mailed_link_is_a_guests_only(app, tea, db_session, outbox):
    guest = place_guest_order((tea, 1))
    nimal = make_customer(email="nimal@example.lk")
    theirs = customer_order(nimal, (tea, 1))

    [guest_mail] = outbox.to("sarah@example.lk", "order")
    [their_mail] = outbox.to("nimal@example.lk", "order")

    assert outbox.link(guest_mail).startswith(f"http://127.0.0.1:5000/orders/{guest.number}?t=")
    assert outbox.link(their_mail) == f"http://127.0.0.1:5000/account/orders/{theirs.number}"


def test_an_erased_customers_order_is_not_opened_by_an_older_token(client, tea, db_session):
    from app.orders import privacy

    nimal = make_customer()
    order = customer_order(nimal, (tea, 1))
    orders.change_status(order.number, "cancelled")
    token = serializer("order").dumps(order.number)  # a PayHere return link of old

    privacy.anonymise_for(nimal.id)
    order.user_id = None  # what erasing the account does to its orders (SET NULL)
    db_session.commit()

    assert client.get(f"/orders/{order.number}?t={token}").status_code == 404


# ---- "Find your order" ----------------------------------------------------------------------

def test_the_find_page_is_reachable_without_an_account(client, db_session):
    page = client.get("/order-link?number=KD-2026-000123")

    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'value="KD-2026-000123"' in html
    assert "/order-link" in client.get("/").get_data(as_text=True)  # the footer links it


def test_a_guest_gets_a_new_link_by_email_and_the_old_one_stops(
        app, client, tea, db_session, outbox):
    order = place_guest_order((tea, 1))
    old = orders.guest_token(order)

    answer = _ask(client, order.number.lower(), "  Sarah@Example.lk ")

    assert answer.status_code == 200 and ANSWER in answer.get_data(as_text=True)
    [mail] = outbox.to("sarah@example.lk", "order")[1:]  # after the confirmation
    assert mail["Subject"] == f"Your link to order {order.number}"
    assert "Links we sent you before no longer open it." in outbox.text(mail)
    fresh = _token_of(outbox.link(mail))
    assert fresh != old
    assert _pages(client, order.number, old) == [404, 404, 404]
    assert client.get(f"/orders/{order.number}?t={fresh}").status_code == 200


def test_a_guest_gets_a_new_link_by_sms_to_the_phone_on_the_order(
        app, client, tea, db_session, outbox):
    order = place_guest_order((tea, 1))
    before = len(outbox.messages())

    answer = _ask(client, order.number, "+94 77 123 4567")

    assert ANSWER in answer.get_data(as_text=True)
    assert len(outbox.messages()) == before  # the phone matched: the SMS goes, not a mail
    [sms] = [s for s in _sms(app) if ":link:" in s["reference"]]
    assert sms["to"] == "94771234567"
    link = re.search(r"https?://\S+", sms["message"]).group(0)
    # The SMS carries the short link; it opens the order's page.
    assert "/o/" in link
    assert client.get(link.replace("http://127.0.0.1:5000", ""),
                      follow_redirects=True).status_code == 200
    assert len(sms["message"]) <= 160


@pytest.mark.parametrize(("number", "contact"), [
    ("{number}", "someone@example.lk"),      # the right order, another email
    ("{number}", "077 999 9999"),            # the right order, another phone
    ("{number}", "not a contact"),
    ("KD-2026-999999", GUEST.email),          # no such order
    ("x" * 24, GUEST.email),
])
def test_a_wrong_number_or_contact_gets_the_same_answer_and_no_message(
        app, client, tea, db_session, outbox, number, contact):
    order = place_guest_order((tea, 1))
    token = orders.guest_token(order)
    mails, texts_ = len(outbox.messages()), len(_sms(app))

    answer = _ask(client, number.format(number=order.number), contact)

    assert answer.status_code == 200 and ANSWER in answer.get_data(as_text=True)
    assert (len(outbox.messages()), len(_sms(app))) == (mails, texts_)
    assert client.get(f"/orders/{order.number}?t={token}").status_code == 200  # not revoked


def test_matching_and_not_matching_answer_alike(client, tea, db_session):
    order = place_guest_order((tea, 1))

    hit = client.post("/order-link", data={"number": order.number, "contact": GUEST.email})
    miss = client.post("/order-link", data={"number": "KD-2026-999999",
                                            "contact": GUEST.email})

    assert (hit.status_code, hit.headers["Location"]) == (
        miss.status_code, miss.headers["Location"]) == (303, "/order-link")


@pytest.mark.parametrize("data", [{}, {"number": "KD-2026-000001"}, {"contact": "a@b.lk"},
                                  {"number": "K" * 200, "contact": "a@b.lk"}])
def test_the_find_form_asks_again_for_what_is_missing(client, db_session, data):
    answer = client.post("/order-link", data=data)
    assert answer.status_code == 422
    assert 'aria-invalid="true"' in answer.get_data(as_text=True)


def test_a_customers_order_gets_the_account_page_not_a_token(
        app, client, tea, db_session, outbox):
    nimal = make_customer(email="nimal@example.lk")
    order = customer_order(nimal, (tea, 1))

    _ask(client, order.number, "nimal@example.lk")

    [mail] = [m for m in outbox.to("nimal@example.lk") if "link" in m["X-Kade-Dedupe-Key"]]
    assert urlsplit(outbox.link(mail)).path == f"/account/orders/{order.number}"
    assert "?" not in outbox.link(mail)
    assert "sign in to see it" in outbox.text(mail)


def test_asking_for_links_is_rate_limited_per_client_and_per_order(make_app):
    app = make_app(RATELIMIT_ENABLED=True)
    client = app.test_client()

    per_order = [client.post("/order-link", data={"number": "KD-2026-000001",
                                                  "contact": "a@b.lk"},
                             environ_base={"REMOTE_ADDR": f"10.0.0.{n}"}).status_code
                 for n in range(4)]
    per_client = [client.post("/order-link", data={"number": f"KD-2026-00010{n}",
                                                   "contact": "a@b.lk"},
                              environ_base={"REMOTE_ADDR": "10.0.1.1"}).status_code
                  for n in range(6)]

    assert per_order == [303, 303, 303, 429]
    assert per_client == [303] * 5 + [429]
    assert client.get("/order-link").status_code == 200  # asking to see the page is free
