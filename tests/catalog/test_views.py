"""The shop's catalog pages as a shopper uses them: browse, filter, sort, page through, open a
product or a service, switch language. Run on SQLite and on PostgreSQL (`--db`)."""

import datetime as dt
import json
import re

import pytest

from app.catalog import booking_slots, editing, inputs, pictures
from app.catalog.demo import picture
from app.catalog.models import ServiceSlot
from app.db import utcnow
from app.inventory import services as inventory
from tests.catalog.factories import make_category, make_product
from tests.catalog.pages import attr, find, text, texts

HTMX = {"HX-Request": "true"}


def names(html: str) -> list[str]:
    return texts(html, cls="product-card-name")


def stocked(product, units: int = 10):
    for variant in product.variants:
        inventory.set_on_hand(variant.id, units)
    return product


def tea_shop():
    """Groceries > Tea, with three teas and a kettle elsewhere."""
    make_category("groceries", name="Groceries")
    make_category("tea", parent="groceries", name="Tea")
    make_category("kitchen", name="Kitchen")
    stocked(make_product("Green tea", price_cents=890_00, category="tea",
                         attributes={"origin": "Kandy"}))
    stocked(make_product("Black tea", price_cents=650_00, category="tea",
                         attributes={"origin": "Nuwara Eliya"}))
    make_product("White tea", price_cents=2400_00, category="tea",
                 attributes={"origin": "Kandy"})  # no stock
    stocked(make_product("Kettle", price_cents=6900_00, category="kitchen"))


# ---- listings -------------------------------------------------------------------------------

def test_category_page_lists_its_products_and_sub_categories(client, db_session):
    tea_shop()

    response = client.get("/c/groceries")

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert text(html, id="catalog-heading") == "Groceries"
    assert sorted(names(html)) == ["Black tea", "Green tea", "White tea"]
    assert "Tea" in texts(html, cls="category-chips")[0]
    assert "3 items" in html


def test_sub_category_page_has_breadcrumbs(client, db_session):
    tea_shop()

    html = client.get("/c/tea").get_data(as_text=True)

    assert texts(html, cls="breadcrumbs")[0].split(" ") == ["Home", "Groceries", "Tea"]
    assert attr(html, "aria-current", tag="a", href="/c/tea") == "page"


def test_all_products_page_lists_everything_published(client, db_session):
    tea_shop()
    make_product("Secret draft", status="draft")

    html = client.get("/products").get_data(as_text=True)

    assert text(html, id="catalog-heading") == "All products"
    assert sorted(names(html)) == ["Black tea", "Green tea", "Kettle", "White tea"]


def test_a_card_shows_price_from_and_stock(client, db_session):
    stocked(make_product("Tea pack", variants=[
        inputs.VariantInput(sku="TP-1", price_cents=650_00, options={"pack": "250 g"}),
        inputs.VariantInput(sku="TP-2", price_cents=1235_00, options={"pack": "500 g"})]),
        units=1)  # one of each pack: two in all
    make_product("Empty jar", price_cents=100_00)

    html = client.get("/products?sort=name").get_data(as_text=True)

    prices = texts(html, cls="product-card-price")
    meta = texts(html, cls="product-card-meta")
    assert prices == ["Rs. 100.00", "From Rs. 650.00"]
    assert meta == ["Sold out", "Only 2 left"]


@pytest.mark.parametrize(("language", "name", "price"), [
    ("en", "Cinnamon sticks", "Rs. 1,250.00"),
    ("si", "කුරුඳු පොතු", "රු.1,250.00"),
    ("ta", "இலவங்கப்பட்டை", "1,250.00"),
])
def test_a_card_speaks_the_pages_language(client, db_session, language, name, price):
    product = stocked(make_product("Cinnamon sticks", price_cents=1250_00,
                                   name_si="කුරුඳු පොතු", name_ta="இலவங்கப்பட்டை"))
    pictures.add_image(product.id, picture("CS", "#804020"))
    client.post("/language", data={"language": language, "next": "/"})

    html = client.get("/products").get_data(as_text=True)

    assert names(html) == [name]
    assert price in texts(html, cls="product-card-price")[0]
    link = attr(html, "href", cls="product-card-link")
    image = attr(html, "src", cls="product-card-image")
    assert link == "/p/cinnamon-sticks"
    assert image.startswith("/media/products/") and image.endswith("-400.webp")


