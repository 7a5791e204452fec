"""The layout's kept parts (app/layout_parts.py): the header's links, the language menu, the
search box and the footer, rendered once per language and key and used again by later pages.
A page made with kept parts must be the page made afresh, for every kind of visitor, in every
language, on every kind of page; what differs per request (the CSRF token, the address the
language buttons come back to, the words searched) must be this request's own."""

from __future__ import annotations

import re

import pytest
from markupsafe import escape

from app import memo
from app.content import services as content
from tests.backoffice.conftest import current_code
from tests.catalog.factories import make_category
from tests.checkout.factories import stocked
from tests.factories import PASSWORD, make_customer, make_staff

PAGES = ["/", "/p/ceylon-tea", "/c/tea", "/products?sort=price", "/about", "/contact",
         "/offers", "/plans", "/search?q=tea", "/cart", "/account/login"]


@pytest.fixture()
def kept_app(make_app):
    """Production's keeping (REFERENCE_CACHE_SECONDS) with CSRF on, as in production."""
    app = make_app(REFERENCE_CACHE_SECONDS=300, WTF_CSRF_ENABLED=True)
    yield app
    memo.forget_all(app)


@pytest.fixture()
def fresh_app(make_app):
    """The same app rendering every part afresh for each request."""
    return make_app(REFERENCE_CACHE_SECONDS=0, WTF_CSRF_ENABLED=True)


@pytest.fixture()
def shop(app_ctx):
    make_category("tea")
    stocked("Ceylon tea", units=5, category="tea")


def _same_request_values(html: str) -> str:
    """The page with what is this request's own made alike: tokens and nonces."""
    html = re.sub(r'(name="csrf_token" value=")[^"]+"', r'\1TOKEN"', html)
    html = re.sub(r'("X-CSRFToken": ")[^"]+"', r'\1TOKEN"', html)
    html = re.sub(r'nonce="[^"]+"', 'nonce="NONCE"', html)
    return re.sub(r'("inlineScriptNonce": ")[^"]+"', r'\1NONCE"', html)


def _visitor(app, kind: str, language: str, user=None):
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    if kind == "customer":
        response = client.post("/account/login",
                               data={"email": user.email, "password": PASSWORD,
                                     "csrf_token": _token(client.get("/account/login"))})
        assert response.status_code == 303, response.data[:300]
    elif kind == "staff":
        token = _token(client.get("/staff/login"))
        client.post("/staff/login", data={"email": user.email, "password": PASSWORD,
                                          "csrf_token": token})
        response = client.post("/staff/login/code",
                               data={"code": current_code(user.totp_secret),
                                     "csrf_token": _token(client.get("/staff/login/code"))})
        assert response.status_code == 303, response.data[:300]
    return client


def _token(response) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"',
                     response.get_data(as_text=True)).group(1)


@pytest.mark.parametrize("language", ["en", "si", "ta"])
@pytest.mark.parametrize("kind", ["anonymous", "customer", "staff"])
def test_pages_with_kept_parts_are_the_pages_made_afresh(kept_app, fresh_app, shop, kind,
                                                         language):
    # Staff sign in with a one-time code: one account each (a code is used once).
    make = {"customer": lambda: make_customer(locale=language),
            "staff": lambda: make_staff("admin")}.get(kind, lambda: None)
    customer = make()
    kept = _visitor(kept_app, kind, language, customer)
    fresh = _visitor(fresh_app, kind, language, customer if kind != "staff" else make())
    # Parts kept for other visitors and languages first: none may serve this one.
    others = [_visitor(kept_app, "anonymous", other) for other in ("en", "si", "ta")]
    if kind != "customer":
        others.append(_visitor(kept_app, "customer", "si", make_customer(locale="si")))
    for other in others:
        for path in PAGES:
            other.get(path)
    for path in PAGES:  # each page after the others: its parts come from the earlier ones
        kept_page, fresh_page = kept.get(path), fresh.get(path)

        assert kept_page.status_code == fresh_page.status_code, path
        assert (_same_request_values(kept_page.get_data(as_text=True))
                == _same_request_values(fresh_page.get_data(as_text=True))), path


def test_the_language_buttons_come_back_to_this_page(kept_app, shop):
    client = kept_app.test_client()
    client.get("/c/tea")
    path = '/search?q=tea&sort=price&x=<">'
    html = client.get(path).get_data(as_text=True)

    back = re.findall(r'name="next" value="([^"]*)"', html)
    assert back and set(back) == {str(escape(path))}  # escaped as the template escapes
    switched = client.post("/language", data={"language": "si", "next": "/search?q=tea",
                                              "csrf_token": _token(client.get("/c/tea"))})
    assert switched.headers["Location"].endswith("/search?q=tea")


def test_the_search_box_holds_this_requests_words(kept_app, shop):
    client = kept_app.test_client()
    client.get("/search?q=first")
    html = client.get('/search?q=tea+"<b>').get_data(as_text=True)
    again = client.get("/c/tea").get_data(as_text=True)

    assert 'name="q" value="tea &#34;&lt;b&gt;"' in html
    assert 'name="q" value=""' in again


def test_each_visitor_gets_a_working_token_in_the_kept_forms(kept_app, shop):
    alice, bob = kept_app.test_client(), kept_app.test_client()
    alice_token = _token(alice.get("/p/ceylon-tea"))
    bob_token = _token(bob.get("/p/ceylon-tea"))

    assert alice_token != bob_token
    assert alice.post("/language", data={"language": "ta", "next": "/",
                                         "csrf_token": alice_token}).status_code == 303
    assert bob.post("/language", data={"language": "ta", "next": "/",
                                       "csrf_token": alice_token}).status_code == 400
    assert "தமிழ்" in alice.get("/").get_data(as_text=True)


def test_the_footer_marks_the_page_it_is_on(kept_app, shop):
    client = kept_app.test_client()
    client.get("/about")
    contact = client.get("/contact").get_data(as_text=True)
    home = client.get("/").get_data(as_text=True)

    assert re.search(r'<a href="/contact" aria-current="page">', contact)
    assert 'aria-current="page"' not in home.split('class="site-footer"')[1]


def test_a_staff_save_of_the_details_shows_in_the_footer_at_once(kept_app, shop):
    client = kept_app.test_client()
    client.get("/")
    with kept_app.test_request_context():
        content.save_details({"name": "Perera & Sons", "hotline": "011 765 4321"})

    footer = client.get("/c/tea").get_data(as_text=True).split('class="site-footer"')[1]
    assert 'href="tel:+94117654321"' in footer
