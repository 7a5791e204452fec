"""Conditional requests (app/revalidation.py): a phone revisiting a product or category page
sends the ETag it kept and gets a 304, with no page rendered, while nothing it would see has
changed; and the page again, with a new ETag, as soon as anything has: a staff edit, a
price, the stock shown, a picture, a promotion, the delivery promise, the language, the cart
count, who is signed in, the deploy. Never a 304 over a flash message waiting, never a new
CSP nonce in a 304."""

from __future__ import annotations

import contextlib
import datetime as dt
import re

import pytest
from flask import template_rendered

from app import memo, page_cache
from app.catalog import booking_slots, editing, imports, inputs, pictures, versions
from app.catalog.demo import picture
from app.content import services as content_services
from app.db import session, transaction, utcnow
from app.inventory import services as inventory
from app.payments import settings as payment_settings
from app.promotions import badges
from app.promotions.models import Promotion
from tests.catalog.factories import make_category, make_product
from tests.checkout.factories import place_guest_order, starter_delivery, stocked
from tests.promotions.factories import make_promotion
from tests.statements import statements_sent


@pytest.fixture()
def rendered(app):
    """The templates rendered while the block runs."""

    @contextlib.contextmanager
    def recording(the_app=app):
        names: list[str] = []

        def record(_sender, template, context, **_extra):
            names.append(template.name)

        template_rendered.connect(record, the_app)
        try:
            yield names
        finally:
            template_rendered.disconnect(record, the_app)

    return recording


def revisit(client, url: str, kept, **headers):
    """The browser asks again about the page it kept."""
    return client.get(url, headers={"If-None-Match": kept.headers["ETag"], **headers})


def _stock_setup():
    starter_delivery()  # the delivery promise a product page states, there from the start
    return stocked("Ceylon tea", units=50, category=None)


# ---- a revisit ---------------------------------------------------------------------------------

def test_a_product_page_revisited_unchanged_gets_a_304_without_rendering(
        client, app, db_session, rendered):
    variant = _stock_setup()
    url = f"/p/{variant.product.slug}"
    first = client.get(url)
    assert first.status_code == 200
    assert re.fullmatch(r'W/"[0-9a-f]{32}"', first.headers["ETag"])
    assert first.headers["Cache-Control"] == "no-cache"

    session.remove()
    with statements_sent(app) as page_statements:
        client.get(url)
    session.remove()
    with rendered() as templates, statements_sent(app) as statements:
        again = revisit(client, url, first)

    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == first.headers["ETag"]
    assert again.headers["Cache-Control"] == "no-cache"
    assert {"HX-Request", "Accept-Encoding"} <= set(again.vary)
    assert templates == []
    # Here (PAGE_CACHE_SECONDS, PROMOTIONS_CACHE_SECONDS, REFERENCE_CACHE_SECONDS 0) the
    # facts every page shares are read from the database too (the category tree, promotions,
    # shop details, the delivery promise's options and cash-on-delivery limits); in
    # production memory keeps them, and a 304 costs the one query of the product's version.
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    # The page's own first: the product with its variants and their units, one statement.
    assert selects[0].lstrip().startswith("SELECT catalog_product.id, catalog_product.slug")
    assert "JOIN catalog_variant" in selects[0]
    assert not any(s.lstrip().startswith("SELECT catalog_variant.id") for s in selects)
    assert len(selects) <= 6
    assert len(statements) < len(page_statements)


@pytest.mark.parametrize("url", ["/products", "/c/groceries", "/c/tea"])
def test_a_listing_revisited_unchanged_gets_a_304_without_rendering(
        client, db_session, rendered, url):
    make_category("groceries")
    make_category("tea", parent="groceries")
    stocked("Ceylon tea", units=3, category="tea")
    first = client.get(url)
    assert first.status_code == 200 and "ETag" in first.headers

    with rendered() as templates:
        again = revisit(client, url, first)

    assert again.status_code == 304 and templates == []