def test_unknown_category_is_the_404_page(client, db_session):
    response = client.get("/c/no-such-thing")

    assert response.status_code == 404
    assert "We could not find that" in response.get_data(as_text=True)


@pytest.mark.parametrize(("query", "expected"), [
    ("min_price=700", ["Green tea", "Kettle", "White tea"]),
    ("max_price=900", ["Black tea", "Green tea"]),
    ("min_price=700&max_price=2,400", ["Green tea", "White tea"]),
    ("min_price=900&max_price=600", ["Black tea", "Green tea"]),  # the boxes swapped
    ("min_price=890.00&max_price=890", ["Green tea"]),
    ("in_stock=1", ["Black tea", "Green tea", "Kettle"]),
    ("attr_origin=Kandy", ["Green tea", "White tea"]),
    ("attr_origin=Kandy&attr_origin=Nuwara+Eliya", ["Black tea", "Green tea", "White tea"]),
    ("attr_origin=Kandy&in_stock=1", ["Green tea"]),
    ("kind=service", []),
    ("kind=product&max_price=1000", ["Black tea", "Green tea"]),
])
def test_filters_narrow_the_listing(client, db_session, query, expected):
    tea_shop()

    html = client.get(f"/products?{query}").get_data(as_text=True)

    assert sorted(names(html)) == expected


def test_the_filter_form_shows_the_choices_back(client, db_session):
    tea_shop()

    html = client.get("/c/tea?min_price=700&in_stock=1&attr_origin=Kandy&sort=price_desc"
                      ).get_data(as_text=True)

    assert attr(html, "value", id="filter-min-price") == "700"
    assert attr(html, "value", id="filter-max-price") == ""
    assert "checked" in find(html, tag="input", name="in_stock")[0]["attrs"]
    kandy = find(html, tag="input", name="attr_origin", value="Kandy")[0]
    assert "checked" in kandy["attrs"]
    selected = find(html, tag="option", value="price_desc")[0]
    assert "selected" in selected["attrs"]
    assert "Filters (3)" in html


def test_services_and_products_can_be_told_apart(client, db_session):
    make_product("Teapot", price_cents=2000_00)
    make_product("Phone repair", price_cents=4500_00, kind="service")

    services = client.get("/products?kind=service").get_data(as_text=True)
    products = client.get("/products?kind=product").get_data(as_text=True)

    assert names(services) == ["Phone repair"]
    assert "Service · 1 h" in texts(services, cls="product-card-meta")[0]
    assert names(products) == ["Teapot"]


@pytest.mark.parametrize(("sort", "expected"), [
    ("newest", ["Kettle", "White tea", "Black tea", "Green tea"]),
    ("price_asc", ["Black tea", "Green tea", "White tea", "Kettle"]),
    ("price_desc", ["Kettle", "White tea", "Green tea", "Black tea"]),
    ("name", ["Black tea", "Green tea", "Kettle", "White tea"]),
])
def test_sorting(client, db_session, sort, expected):
    tea_shop()

    html = client.get(f"/products?sort={sort}").get_data(as_text=True)

    assert names(html) == expected


def test_pagination_works_with_plain_links(client, db_session):
    for n in range(30):
        make_product(f"Item {n:02d}")

    first = client.get("/products?sort=name").get_data(as_text=True)
    second = client.get("/products?sort=name&page=2").get_data(as_text=True)

    assert names(first) == [f"Item {n:02d}" for n in range(24)]
    assert names(second) == [f"Item {n:02d}" for n in range(24, 30)]
    assert attr(first, "href", tag="a", rel="next") == "/products?sort=name&page=2"
    assert not find(first, tag="a", rel="prev")
    assert attr(second, "href", tag="a", rel="prev") == "/products?sort=name"
    assert not find(second, tag="a", rel="next")
    assert "Page 2 of 2" in second


