"""The page cache (app/page_cache.py) on: storefront pages for visitors not signed in are
kept for PAGE_CACHE_SECONDS, and what is theirs is still theirs on every hit: the CSRF token
(which works), the CSP nonce (matching the header), the cart link, the recently-viewed
strip. Signed-in customers, pages with a message waiting, other hosts and languages, and
errors are never served someone else's page."""

from __future__ import annotations

import re

import pytest

from app import memo, page_cache
from app.catalog import editing, inputs
from tests.catalog.factories import make_product
from tests.checkout.factories import stocked
from tests.factories import PASSWORD
from tests.statements import statements_sent


@pytest.fixture()
def cached_app(make_app):
    app = make_app(PAGE_CACHE_SECONDS=300, WTF_CSRF_ENABLED=True)
    yield app
    page_cache.clear(app)
    memo.forget_all(app)


def _token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _rename(product, name: str) -> None:
    """A staff edit of the name (the slug stays)."""
    editing.update_product(product.id, inputs.ProductDetails(name_en=name, status="published"))


def test_a_second_visit_is_served_from_the_cache_without_a_query(cached_app, app_ctx):
    make_product("Kithul treacle")
    client = cached_app.test_client()
    first = client.get("/p/kithul-treacle")
    with statements_sent(cached_app) as statements:
        second = cached_app.test_client().get("/p/kithul-treacle")

    assert first.status_code == second.status_code == 200
    assert "Kithul treacle" in second.get_data(as_text=True)
    assert statements == []


def test_each_visitor_gets_their_own_working_csrf_token_and_nonce(cached_app, app_ctx):
    variant = stocked("Ceylon tea", units=5)
    alice, bob = cached_app.test_client(), cached_app.test_client()

    page_a = alice.get("/p/ceylon-tea")
    page_b = bob.get("/p/ceylon-tea")  # from the cache

    html_a, html_b = page_a.get_data(as_text=True), page_b.get_data(as_text=True)
    assert page_cache.CSRF_MARK not in html_b and page_cache.NONCE_MARK not in html_b
    assert _token(html_a) != _token(html_b)
    nonce_b = re.search(r"'nonce-([^']+)'", page_b.headers["Content-Security-Policy"]).group(1)
    assert f'nonce="{nonce_b}"' in html_b
    added = bob.post("/cart/items", data={"csrf_token": _token(html_b),
                                          "variant_id": variant.id, "next": "/p/ceylon-tea"})
    assert added.status_code == 303
    forged = bob.post("/cart/items", data={"csrf_token": _token(html_a),
                                           "variant_id": variant.id, "next": "/p/ceylon-tea"})
    assert forged.status_code == 400


def test_the_cart_link_shows_the_visitors_own_cart(cached_app, app_ctx):
    variant = stocked("Ceylon tea", units=5)
    shopper, other = cached_app.test_client(), cached_app.test_client()
    token = _token(shopper.get("/p/ceylon-tea").get_data(as_text=True))
    shopper.post("/cart/items", data={"csrf_token": token, "variant_id": variant.id,
                                      "quantity": 2, "next": "/p/ceylon-tea"})
    shopper.get("/p/ceylon-tea")  # shows the "Added" message: not from the cache

    mine = shopper.get("/p/ceylon-tea").get_data(as_text=True)
    theirs = other.get("/p/ceylon-tea").get_data(as_text=True)

    assert re.search(r'class="cart-count">2<', mine)
    assert "cart-count" not in theirs
    assert 'id="cart-link"' in theirs


def test_a_message_waiting_is_shown_and_the_page_not_kept(cached_app, app_ctx):
    variant = stocked("Ceylon tea", units=5)
    client = cached_app.test_client()
    token = _token(client.get("/p/ceylon-tea").get_data(as_text=True))
    client.post("/cart/items", data={"csrf_token": token, "variant_id": variant.id,
                                     "next": "/p/ceylon-tea"})

    with_message = client.get("/p/ceylon-tea").get_data(as_text=True)
    stranger = cached_app.test_client().get("/p/ceylon-tea").get_data(as_text=True)

    assert "Added to your cart." in with_message
    assert "Added to your cart." not in stranger


def test_signed_in_customers_never_get_a_kept_page(cached_app, app_ctx, customer):
    make_product("Kettle")
    cached_app.test_client().get("/p/kettle")  # kept for visitors
    client = cached_app.test_client()
    token = _token(client.get("/account/login").get_data(as_text=True))
    client.post("/account/login", data={"email": customer.email, "password": PASSWORD,
                                        "csrf_token": token})

    html = client.get("/p/kettle").get_data(as_text=True)

    assert "My account" in html and "Sign in" not in html


def test_pages_are_kept_per_language_and_per_host(cached_app, app_ctx):
    make_product("Kettle", name_ta="கெட்டில்")
    english = cached_app.test_client()
    english.get("/p/kettle")
    tamil = cached_app.test_client()
    token = _token(tamil.get("/").get_data(as_text=True))
    tamil.post("/language", data={"language": "ta", "csrf_token": token})

    assert "கெட்டில்" in tamil.get("/p/kettle").get_data(as_text=True)
    forged = cached_app.test_client().get("/p/kettle", headers={"Host": "evil.example"})
    assert "evil.example" in forged.get_data(as_text=True)  # its own page, not shared
    assert "evil.example" not in english.get("/p/kettle").get_data(as_text=True)


def test_a_kept_page_lasts_its_time_then_shows_the_change(cached_app, app_ctx, monkeypatch):
    product = make_product("Kettle")
    client = cached_app.test_client()
    client.get("/p/kettle")
    _rename(product, "Copper kettle")

    assert "Copper kettle" not in client.get("/p/kettle").get_data(as_text=True)
    later = memo.time.monotonic() + 301
    monkeypatch.setattr(memo.time, "monotonic", lambda: later)
    assert "Copper kettle" in client.get("/p/kettle").get_data(as_text=True)


def test_recently_viewed_is_remembered_on_kept_pages_too(cached_app, app_ctx):
    make_product("Kettle")
    make_product("Cup")
    cached_app.test_client().get("/p/kettle")  # both pages kept by someone else
    cached_app.test_client().get("/p/cup")
    client = cached_app.test_client()

    client.get("/p/kettle")
    page = client.get("/p/cup").get_data(as_text=True)
    strip_url = re.search(r'hx-get="(/recently-viewed\?except=\d+)"', page).group(1)
    strip = client.get(strip_url, headers={"HX-Request": "true"}).get_data(as_text=True)

    assert "Kettle" in strip and "Cup" not in strip


def test_errors_are_not_kept(cached_app, app_ctx):
    client = cached_app.test_client()
    assert client.get("/p/not-yet").status_code == 404
    make_product("Not yet")
    assert client.get("/p/not-yet").status_code == 200


def test_listings_and_search_are_kept_too(cached_app, app_ctx):
    product = make_product("Kettle")
    client = cached_app.test_client()
    client.get("/products")
    client.get("/search?q=kettle")
    _rename(product, "Copper kettle")

    assert "Copper kettle" not in client.get("/products").get_data(as_text=True)
    assert "Copper kettle" not in client.get("/search?q=kettle").get_data(as_text=True)
    assert "Copper kettle" in client.get("/products?sort=name").get_data(as_text=True)


def test_off_by_default_outside_production(make_app):
    assert make_app().config["PAGE_CACHE_SECONDS"] == 0