def test_the_304_carries_no_new_csp_nonce(client, db_session):
    variant = _stock_setup()
    url = f"/p/{variant.product.slug}"
    first = client.get(url)
    nonce = re.search(r"'nonce-([^']+)'", first.headers["Content-Security-Policy"]).group(1)
    assert f'nonce="{nonce}"' in first.text

    again = revisit(client, url, first)

    assert again.status_code == 304
    assert "Content-Security-Policy" not in again.headers  # the kept page's policy stays
    assert again.headers["X-Content-Type-Options"] == "nosniff"


def test_a_compressed_page_is_revalidated_by_its_compressed_etag(client, db_session):
    variant = _stock_setup()
    url = f"/p/{variant.product.slug}"
    first = client.get(url, headers={"Accept-Encoding": "br"})
    assert first.headers["Content-Encoding"] == "br"
    assert first.headers["ETag"].endswith('-br"')

    again = revisit(client, url, first, **{"Accept-Encoding": "br"})

    assert again.status_code == 304
    assert again.headers["ETag"] == first.headers["ETag"]


def test_head_answers_as_get_does(client, db_session):
    variant = _stock_setup()
    url = f"/p/{variant.product.slug}"
    head = client.head(url)
    assert head.status_code == 200 and head.data == b"" and "ETag" in head.headers

    assert revisit(client, url, client.get(url)).status_code == 304
    again = client.head(url, headers={"If-None-Match": head.headers["ETag"]})
    assert again.status_code == 304


def test_an_unknown_etag_or_product_gets_the_page(client, db_session):
    variant = _stock_setup()
    url = f"/p/{variant.product.slug}"

    assert client.get(url, headers={"If-None-Match": 'W/"nothing-like-it"'}).status_code == 200
    missing = client.get("/p/no-such-thing", headers={"If-None-Match": "*"})
    assert missing.status_code == 404 and "ETag" not in missing.headers


def test_a_page_with_a_flash_waiting_has_no_etag_and_no_304(client, db_session):
    variant = _stock_setup()
    url = f"/p/{variant.product.slug}"
    first = client.get(url)
    with client.session_transaction() as kept:
        kept["_flashes"] = [("info", "Your parcel is on its way.")]

    shown = revisit(client, url, first)

    assert shown.status_code == 200
    assert "Your parcel is on its way." in shown.text
    assert "ETag" not in shown.headers
    assert shown.headers["Cache-Control"] == "private, no-store"
    assert revisit(client, url, first).status_code == 304  # shown once; the page is as it was


def test_the_token_of_a_page_kept_through_a_304_still_works(make_app, db_session):
    app = make_app(WTF_CSRF_ENABLED=True)
    variant = _stock_setup()
    url = f"/p/{variant.product.slug}"
    client = app.test_client()
    first = client.get(url)
    token = re.search(r'name="csrf_token" value="([^"]+)"', first.text).group(1)
    secret = client.get_cookie("session")

    assert revisit(client, url, first).status_code == 304
    added = client.post("/cart/items", data={"csrf_token": token, "variant_id": variant.id,
                                             "next": url})
    assert added.status_code == 303
    assert secret is not None and secret.value not in first.headers["ETag"]


# ---- what changes the ETag ---------------------------------------------------------------------

def _rename(v):
    editing.update_product(v.product_id, inputs.ProductDetails(
        name_en="Ceylon black tea", status="published"))


def _reprice(v):
    editing.update_variant(v.id, inputs.VariantInput(sku=v.sku, price_cents=999_00))


def _receive(v):
    inventory.receive(v.id, 1)  # 50 -> 51: the quantity box's maximum follows it


def _order(v):
    place_guest_order((v, 2))


def _picture(v):
    pictures.add_image(v.product_id, picture("Tea", "#336633"))


def _attributes(v):
    editing.set_attributes(v.product_id, [("origin", "Nuwara Eliya")])


def _promotion(_v):
    make_promotion("Tea week", percent=15)


def _cash_on_delivery_limit(_v):
    payment_settings.save_cod_limits(1_000_00, None)