def test_next_page_links_keep_the_filters(client, db_session):
    make_category("tea")
    for n in range(26):
        make_product(f"Tea {n:02d}", category="tea", price_cents=500_00,
                     attributes={"origin": "Kandy"})

    html = client.get("/c/tea?attr_origin=Kandy&max_price=600&sort=name&junk=1"
                      ).get_data(as_text=True)

    assert attr(html, "href", tag="a", rel="next") == (
        "/c/tea?sort=name&max_price=600&attr_origin=Kandy&page=2")
    assert attr(html, "href", tag="link", rel="canonical") == "http://localhost/c/tea"
    sentinel = find(html, cls="grid-sentinel")[0]["attrs"]
    assert sentinel["hx-get"] == "/c/tea?sort=name&max_price=600&attr_origin=Kandy&page=2"
    assert sentinel["hx-trigger"] == "revealed"
    assert sentinel["hx-select"] == "#product-list > li"


def test_a_page_past_the_end_says_so_and_links_back(client, db_session):
    make_product("Only one")

    html = client.get("/products?page=7").get_data(as_text=True)

    assert names(html) == []
    assert "There is nothing on this page." in html
    assert find(html, tag="a", href="/products")


def test_htmx_asks_for_the_next_page_and_gets_only_the_grid(client, db_session):
    for n in range(30):
        make_product(f"Item {n:02d}")

    response = client.get("/products?sort=name&page=2", headers=HTMX)

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="product-grid"')
    assert "<html" not in html and "catalog-filters" not in html
    assert names(html) == [f"Item {n:02d}" for n in range(24, 30)]
    assert "HX-Request" in response.headers["Vary"]


def test_a_boosted_navigation_gets_the_whole_page(client, db_session):
    make_product("Teapot")

    html = client.get("/products", headers={**HTMX, "HX-Boosted": "true"}).get_data(
        as_text=True)

    assert "<html" in html and "catalog-filters" in html


@pytest.mark.parametrize("query", [
    "page=abc", "page=-5", "page=0", "page=99999999999999999999", "page=1.5", "page=٣",
    "min_price=-5", "min_price=abc", "max_price=1e999", "min_price=nan", "max_price=inf",
    "min_price=99999999999999999999", "max_price=0x10", "min_price=1.234", "min_price=",
    "price=1e999", "sort=unknown", "sort=relevance", "sort=", "kind=other",
    "in_stock=maybe", "attr_origin=" + "x" * 5000, "attr_" + "y" * 5000 + "=z",
    "attr_=x", "attr_origin=a%0Ab", "page=2&page=3",
    "min_price=%E0%B7%B4",
    "&".join(f"attr_a{n}=v" for n in range(200)),
])
def test_bad_query_values_give_a_normal_page(client, db_session, query):
    make_category("tea")
    make_product("Green tea", category="tea", price_cents=890_00)

    for path in ("/products", "/c/tea"):
        response = client.get(f"{path}?{query}")

        assert response.status_code == 200, (path, query)
        assert text(response.get_data(as_text=True), id="catalog-heading")


def test_a_huge_maximum_price_still_finds_products(client, db_session):
    make_product("Green tea", price_cents=890_00)

    html = client.get("/products?max_price=99999999999").get_data(as_text=True)

    assert names(html) == ["Green tea"]


# ---- product and service pages ----------------------------------------------------------------

def tea_with_packs():
    make_category("groceries", name="Groceries")
    make_category("tea", parent="groceries", name="Tea")
    return editing.create_product(inputs.ProductInput(
        name_en="Ceylon tea", category_slug="tea", status="published",
        description_en="Ceylon tea from the hills.\nPicked by hand.", variants=[
        inputs.VariantInput(sku="CT-1", price_cents=650_00, options={"pack": "250 g"},
                            compare_at_cents=800_00),
        inputs.VariantInput(sku="CT-2", price_cents=1235_00, options={"pack": "500 g"}),
        inputs.VariantInput(sku="CT-3", price_cents=2340_00, options={"pack": "1 kg"})]))


def test_product_page_shows_name_price_variants_and_breadcrumbs(client, db_session):
    product = tea_with_packs()
    inventory.set_on_hand(product.variants[0].id, 20)

    response = client.get("/p/ceylon-tea")

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert text(html, cls="product-name") == "Ceylon tea"
    assert text(html, cls="product-price") == "Rs. 650.00 Was Rs. 800.00"
    assert text(html, id="product-availability") == "In stock"
    assert texts(html, cls="breadcrumbs")[0].split(" ") == ["Home", "Groceries", "Tea",
                                                             "Ceylon", "tea"]
    options = texts(html, cls="variant-option")
    assert options == ["250 g Rs. 650.00", "500 g Rs. 1,235.00 · Sold out",
                       "1 kg Rs. 2,340.00 · Sold out"]
    assert "Pack" in text(html, tag="legend")
    assert text(html, cls="add-button") == "Add to cart"


