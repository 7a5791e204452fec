"""Personal answers are never cached (`Cache-Control: private, no-store`): every route of the
personal blueprints, on the web and in the API, for anonymous visitors and signed-in
customers, whatever the answer (page, redirect, 404, 422); any page for a signed-in
customer, for a visitor with a cart, or with a flash message, except that the product and
category pages, whose ETag names the visitor, are `private, no-cache` (kept by their own
browser only, and asked about every time). The anonymous catalogue keeps
its cacheable answers, from the page cache too. Run on SQLite and on PostgreSQL (`--db`)."""

from __future__ import annotations

import pytest
from werkzeug.routing import IntegerConverter

from app.accounts import tokens
from app.inventory import services as inventory
from app.personal_pages import PERSONAL_BLUEPRINTS
from tests.catalog.factories import make_category, make_product
from tests.checkout.factories import customer_order, stocked
from tests.factories import make_customer

PRIVATE = "private, no-store"
# The API's answers that are the same for everyone, and say so.
PUBLIC_API = {"api.list_delivery_options", "api.list_categories", "api.list_products",
              "api.get_product", "api.list_promotions"}


def _blueprint(endpoint: str) -> str:
    return endpoint.rsplit(".", 1)[0].split(".")[0] if "." in endpoint else ""


def _requests(app, number: str, *, api: bool):
    """(method, path, endpoint) for every route of the personal blueprints, the web's or the
    API's, with real values where the route takes them (the customer's order)."""
    adapter = app.url_map.bind("localhost")
    found = []
    for rule in app.url_map.iter_rules():
        blueprint = _blueprint(rule.endpoint)
        if blueprint not in PERSONAL_BLUEPRINTS or (blueprint == "api") != api:
            continue
        # An argument a rule takes from its `defaults` (no converter) is not in its path.
        values = {name: 1 if isinstance(rule._converters[name], IntegerConverter)
                  else number for name in rule.arguments if name in rule._converters}
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((method, adapter.build(rule.endpoint, values, method=method),
                          rule.endpoint))
    return found


@pytest.fixture()
def nimal_and_order(db_session):
    nimal = make_customer(email="nimal@example.lk")
    order = customer_order(nimal, (stocked("Ceylon tea"), 1))
    return nimal, order.number


def _walk(client, requests, **kwargs) -> list[tuple[str, str, int, str]]:
    """The requests whose answer is cacheable (or a server error): none, we hope."""
    wrong = []
    for method, path, _endpoint in requests:
        response = client.open(path, method=method, **kwargs)
        header = response.headers.get("Cache-Control", "")
        if header != PRIVATE or response.status_code >= 500:
            wrong.append((method, path, response.status_code, header))
    return wrong


def test_every_personal_web_route_is_private_for_visitors_and_customers(
        app, client, login, nimal_and_order):
    nimal, number = nimal_and_order
    requests = _requests(app, number, api=False)
    paths = {path for _method, path, _endpoint in requests}
    assert {"/cart", "/checkout", "/account", "/account/addresses", "/account/orders",
            f"/account/orders/{number}", f"/orders/{number}", "/order-link", "/support",
            "/payments/payhere/return", "/staff/orders"} <= paths

    anonymous = _walk(client, requests)
    login(nimal)
    signed_in = _walk(client, requests)

    assert anonymous == [] and signed_in == []
    login(nimal)  # the walk signed them out on its way
    page = client.get(f"/account/orders/{number}")  # real content, not only refusals
    assert page.status_code == 200 and page.headers["Cache-Control"] == PRIVATE


def test_every_personal_api_route_is_private(app, client, nimal_and_order):
    nimal, number = nimal_and_order
    requests = _requests(app, number, api=True)
    assert {"/api/v1/me", "/api/v1/me/addresses", "/api/v1/cart", "/api/v1/checkout",
            "/api/v1/orders", f"/api/v1/orders/{number}", "/api/v1/auth/token",
            "/api/v1/auth/refresh", "/api/v1/support/tickets"} <= {p for _m, p, _e in requests}
    personal = [r for r in requests if r[2] not in PUBLIC_API]
    token = tokens.issue(nimal).access_token

    anonymous = _walk(client, personal, json={})
    with_token = _walk(client, personal, json={}, headers={"Authorization": f"Bearer {token}"})

    assert anonymous == [] and with_token == []
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}
                      ).status_code == 200