def _shop_details(_v):
    content_services.save_details({"name": "Kade Lanka", "hotline": "0112345678"})


def _category_renamed(v):
    make_category("drinks")
    editing.update_product(v.product_id, inputs.ProductDetails(
        name_en="Ceylon tea", status="published", category_slug="drinks"))


CHANGES = [_rename, _reprice, _receive, _order, _picture, _attributes, _promotion,
           _cash_on_delivery_limit, _shop_details, _category_renamed]


@pytest.mark.parametrize("change", CHANGES, ids=lambda f: f.__name__.strip("_"))
def test_each_change_a_shopper_would_see_gives_the_product_page_a_new_etag(
        client, db_session, change):
    variant = _stock_setup()
    url = f"/p/{variant.product.slug}"
    first = client.get(url)
    assert revisit(client, url, first).status_code == 304

    change(variant)
    again = revisit(client, url, first)

    assert again.status_code == 200
    assert again.headers["ETag"] != first.headers["ETag"]
    assert revisit(client, url, again).status_code == 304


def test_an_import_changes_the_pages_of_the_products_it_touches(client, db_session,
                                                               monkeypatch):
    monkeypatch.setattr(imports, "enqueue", lambda *_args: None)  # run below, here
    variant = _stock_setup()
    url = f"/p/{variant.product.slug}"
    first = client.get(url)
    listing = client.get("/products")

    record = imports.start_import("prices.csv", (
        "product_slug,status,name_en,sku,price\n"
        f"{variant.product.slug},published,Ceylon tea,{variant.sku},\"1,400.00\"\n").encode(),
        actor=None)
    imports.run_import(record.id)

    again = revisit(client, url, first)
    assert again.status_code == 200 and "1,400.00" in again.text
    assert revisit(client, "/products", listing).status_code == 200


def test_a_promotion_that_starts_later_changes_the_etag_when_it_starts(app, db_session):
    start = utcnow() + dt.timedelta(hours=1)
    make_promotion("Evening offer", percent=20, starts_at=start)

    with app.test_request_context("/"):
        before = badges.version(start - dt.timedelta(minutes=1))
    with app.test_request_context("/"):
        running = badges.version(start + dt.timedelta(minutes=1))

    assert before == () and running != before


def test_orders_using_a_promotion_leave_other_pages_alone(client, db_session):
    """A promotion counts its uses and the discount it gave: no badge shows those."""
    variant = _stock_setup()
    other = stocked("Kithul treacle", units=20)
    promotion = make_promotion("Tea week", percent=15)
    url = f"/p/{variant.product.slug}"
    first = client.get(url)

    place_guest_order((other, 1))
    assert db_session.get(Promotion, promotion.id).uses_count == 1

    assert revisit(client, url, first).status_code == 304


def test_a_category_renamed_changes_its_products_pages(client, db_session):
    make_category("tea")
    product = make_product("Ceylon tea", category="tea")
    url = f"/p/{product.slug}"
    first = client.get(url)

    editing.save_category(inputs.CategoryInput(slug="tea", name_en="Teas of Lanka"),
                          category_id=product.category_id)
    again = revisit(client, url, first)

    assert again.status_code == 200 and "Teas of Lanka" in again.text


def test_a_service_page_follows_its_free_places(client, db_session):
    service = make_product("AC service visit", kind="service")
    slot = booking_slots.add_slot(service.id, utcnow() + dt.timedelta(days=1), capacity=2)
    url = f"/p/{service.slug}"
    first = client.get(url)
    assert "2 places free" in first.text

    with transaction():
        assert booking_slots.book(slot.id)  # as checkout books a place
    again = revisit(client, url, first)

    assert again.status_code == 200 and "1 place free" in again.text