def test_choosing_a_variant_without_javascript(client, db_session):
    product = tea_with_packs()
    big = product.variants[2]
    inventory.set_on_hand(big.id, 3)

    html = client.get(f"/p/ceylon-tea?variant={big.id}").get_data(as_text=True)

    assert text(html, cls="product-price") == "Rs. 2,340.00"
    assert text(html, id="product-availability") == "Only 3 left"
    assert "checked" in find(html, tag="input", id=f"variant-{big.id}")[0]["attrs"]
    form = find(html, tag="form", cls="variant-picker")[0]["attrs"]
    assert (form["method"], form["action"]) == ("get", "/p/ceylon-tea")
    assert find(html, tag="button", type="submit", cls="secondary")  # the no-JS button


def test_choosing_a_variant_with_htmx_swaps_only_the_detail(client, db_session):
    product = tea_with_packs()
    middle = product.variants[1]

    response = client.get(f"/p/ceylon-tea?variant={middle.id}", headers=HTMX)

    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<div id="product-detail"')
    assert "<html" not in html and "Recently viewed" not in html
    assert text(html, cls="product-price") == "Rs. 1,235.00"
    assert text(html, id="product-availability") == "Sold out"
    form = find(html, tag="form", cls="variant-picker")[0]["attrs"]
    assert form["hx-target"] == "#product-detail" and form["hx-trigger"] == "change"


@pytest.mark.parametrize("variant", ["abc", "-1", "999999", "1" * 50, ""])
def test_an_unknown_variant_shows_the_first(client, db_session, variant):
    tea_with_packs()

    response = client.get(f"/p/ceylon-tea?variant={variant}")

    assert response.status_code == 200
    assert text(response.get_data(as_text=True), cls="product-price").startswith("Rs. 650.00")


def test_another_products_variant_is_not_shown(client, db_session):
    tea_with_packs()
    other = make_product("Kettle", price_cents=6900_00)

    html = client.get(f"/p/ceylon-tea?variant={other.variants[0].id}").get_data(as_text=True)

    assert text(html, cls="product-price").startswith("Rs. 650.00")


@pytest.mark.parametrize(("units", "label"), [(0, "Sold out"), (1, "Only 1 left"),
                                              (5, "Only 5 left"), (6, "In stock")])
def test_availability(client, db_session, units, label):
    product = make_product("Kettle")
    inventory.set_on_hand(product.variants[0].id, units)

    html = client.get("/p/kettle").get_data(as_text=True)

    assert text(html, id="product-availability") == label
    assert not find(html, cls="variant-picker")  # one variant: nothing to choose


@pytest.mark.parametrize("slug", ["no-such-thing", "draft-thing", "x" * 5000,
                                  "%E0%B7%B4", "..%2F..%2Fetc"])
def test_missing_or_unpublished_product_or_category_is_404(client, db_session, slug):
    make_product("Draft thing", status="draft")

    assert client.get(f"/p/{slug}").status_code == 404
    assert client.get(f"/c/{slug}").status_code == 404


# These were a normal page (or a 404) with the NUL dropped; every route now refuses control
# characters in the path and the query alike, with a page saying so (app/request_guard.py).
@pytest.mark.parametrize("url", ["/products?attr_origin=%00", "/c/tea?attr_origin%00=x",
                                 "/p/ceylon-tea?variant=%00", "/p/a%00b", "/c/a%00b"])
def test_a_nul_in_the_address_is_refused_with_a_400(client, db_session, url):
    tea_with_packs()

    response = client.get(url)

    assert response.status_code == 400
    assert "invisible control characters" in response.get_data(as_text=True)