def test_tokens_handed_out_by_the_api_are_not_cached(client, db_session):
    make_customer(email="kamala@example.lk")

    answer = client.post("/api/v1/auth/token", json={"email": "kamala@example.lk",
                                                    "password": "correct horse battery"})

    assert answer.status_code in (200, 401)
    assert answer.headers["Cache-Control"] == PRIVATE


@pytest.fixture()
def catalogue(db_session):
    make_category("tea")
    product = make_product("Ceylon tea", category="tea")
    inventory.receive(product.variants[0].id, 5)
    return product


def _catalogue_paths(product) -> list[str]:
    return ["/", "/products", "/c/tea", f"/p/{product.slug}", "/search?q=tea"]


# The pages whose ETag names the visitor (app/revalidation.py: who is signed in, the cart
# count, the CSRF secret) may be kept by that visitor's browser and asked about again: still
# private, never in a shared cache, but `no-cache` rather than `no-store`.
REVALIDATED = "private, no-cache"


def _private_header(path: str, response) -> str:
    """What a personal page must say: `private, no-cache` for the revalidated pages when they
    carry their ETag (a product page always does; a listing not while a change is younger
    than the filter counts kept, app/catalog/versions.py), else `private, no-store`."""
    if path.startswith("/p/"):
        assert response.headers.get("ETag", "").startswith('W/"'), path
    if path.startswith(("/products", "/c/", "/p/")) and "ETag" in response.headers:
        return REVALIDATED
    return PRIVATE


@pytest.mark.parametrize("page_cache_seconds", [0, 10])
def test_the_anonymous_catalogue_stays_cacheable(make_app, catalogue, page_cache_seconds):
    app = make_app(PAGE_CACHE_SECONDS=page_cache_seconds)
    client = app.test_client()

    for path in _catalogue_paths(catalogue):
        for visit in ("first", "again"):  # with the page cache on, the second is a hit
            response = client.get(path)
            header = response.headers.get("Cache-Control", "")
            assert response.status_code == 200, (path, visit)
            assert "no-store" not in header and "private" not in header, (path, visit)


def test_the_api_catalogue_stays_public_even_with_a_token(client, catalogue):
    token = tokens.issue(make_customer()).access_token

    for path in ("/api/v1/products", "/api/v1/categories", f"/api/v1/products/{catalogue.slug}"):
        for headers in ({}, {"Authorization": f"Bearer {token}"}):
            response = client.get(path, headers=headers)
            assert response.status_code == 200, path
            assert response.headers["Cache-Control"] == "public, max-age=60", path


def test_any_page_for_a_signed_in_customer_is_private(make_app, catalogue, login):
    app = make_app(PAGE_CACHE_SECONDS=10)
    client = app.test_client()
    login(make_customer(), c=client)

    for path in _catalogue_paths(catalogue):
        page = client.get(path)
        assert page.headers["Cache-Control"] == _private_header(path, page), path
    # Pictures and the app's own files are everyone's, signed in or not.
    static = client.get("/static/css/kade.css")
    assert static.status_code == 200 and "no-store" not in static.headers.get(
        "Cache-Control", "")


def test_a_visitor_with_a_cart_gets_private_catalogue_pages(make_app, catalogue):
    app = make_app(PAGE_CACHE_SECONDS=10)
    client = app.test_client()
    assert "no-store" not in client.get("/products").headers.get("Cache-Control", "")

    client.post("/cart/items", data={"variant_id": catalogue.variants[0].id, "quantity": 1})

    for path in _catalogue_paths(catalogue):  # the header's cart count is theirs
        page = client.get(path)
        assert page.headers["Cache-Control"] == _private_header(path, page), path
        assert 'class="cart-count">1<' in page.get_data(as_text=True), path


def test_a_page_showing_a_flash_message_is_private(client, login, db_session):
    login(make_customer())
    client.post("/account/logout")  # "You are signed out." waits for the next page

    home = client.get("/")

    assert "You are signed out." in home.get_data(as_text=True)
    assert home.headers["Cache-Control"] == PRIVATE
    assert "no-store" not in client.get("/").headers.get("Cache-Control", "")