def test_the_language_fragment_and_deploy_each_have_their_own_etag(make_app, client,
                                                                   db_session):
    variant = _stock_setup()
    url = f"/p/{variant.product.slug}"
    english = client.get(url)
    fragment = client.get(url, headers={"HX-Request": "true"})
    assert "<html" not in fragment.text
    assert fragment.headers["ETag"] != english.headers["ETag"]
    assert revisit(client, url, fragment, **{"HX-Request": "true"}).status_code == 304
    assert revisit(client, url, english, **{"HX-Request": "true"}).status_code == 200

    client.post("/language", data={"language": "si", "next": url})
    sinhala = revisit(client, url, english)
    assert sinhala.status_code == 200 and 'lang="si"' in sinhala.text

    other_deploy = make_app()
    other_deploy.extensions["kade_deploy_version"] = "another-deploy"
    assert revisit(other_deploy.test_client(), url, english).status_code == 200


def test_another_process_of_the_same_deploy_gives_the_same_etag(make_app, client,
                                                                db_session):
    variant = _stock_setup()
    url = f"/p/{variant.product.slug}"
    make_promotion("Tea week", percent=15, districts=["galle", "colombo", "kandy"])
    first = client.get(url)

    other = make_app().test_client()
    other.set_cookie("session", client.get_cookie("session").value)

    assert revisit(other, url, first).status_code == 304


def test_the_cart_count_and_signing_in_change_the_etag(client, db_session, customer, login):
    variant = _stock_setup()
    url = f"/p/{variant.product.slug}"
    first = client.get(url)

    client.post("/cart/items", data={"variant_id": variant.id, "next": url})
    client.get("/cart")  # the "Added" message shown there
    with_cart = revisit(client, url, first)
    assert with_cart.status_code == 200
    assert 'class="cart-count">1<' in with_cart.text
    # A guest with a cart: their own page, kept by their own browser only.
    assert with_cart.headers["Cache-Control"] == "private, no-cache"
    assert revisit(client, url, with_cart).status_code == 304

    login(customer)
    client.get("/")  # the merged cart's message, if any
    signed_in = revisit(client, url, with_cart)
    assert signed_in.status_code == 200 and "Sign out" in signed_in.text
    assert signed_in.headers["Cache-Control"] == "private, no-cache"
    assert revisit(client, url, signed_in).status_code == 304


def test_signing_in_alone_changes_the_etag(client, db_session, customer, login):
    variant = _stock_setup()
    url = f"/p/{variant.product.slug}"
    anonymous = client.get(url)
    with client.session_transaction() as kept:
        secret = kept["csrf_token"]

    login(customer)
    with client.session_transaction() as kept:
        kept["csrf_token"] = secret  # the same CSRF secret and cart count (0): only who
    signed_in = revisit(client, url, anonymous)

    assert signed_in.status_code == 200 and "Sign out" in signed_in.text


def test_a_page_made_for_another_visitor_is_sent_again(app, client, db_session):
    """As a shared cache would ask for a visitor with the ETag of another's page: the page
    holds the other's CSRF token, which this visitor cannot use."""
    variant = _stock_setup()
    url = f"/p/{variant.product.slug}"
    theirs = client.get(url)
    mine = app.test_client()
    mine.get("/products")  # a session of my own

    again = revisit(mine, url, theirs)

    assert again.status_code == 200 and again.headers["ETag"] != theirs.headers["ETag"]


def test_a_signed_in_customer_revisiting_a_listing_gets_a_304(client, db_session, customer,
                                                             login):
    make_category("tea")
    make_product("Ceylon tea", category="tea")
    login(customer)
    client.get("/")
    first = client.get("/c/tea")
    assert first.headers["Cache-Control"] == "private, no-cache"

    again = revisit(client, "/c/tea", first)

    assert again.status_code == 304 and again.headers["Cache-Control"] == "private, no-cache"


def test_personal_pages_stay_unstored(client, db_session, customer, login):
    _stock_setup()
    login(customer)
    client.get("/")

    cart = client.get("/cart")
    assert cart.headers["Cache-Control"] == "private, no-store" and "ETag" not in cart.headers


# ---- listings -----------------------------------------------------------------------------------