def test_service_page_shows_duration_and_next_free_times(client, db_session):
    service = make_product("Phone repair", kind="service", price_cents=4500_00)
    soon = utcnow().replace(microsecond=0) + dt.timedelta(days=1)
    booking_slots.add_slot(service.id, soon.replace(hour=3, minute=30), capacity=2)  # 09:00 Colombo
    db_session.add(ServiceSlot(product_id=service.id, starts_at=soon - dt.timedelta(days=2),
                               ends_at=soon - dt.timedelta(days=2, hours=-1)))  # past
    db_session.commit()

    html = client.get("/p/phone-repair").get_data(as_text=True)

    assert text(html, cls="product-price") == "Rs. 4,500.00"
    assert text(html, cls="product-duration") == "Duration: 1 h"
    slots = texts(html, cls="slot-list")[0]
    assert "09:00" in slots and "2 places free" in slots
    assert slots.count("·") == 1
    assert not find(html, id="product-availability")
    assert not find(html, cls="variant-picker")
    assert text(html, cls="add-button") == "Add to cart"


def test_service_without_free_times_says_so(client, db_session):
    make_product("Cooking class", kind="service")

    html = client.get("/p/cooking-class").get_data(as_text=True)

    assert "No free times in the coming days" in html


def test_product_page_has_pictures_meta_tags_and_json_ld(client, db_session):
    product = tea_with_packs()
    inventory.set_on_hand(product.variants[0].id, 4)
    key = pictures.add_image(product.id, picture("Ceylon tea", "#123456"), alt="Ceylon tea").key

    response = client.get("/p/ceylon-tea")

    html = response.get_data(as_text=True)
    shown = find(html, tag="img", cls="product-image")[0]["attrs"]
    assert shown["src"] == f"/media/{key}" and shown["alt"] == "Ceylon tea"
    assert client.get(shown["src"]).status_code == 200
    assert attr(html, "href", tag="link", rel="canonical") == "http://localhost/p/ceylon-tea"
    assert attr(html, "content", tag="meta", property="og:title") == "Ceylon tea"
    assert attr(html, "content", tag="meta", property="og:image").startswith(
        "http://localhost/media/products/")
    assert attr(html, "content", tag="meta", name="description") == (
        "Ceylon tea from the hills. Picked by hand.")
    ld = json.loads(text(html, tag="script", type="application/ld+json"))
    assert ld["@type"] == "Product" and ld["name"] == "Ceylon tea"
    assert ld["offers"][0] == {"@type": "Offer", "sku": "CT-1", "priceCurrency": "LKR",
                               "price": "650.00", "url": "http://localhost/p/ceylon-tea",
                               "availability": "https://schema.org/InStock"}
    assert ld["offers"][1]["availability"] == "https://schema.org/OutOfStock"
    nonce = response.headers["Content-Security-Policy"].split("'nonce-")[1].split("'")[0]
    assert attr(html, "nonce", tag="script", type="application/ld+json") == nonce


MARKUP = '<script>alert("x")</script><b>bold</b> & </script><!--'


def test_markup_in_names_and_descriptions_is_shown_as_text(client, db_session):
    editing.create_product(inputs.ProductInput(
        name_en=MARKUP, slug="markup", description_en=MARKUP, status="published",
        variants=[inputs.VariantInput(sku="M-1", price_cents=100_00)]))

    listing = client.get("/products").get_data(as_text=True)
    page = client.get("/p/markup").get_data(as_text=True)

    for html in (listing, page):
        assert "<b>bold</b>" not in html
        assert '<script>alert("x")</script>' not in html
        assert "&lt;b&gt;bold&lt;/b&gt;" in html
    assert names(listing) == [MARKUP]
    assert text(page, cls="product-name") == MARKUP
    assert text(page, cls="product-description") == MARKUP
    ld_block = re.search(r'<script type="application/ld\+json"[^>]*>(.*?)</script>', page,
                         re.S).group(1)
    assert "<" not in ld_block  # nothing in the JSON can close the script element
    assert json.loads(ld_block)["name"] == MARKUP


# ---- language ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("language", "name", "category"), [
    ("ta", "தேயிலை", "தேநீர்"),
    ("si", "තේ කොළ", "තේ"),
])
def test_names_follow_the_chosen_language(client, db_session, language, name, category):
    editing.create_category("tea", "Tea", name_si="තේ", name_ta="தேநீர்")
    make_product("Tea leaves", category="tea", name_si="තේ කොළ", name_ta="தேயிலை")
    make_product("Kettle")  # no translation: English

    client.post("/language", data={"language": language, "next": "/c/tea"})
    listing = client.get("/products?sort=name").get_data(as_text=True)
    page = client.get("/p/tea-leaves").get_data(as_text=True)
    category_page = client.get("/c/tea").get_data(as_text=True)

    assert names(listing) == ["Kettle", name]
    assert text(page, cls="product-name") == name
    assert f'lang="{language}"' in page
    assert text(category_page, id="catalog-heading") == category


