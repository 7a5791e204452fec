"""Shopper events: buffered by the page and moved to the database by a job (never written on
the request), tied to the customer or to a first-party visitor id joined at sign-in, nothing
recorded for a customer who said no (and what was recorded deleted), 13 months kept, and a
Redis outage costing the page nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from app import db
from app.db import utcnow
from app.recommendations import tracking
from app.recommendations.models import ShopperEvent
from app.recommendations.visitors import COOKIE
from app.redis_client import redis_for
from tests.checkout.factories import customer_order, stocked
from tests.factories import make_customer


def events():
    db.session.expire_all()
    return list(db.session.scalars(select(ShopperEvent).order_by(ShopperEvent.id)))


def add_to_cart(client, variant, quantity=1):
    response = client.post("/cart/items", data={"variant_id": variant.id, "quantity": quantity})
    assert response.status_code in (200, 303), response.data[:300]
    return response


@pytest.fixture()
def tea(db_session):
    return stocked("Ceylon tea", units=50, price_cents=1_250_00)


def test_a_cart_add_is_buffered_by_the_page_and_saved_by_the_job(client, login, tea):
    customer = make_customer()
    add_to_cart(login(customer), tea, 2)

    assert events() == []  # the request wrote nothing
    assert tracking.buffered() == 1
    assert tracking.flush_all() == 1
    (event,) = events()
    assert (event.kind, event.customer_id, event.visitor_id, event.variant_id,
            event.quantity) == ("cart_add", customer.id, None, tea.id, 2)
    assert tracking.buffered() == 0


def test_a_visitor_gets_a_first_party_id_joined_to_them_at_sign_in(client, login, tea):
    response = add_to_cart(client, tea)
    cookie = client.get_cookie(COOKIE)
    assert cookie is not None and cookie.http_only and len(cookie.value) == 32
    assert any(h.startswith("kade_visitor=") for h in response.headers.getlist("Set-Cookie"))
    add_to_cart(client, tea)  # the same visitor: no new id
    assert client.get_cookie(COOKIE).value == cookie.value
    tracking.flush_all()
    assert {(e.customer_id, e.visitor_id) for e in events()} == {(None, cookie.value)}

    customer = make_customer()
    login(customer)
    assert {(e.customer_id, e.visitor_id) for e in events()} == {(customer.id, None)}


def test_a_customer_who_says_no_has_nothing_left_and_nothing_more_recorded(client, login,
                                                                          tea):
    customer = make_customer()
    shopper = login(customer)
    add_to_cart(shopper, tea)
    tracking.flush_all()
    add_to_cart(shopper, tea)  # buffered, not saved yet when they say no
    assert len(events()) == 1

    page = shopper.post("/account/personalisation", data={})  # the box unticked
    assert page.status_code == 303
    assert "deleted" in shopper.get("/account/personalisation").get_data(as_text=True)
    add_to_cart(shopper, tea)
    tracking.flush_all()
    assert events() == []
    assert not tracking.personalised(customer.id)

    shopper.post("/account/personalisation", data={"personalised": "y"})
    add_to_cart(shopper, tea)
    tracking.flush_all()
    assert [e.kind for e in events()] == ["cart_add"]


def test_the_personalisation_page_shows_the_choice(client, login, db_session):
    page = login(make_customer()).get("/account/personalisation")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'name="personalised"' in html and "checked" in html  # yes unless they said no
    signed_out = client.application.test_client()
    assert signed_out.get("/account/personalisation").status_code in (302, 303)


def test_a_customers_order_becomes_purchase_events(app, db_session, tea):
    customer = make_customer()
    soap = stocked("Herbal soap", units=10, price_cents=280_00)
    customer_order(customer, (tea, 2), (soap, 1))
    from app.queue import wait_for_local_jobs

    wait_for_local_jobs(app)
    tracking.flush_all()
    assert sorted((e.kind, e.customer_id, e.product_id, e.quantity) for e in events()) == sorted([
        ("purchase", customer.id, tea.product_id, 2),
        ("purchase", customer.id, soap.product_id, 1)])


def test_events_older_than_13_months_are_deleted(db_session):
    now = utcnow()
    for days_ago in (10, 395, 397, 800):
        tracking.record("view", visitor_id="a" * 32, product_id=days_ago,
                        when=now - dt.timedelta(days=days_ago))
    tracking.flush_all()
    assert tracking.delete_old(now) == 2
    assert sorted(e.product_id for e in events()) == [10, 395]


@pytest.mark.parametrize(("typed", "kept"), [
    ("Kithul  Treacle ", "kithul treacle"),
    ("call me 077 123 4567", None),
    ("nimal@example.lk", None),
    ("NIC 199012345678", None),
    ("rice 5kg", "rice 5kg"),
    ("", None),
    ("x" * 100, "x" * 64),
])
def test_a_search_keeps_its_words_only_when_they_cannot_be_personal(typed, kept):
    assert tracking.plain_query(typed) == kept


def test_nothing_is_recorded_for_no_one_or_an_unknown_kind(db_session):
    assert tracking.record("view") is False
    assert tracking.record("click", customer_id=1) is False
    assert tracking.buffered() == 0


def test_with_redis_the_buffer_is_a_list_every_worker_can_empty(make_app, redis_url):
    app = make_app(REDIS_URL=redis_url)
    with app.app_context():
        for product in range(tracking.PUSH_BATCH + 1):  # one batch goes, one event is held
            assert tracking.record("view", visitor_id="b" * 32, product_id=product)
        connection = redis_for(app)
        assert connection.llen(tracking.REDIS_KEY) == tracking.PUSH_BATCH  # one RPUSH
        assert tracking.buffered() == tracking.PUSH_BATCH + 1
        other = make_app(REDIS_URL=redis_url)  # another process's worker empties the list
        with other.app_context():
            assert tracking.flush_all() == tracking.PUSH_BATCH
        assert tracking.flush_all() == 1  # this process's held event, sent first
        assert sorted(e.product_id for e in events()) == list(range(tracking.PUSH_BATCH + 1))
        db.session.remove()


def test_with_redis_down_the_page_still_adds_to_the_cart(make_app, db_session, tea):
    app = make_app(REDIS_URL="redis://127.0.0.1:9/0")  # nothing listens there
    client = app.test_client()
    tracking._redis_quiet_until = 0.0
    try:
        response = client.post("/cart/items", data={"variant_id": tea.id, "quantity": 1})
        assert response.status_code in (200, 303)
        with app.app_context():
            assert tracking.push_held() is False  # the batch Redis did not take is dropped
            assert tracking._redis_quiet_until > 0  # and it stops asking Redis for a while
            assert tracking.record("view", visitor_id="c" * 32, product_id=1) is False
    finally:
        tracking._redis_quiet_until = 0.0


def test_the_customers_copy_of_their_data_lists_their_events(db_session):
    customer = make_customer()
    tracking.record("search", customer_id=customer.id, query="Kithul", found=True)
    tracking.flush_all()
    copy = tracking.export_for(customer.id)
    assert copy[0] == {"personalised": True}
    assert (copy[1]["event"], copy[1]["search"], copy[1]["found"]) == ("search", "kithul", True)


def test_the_apps_cart_adds_are_recorded_for_the_customer(client, db_session, tea):
    from tests.api.helpers import bearer, sign_in

    customer = make_customer()
    headers = bearer(sign_in(client, customer.email)["access_token"])
    response = client.post("/api/v1/cart/items", headers=headers,
                           json={"variant_id": tea.id, "quantity": 3})
    assert response.status_code == 201
    tracking.flush_all()
    assert [(e.kind, e.customer_id, e.variant_id, e.quantity) for e in events()] == [
        ("cart_add", customer.id, tea.id, 3)]


def test_with_shopper_events_off_nothing_is_recorded_and_no_visitor_id_given(make_app,
                                                                            db_session, tea):
    app = make_app(SHOPPER_EVENTS=False)
    client = app.test_client()
    response = client.post("/cart/items", data={"variant_id": tea.id, "quantity": 1})
    assert response.status_code in (200, 303)
    assert client.get_cookie(COOKIE) is None
    with app.app_context():
        assert tracking.record("view", visitor_id="d" * 32, product_id=1) is False
        assert tracking.buffered() == 0