def test_a_listing_follows_its_products_and_the_stock_a_card_shows(client, db_session):
    make_category("groceries")
    make_category("tea", parent="groceries")
    variant = stocked("Ceylon tea", units=50, category="tea")
    url = "/c/groceries"
    first = client.get(url)

    inventory.adjust(variant.id, -1, reason="count")  # 49 left: no card says so
    assert revisit(client, url, first).status_code == 304

    inventory.adjust(variant.id, -45, reason="count")  # 4 left: "Only 4 left"
    low = revisit(client, url, first)
    assert low.status_code == 200 and "Only 4 left" in low.text

    editing.update_variant(variant.id, inputs.VariantInput(sku=variant.sku,
                                                           price_cents=1_500_00))
    repriced = revisit(client, url, low)
    assert repriced.status_code == 200 and "1,500.00" in repriced.text


def test_a_product_moved_out_of_a_category_changes_its_listing(client, db_session):
    make_category("tea")
    make_category("spices")
    moved = make_product("Cinnamon", category="tea")
    make_product("Ceylon tea", category="tea")
    url = "/c/tea"
    first = client.get(url)

    editing.update_product(moved.id, inputs.ProductDetails(
        name_en="Cinnamon", status="published", category_slug="spices"))
    again = revisit(client, url, first)

    assert again.status_code == 200 and "Cinnamon" not in again.text


def test_a_listing_is_not_tagged_while_the_kept_filter_counts_may_lag(make_app, db_session):
    app = make_app(PAGE_CACHE_SECONDS=10)
    make_category("tea")
    make_product("Ceylon tea", category="tea")
    with app.app_context():
        now = utcnow()
        assert versions.listing_version("tea", now=now) is None  # changed just now
        later = now + dt.timedelta(seconds=13)
        assert versions.listing_version("tea", now=later) is not None
        assert versions.listing_version("tea", now=later) == versions.listing_version(
            "tea", now=later + dt.timedelta(days=1))


# ---- with the page cache ---------------------------------------------------------------------

@pytest.fixture()
def cached_app(make_app):
    app = make_app(PAGE_CACHE_SECONDS=300)
    yield app
    page_cache.clear(app)
    memo.forget_all(app)


def test_a_kept_page_answers_304_from_the_cache_without_a_query(cached_app, db_session,
                                                                rendered):
    variant = _stock_setup()
    url = f"/p/{variant.product.slug}"
    client = cached_app.test_client()
    first = client.get(url)
    other = cached_app.test_client().get(url)  # from the cache, with its own ETag
    assert other.headers["ETag"] != first.headers["ETag"]  # another visitor's token

    session.remove()
    with rendered(cached_app) as templates, statements_sent(cached_app) as statements:
        again = revisit(client, url, first)

    assert again.status_code == 304 and templates == [] and statements == []


def test_a_kept_page_keeps_the_etag_of_what_it_shows(cached_app, db_session):
    variant = _stock_setup()
    url = f"/p/{variant.product.slug}"
    client = cached_app.test_client()
    first = client.get(url)

    editing.update_product(variant.product_id, inputs.ProductDetails(
        name_en="Ceylon black tea", status="published"))
    kept = revisit(client, url, first)
    assert kept.status_code == 304  # the cache's few seconds: the page as it was kept

    page_cache.clear(cached_app)  # those seconds are over
    memo.forget_all(cached_app)
    fresh = revisit(client, url, first)
    assert fresh.status_code == 200 and "Ceylon black tea" in fresh.text
    assert revisit(client, url, fresh).status_code == 304


def test_with_the_cache_expired_an_unchanged_page_is_not_rendered(cached_app, db_session,
                                                                 rendered):
    variant = _stock_setup()
    url = f"/p/{variant.product.slug}"
    client = cached_app.test_client()
    first = client.get(url)
    page_cache.clear(cached_app)

    with rendered(cached_app) as templates:
        again = revisit(client, url, first)

    assert again.status_code == 304 and templates == []