def test_english_description_is_the_fallback(client, db_session):
    editing.create_product(inputs.ProductInput(
        name_en="Kettle", name_ta="கெட்டில்", description_en="Boils water fast.",
        status="published", variants=[inputs.VariantInput(sku="K-1", price_cents=100_00)]))

    client.post("/language", data={"language": "ta"})
    html = client.get("/p/kettle").get_data(as_text=True)

    assert text(html, cls="product-name") == "கெட்டில்"
    assert text(html, cls="product-description") == "Boils water fast."


# ---- recently viewed ----------------------------------------------------------------------------

def viewed(client, path: str) -> str:
    """Open a product page, then fetch its recently-viewed strip as htmx does once the page
    has loaded (the page itself is the same for everyone; the strip is the visitor's)."""
    page = client.get(path).get_data(as_text=True)
    found = re.search(r'hx-get="(/recently-viewed\?except=\d+)" hx-trigger="load"', page)
    assert found, "the product page has no recently-viewed placeholder"
    return client.get(found.group(1), headers={"HX-Request": "true"}).get_data(as_text=True)


def test_recently_viewed_lists_the_others_newest_first(client, db_session):
    for n in range(10):
        make_product(f"Thing {n}")

    for n in range(10):
        client.get(f"/p/thing-{n}")
    html = viewed(client, "/p/thing-9")
    again = viewed(client, "/p/thing-3")

    strip = find(html, cls="recently-viewed")
    assert strip
    recent = texts(html.split('class="recently-viewed"')[1], cls="product-card-name")
    assert recent == [f"Thing {n}" for n in (8, 7, 6, 5, 4, 3, 2, 1)]
    recent_again = texts(again.split('class="recently-viewed"')[1], cls="product-card-name")
    assert recent_again == [f"Thing {n}" for n in (9, 8, 7, 6, 5, 4, 2, 1)]


def test_seeing_the_newest_product_again_leaves_the_session_cookie_alone(client, db_session):
    make_product("Kettle")
    make_product("Teapot")
    first = client.get("/p/kettle")
    other = client.get("/p/teapot")
    again = client.get("/p/teapot")

    def sets_session(response) -> bool:
        return any(h.startswith("session=") for h in response.headers.getlist("Set-Cookie"))

    assert sets_session(first) and sets_session(other)  # the list changed
    assert not sets_session(again)  # the same list: nothing to send back


def test_the_first_product_seen_has_no_recently_viewed_strip(client, db_session):
    make_product("Kettle")

    html = viewed(client, "/p/kettle")

    assert "Recently viewed" not in html


def test_a_product_unpublished_since_drops_out_of_recently_viewed(client, db_session):
    gone = make_product("Gone")
    make_product("Stays")
    client.get("/p/gone")
    editing.set_status([gone.id], "archived")

    html = viewed(client, "/p/stays")

    assert "Recently viewed" not in html


# ---- home ---------------------------------------------------------------------------------------

def test_home_shows_categories_featured_and_new_arrivals(client, db_session):
    make_category("groceries", name="Groceries")
    make_category("tea", parent="groceries", name="Tea")
    editing.create_product(inputs.ProductInput(
        name_en="Star kettle", is_featured=True, status="published",
        variants=[inputs.VariantInput(sku="SK-1", price_cents=100_00)]))
    make_product("Plain cup")

    html = client.get("/").get_data(as_text=True)

    assert "Everything for your home" in html
    assert texts(html, cls="category-tiles") == ["Groceries"]  # top level only
    featured = html.split('id="featured-heading"')[1].split("</section>")[0]
    newest = html.split('id="new-heading"')[1].split("</section>")[0]
    assert names(featured) == ["Star kettle"]
    assert names(newest) == ["Plain cup", "Star kettle"]
    assert find(html, tag="a", href="/products")


def test_home_without_a_catalog_still_welcomes(client, db_session):
    html = client.get("/").get_data(as_text=True)

    assert "Everything for your home" in html
    assert "New arrivals" not in html


def test_the_header_links_to_the_shop(client, db_session):
    html = client.get("/account/login").get_data(as_text=True)

    assert find(html, tag="a", href="/products")
