"""The catalogue through the API: categories, product lists with filters, sorting, search and
pages, and one product's detail, as the mobile app sees them."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from PIL import Image

from app.catalog import booking_slots, editing, inputs, pictures
from app.catalog.models import Category, ProductImage, ServiceSlot
from app.db import utcnow
from app.inventory import services as inventory
from tests.api.helpers import assert_problem, error_fields
from tests.catalog.factories import make_category, make_product
from tests.statements import statements_sent

LIST = "/api/v1/products"


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "#047857").save(out, "PNG")
    return out.getvalue()


def _names(response) -> list[str]:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return [item["name"] for item in response.get_json()["items"]]


# Categories

def test_the_category_tree_nests_active_sub_categories_in_order(client, db_session):
    editing.create_category("groceries", "Groceries", name_si="සිල්ලර බඩු", position=1)
    editing.create_category("clothing", "Clothing", position=0)
    editing.create_category("tea", "Tea", name_si="තේ", parent_slug="groceries", position=2)
    editing.create_category("rice", "Rice", parent_slug="groceries", position=1)
    old = editing.create_category("old", "Old stock", parent_slug="groceries", position=3)
    db_session.get(Category, old.id).is_active = False
    db_session.commit()

    response = client.get("/api/v1/categories", headers={"Accept-Language": "si"})

    assert response.status_code == 200
    tree = response.get_json()["items"]
    assert [(c["slug"], c["name"]) for c in tree] == [("clothing", "Clothing"),
                                                      ("groceries", "සිල්ලර බඩු")]
    assert [(c["slug"], c["name"], c["children"]) for c in tree[1]["children"]] == [
        ("rice", "Rice", []), ("tea", "තේ", [])]
    assert response.headers["Content-Language"] == "si"


# Lists

def test_a_listed_product_has_money_availability_category_and_picture(client, db_session):
    make_category("groceries")
    tea = make_product("Black tea", category="groceries", variants=[
        inputs.VariantInput(sku="TEA-1", price_cents=1200_00, compare_at_cents=1500_00),
        inputs.VariantInput(sku="TEA-2", price_cents=2000_00)])
    inventory.set_on_hand(tea.variants[0].id, 4)
    inventory.set_on_hand(tea.variants[1].id, 3)
    image = pictures.add_image(tea.id, _png(), alt="A packet of tea")

    response = client.get(LIST)

    assert response.status_code == 200
    body = response.get_json()
    assert (body["page"], body["per_page"], body["total"]) == (1, 24, 1)
    item = body["items"][0]
    assert item == {
        "id": tea.id, "slug": "black-tea", "kind": "product", "name": "Black tea",
        "price": {"amount_cents": 1200_00, "currency": "LKR"},
        "compare_at_price": {"amount_cents": 1500_00, "currency": "LKR"},
        "availability": "in_stock", "duration_minutes": None,
        "category": {"id": tea.category_id, "slug": "groceries", "name": "Groceries"},
        "image": item["image"]}
    assert item["image"]["url"] == f"http://localhost/media/{image.key}"
    assert item["image"]["thumbnail_url"].startswith("http://localhost/media/")
    assert item["image"]["thumbnail_url"].endswith("-400.webp")
    assert (item["image"]["width"], item["image"]["height"]) == (40, 30)
    assert item["image"]["alt"] == "A packet of tea"
    thumbnail = client.get(item["image"]["thumbnail_url"].removeprefix("http://localhost"))
    assert (thumbnail.status_code, thumbnail.mimetype) == (200, "image/webp")


def test_picture_urls_use_the_public_address_not_the_host_header(make_app, db_session):
    tea = make_product("Black tea")
    image = pictures.add_image(tea.id, _png())
    client = make_app(PUBLIC_URL="https://shop.example.lk").test_client()

    response = client.get(f"{LIST}/black-tea", headers={"Host": "evil.example"})

    assert response.get_json()["images"][0]["url"] == (
        f"https://shop.example.lk/media/{image.key}")


def test_a_picture_key_out_of_the_ordinary_is_still_a_good_url(client, db_session):
    tea = make_product("Black tea")
    db_session.add(ProductImage(product_id=tea.id, key="imported/black tea #1.webp", width=10,
                                height=10))
    db_session.commit()

    image = client.get(f"{LIST}/black-tea").get_json()["images"][0]

    assert image["url"] == "http://localhost/media/imported/black%20tea%20%231.webp"
    assert image["thumbnail_url"] == "http://localhost/media/imported/black%20tea%20%231-400.webp"


def test_the_catalogue_needs_no_token_and_may_be_cached_per_language(client, db_session):
    make_product("Black tea")

    response = client.get(LIST)

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=60"
    assert "Accept-Language" in response.headers["Vary"]


@pytest.mark.parametrize(("units", "availability"), [
    (0, "sold_out"), (1, "low"), (5, "low"), (6, "in_stock")])
def test_availability_is_a_word_not_a_count(client, db_session, units, availability):
    product = make_product("Kettle")
    inventory.set_on_hand(product.variants[0].id, units)

    item = client.get(LIST).get_json()["items"][0]
    detail = client.get(f"{LIST}/kettle").get_json()

    assert item["availability"] == detail["availability"] == availability
    assert detail["variants"][0]["availability"] == availability
    assert "units" not in item and "available" not in detail["variants"][0]


def test_drafts_and_archived_products_are_not_listed(client, db_session):
    make_product("Visible tea")
    make_product("Draft tea", status="draft")
    make_product("Old tea", status="archived")

    response = client.get(LIST)

    assert _names(response) == ["Visible tea"]
    assert response.get_json()["total"] == 1


def test_a_category_lists_its_sub_categories_too(client, db_session):
    make_category("groceries")
    make_category("tea", parent="groceries")
    make_category("clothing")
    make_product("Leaf tea", category="tea")
    make_product("Rice", category="groceries")
    make_product("Sarong", category="clothing")

    response = client.get(LIST, query_string={"category": "groceries", "sort": "name"})

    assert _names(response) == ["Leaf tea", "Rice"]


def test_an_unknown_category_is_not_found(client, db_session):
    make_product("Leaf tea")

    response = client.get(LIST, query_string={"category": "nope"})

    assert_problem(response, 404, "not_found")


def test_prices_filter_in_cents_against_the_lowest_variant(client, db_session):
    make_product("Cheap", price_cents=999_99)
    make_product("Middle", price_cents=1000_00)
    make_product("Dear", variants=[inputs.VariantInput(sku="D-1", price_cents=5000_00),
                                   inputs.VariantInput(sku="D-2", price_cents=2500_00)])
    make_product("Dearer", price_cents=5000_01)

    response = client.get(LIST, query_string={"min_price": 1000_00, "max_price": 5000_00,
                                              "sort": "price_asc"})

    assert _names(response) == ["Middle", "Dear"]
    assert response.get_json()["items"][1]["price"]["amount_cents"] == 2500_00


def test_a_price_range_upside_down_finds_nothing(client, db_session):
    make_product("Middle", price_cents=1000_00)

    response = client.get(LIST, query_string={"min_price": 2000_00, "max_price": 500_00})

    assert response.get_json() == {"items": [], "page": 1, "per_page": 24, "total": 0}


def test_kind_and_in_stock_filters(client, db_session):
    stocked = make_product("Stocked kettle")
    make_product("Sold out kettle")
    make_product("Kettle repair", kind="service")
    inventory.set_on_hand(stocked.variants[0].id, 7)

    services = client.get(LIST, query_string={"kind": "service"})
    products = client.get(LIST, query_string={"kind": "product", "sort": "name"})
    buyable = client.get(LIST, query_string={"in_stock": "true", "sort": "name"})
    everything = client.get(LIST, query_string={"in_stock": "false", "sort": "name"})

    assert _names(services) == ["Kettle repair"]
    assert services.get_json()["items"][0]["duration_minutes"] == 60
    assert _names(products) == ["Sold out kettle", "Stocked kettle"]
    assert _names(buyable) == ["Kettle repair", "Stocked kettle"]
    assert len(_names(everything)) == 3


@pytest.mark.parametrize(("sort", "expected"), [
    (None, ["Newest", "Middle", "Oldest"]),
    ("newest", ["Newest", "Middle", "Oldest"]),
    ("price_asc", ["Oldest", "Middle", "Newest"]),
    ("price_desc", ["Newest", "Middle", "Oldest"]),
    ("name", ["Middle", "Newest", "Oldest"]),
    ("relevance", ["Newest", "Middle", "Oldest"]),  # without q: newest
])
def test_sorting(client, db_session, sort, expected):
    for name, price in [("Oldest", 100_00), ("Middle", 500_00), ("Newest", 900_00)]:
        make_product(name, price_cents=price)

    response = client.get(LIST, query_string={"sort": sort} if sort else {})

    assert _names(response) == expected


def test_pages(client, db_session):
    for n in range(30):
        make_product(f"Item {n:02d}")

    first = client.get(LIST, query_string={"sort": "name"}).get_json()
    second = client.get(LIST, query_string={"sort": "name", "page": 2}).get_json()
    small = client.get(LIST, query_string={"sort": "name", "page": 3, "per_page": 7}).get_json()
    beyond = client.get(LIST, query_string={"page": 9}).get_json()

    assert (len(first["items"]), first["total"], first["per_page"]) == (24, 30, 24)
    assert [i["name"] for i in second["items"]] == [f"Item {n}" for n in range(24, 30)]
    assert [i["name"] for i in small["items"]] == [f"Item {n:02d}" for n in range(14, 21)]
    assert (beyond["items"], beyond["page"], beyond["total"]) == ([], 9, 30)


@pytest.mark.parametrize(("language", "expected", "used"), [
    ("si", ["කොළ තේ", "Kettle"], "si"),
    ("ta-LK,ta;q=0.9", ["பச்சை தேநீர்", "Kettle"], "ta"),
    ("fr", ["Green tea", "Kettle"], "en"),
    (None, ["Green tea", "Kettle"], "en"),
])
def test_names_follow_accept_language_with_english_fallback(client, db_session, language,
                                                            expected, used):
    make_product("Green tea", name_si="කොළ තේ", name_ta="பச்சை தேநீர்", price_cents=100_00)
    make_product("Kettle", price_cents=200_00)

    response = client.get(LIST, query_string={"sort": "price_asc"},
                          headers={"Accept-Language": language} if language else {})

    assert _names(response) == expected
    assert response.headers["Content-Language"] == used


# Search

def test_search_finds_by_name_in_any_script_best_first(client, db_session):
    make_product("Black tea", name_si="කළු තේ")
    make_product("Tea", name_si="තේ")
    make_product("Green tea strainer")
    make_product("Kettle")

    english = client.get(LIST, query_string={"q": "tea"})
    sinhala = client.get(LIST, query_string={"q": "තේ"})

    assert _names(english)[0] == "Tea"
    assert sorted(_names(english)) == ["Black tea", "Green tea strainer", "Tea"]
    assert english.get_json()["total"] == 3
    assert sorted(_names(sinhala)) == ["Black tea", "Tea"]


def test_search_combines_with_filters_sort_and_pages(client, db_session):
    make_category("groceries")
    make_product("Black tea", category="groceries", price_cents=900_00)
    make_product("Green tea", category="groceries", price_cents=300_00)
    make_product("Tea kettle", price_cents=500_00)
    make_product("Draft tea", status="draft", category="groceries")

    filtered = client.get(LIST, query_string={"q": "tea", "category": "groceries",
                                              "sort": "price_asc"})
    paged = client.get(LIST, query_string={"q": "tea", "per_page": 2, "page": 2})

    assert _names(filtered) == ["Green tea", "Black tea"]
    assert paged.get_json()["total"] == 3 and len(paged.get_json()["items"]) == 1


@pytest.mark.parametrize(("q", "total"), [
    ("zzzqqqxxx", 0), ("!!!", 0),
    ("", 1), ("   ", 1),  # an empty search is no search: everything
])
def test_a_search_for_nothing_findable(client, db_session, q, total):
    make_product("Black tea")

    response = client.get(LIST, query_string={"q": q})

    assert response.status_code == 200
    assert response.get_json()["total"] == total


# Bad input

@pytest.mark.parametrize(("query", "field"), [
    ({"page": "0"}, "page"),
    ({"page": "-1"}, "page"),
    ({"page": "abc"}, "page"),
    ({"page": "1.5"}, "page"),
    ({"page": "99999999999"}, "page"),
    ({"per_page": "0"}, "per_page"),
    ({"per_page": "101"}, "per_page"),
    ({"per_page": "1000"}, "per_page"),
    ({"min_price": "-1"}, "min_price"),
    ({"min_price": "abc"}, "min_price"),
    ({"min_price": "12.50"}, "min_price"),
    ({"max_price": "-1"}, "max_price"),
    ({"max_price": "99999999999999999999999"}, "max_price"),
    ({"kind": "other"}, "kind"),
    ({"kind": "Product"}, "kind"),
    ({"sort": "bogus"}, "sort"),
    ({"sort": "price_asc; DROP TABLE catalog_product"}, "sort"),
    ({"in_stock": "maybe"}, "in_stock"),
    ({"q": "tea" * 1700}, "q"),
    ({"q": "tea\x00"}, "q"),
    ({"category": "tea\x00"}, "category"),
    ({"category": "c" * 5000}, "category"),
    ({"category": ""}, "category"),
])
def test_bad_list_parameters_are_refused(client, db_session, query, field):
    response = client.get(LIST, query_string=query)

    problem = assert_problem(response, 422, "validation_failed")
    assert field in error_fields(problem)


def test_a_long_search_says_how_long_it_may_be(client, db_session):
    response = client.get(LIST, query_string={"q": "x" * 5000})

    assert response.get_json()["errors"] == [
        {"field": "q", "message": "Use at most 200 characters."}]


# One product

def test_a_product_with_its_variants_pictures_and_attributes(client, db_session):
    make_category("clothing", name="Clothing")
    product = editing.create_product(inputs.ProductInput(
        name_en="Batik shirt", name_si="බතික් කමිසය", description_en="Hand made in Kandy.",
        description_si="මහනුවර අතින් සාදන ලදී.", brand="Lanka Batik", category_slug="clothing",
        status="published", attributes={"material": "cotton", "colour": "blue"},
        variants=[inputs.VariantInput(sku="BS-M", price_cents=3500_00, options={"size": "M"},
                                       compare_at_cents=4000_00),
                  inputs.VariantInput(sku="BS-L", price_cents=3700_00, options={"size": "L"}),
                  inputs.VariantInput(sku="BS-XL", price_cents=3900_00,
                                       options={"size": "XL"})]))
    inventory.set_on_hand(product.variants[0].id, 2)
    inventory.set_on_hand(product.variants[1].id, 20)
    product.variants[2].is_active = False
    db_session.commit()
    first = pictures.add_image(product.id, _png(), alt="Front")
    pictures.add_image(product.id, _png())

    response = client.get(f"{LIST}/batik-shirt", headers={"Accept-Language": "si"})

    assert response.status_code == 200
    body = response.get_json()
    assert {k: body[k] for k in ("id", "slug", "kind", "name", "description", "brand",
                                 "availability", "duration_minutes", "next_slots")} == {
        "id": product.id, "slug": "batik-shirt", "kind": "product", "name": "බතික් කමිසය",
        "description": "මහනුවර අතින් සාදන ලදී.", "brand": "Lanka Batik",
        "availability": "in_stock", "duration_minutes": None, "next_slots": []}
    assert body["category"] == {"id": product.category_id, "slug": "clothing",
                                "name": "Clothing"}
    assert body["price"] == {"amount_cents": 3500_00, "currency": "LKR"}
    assert body["compare_at_price"] == {"amount_cents": 4000_00, "currency": "LKR"}
    assert body["variants"] == [
        {"id": product.variants[0].id, "sku": "BS-M", "name": "M", "options": {"size": "M"},
         "price": {"amount_cents": 3500_00, "currency": "LKR"},
         "compare_at_price": {"amount_cents": 4000_00, "currency": "LKR"},
         "availability": "low"},
        {"id": product.variants[1].id, "sku": "BS-L", "name": "L", "options": {"size": "L"},
         "price": {"amount_cents": 3700_00, "currency": "LKR"}, "compare_at_price": None,
         "availability": "in_stock"}]
    # Untranslated values are labelled in English (translations: test_translated_options.py).
    assert body["attributes"] == [{"name": "colour", "value": "blue", "label": "blue"},
                                  {"name": "material", "value": "cotton", "label": "cotton"}]
    assert [image["alt"] for image in body["images"]] == ["Front", None]
    assert body["images"][0]["url"] == f"http://localhost/media/{first.key}"
    assert all(image["thumbnail_url"].startswith("http://localhost/media/products/")
               for image in body["images"])
    assert dt.datetime.fromisoformat(body["published_at"]).utcoffset() == dt.timedelta(0)


def test_a_description_falls_back_to_english(client, db_session):
    editing.create_product(inputs.ProductInput(
        name_en="Kettle", description_en="Boils water.", status="published",
        variants=[inputs.VariantInput(sku="K-1", price_cents=100_00)]))

    body = client.get(f"{LIST}/kettle", headers={"Accept-Language": "ta"}).get_json()

    assert (body["name"], body["description"]) == ("Kettle", "Boils water.")


def test_a_service_has_its_duration_and_next_free_slots(client, db_session):
    service = make_product("Home cleaning", kind="service", price_cents=4500_00)
    now = utcnow()
    past = booking_slots.add_slot(service.id, now + dt.timedelta(hours=1))
    full = booking_slots.add_slot(service.id, now + dt.timedelta(days=1))
    free = booking_slots.add_slot(service.id, now + dt.timedelta(days=2), capacity=3)
    later = booking_slots.add_slot(service.id, now + dt.timedelta(days=3))
    db_session.get(ServiceSlot, past.id).starts_at = now - dt.timedelta(days=1)
    db_session.get(ServiceSlot, full.id).booked = 1
    db_session.get(ServiceSlot, free.id).booked = 1
    db_session.commit()

    body = client.get(f"{LIST}/home-cleaning").get_json()

    assert (body["kind"], body["duration_minutes"], body["availability"]) == (
        "service", 60, "in_stock")
    assert [slot["id"] for slot in body["next_slots"]] == [free.id, later.id]
    assert past.id not in [slot["id"] for slot in body["next_slots"]]
    slot = body["next_slots"][0]
    assert slot["free"] == 2
    starts = dt.datetime.fromisoformat(slot["starts_at"])
    assert starts.utcoffset() == dt.timedelta(0)
    assert dt.datetime.fromisoformat(slot["ends_at"]) - starts == dt.timedelta(minutes=60)


@pytest.mark.parametrize("slug", ["secret-tea", "old-tea", "nope"])
def test_drafts_archived_and_unknown_products_are_not_found(client, db_session, slug):
    make_product("Secret tea", status="draft")
    make_product("Old tea", status="archived")

    assert_problem(client.get(f"{LIST}/{slug}"), 404, "not_found")


@pytest.mark.parametrize("slug", ["x" * 5000, "tea%00", "tea%1b"])
def test_a_slug_that_cannot_be_one_is_refused(client, db_session, slug):
    problem = assert_problem(client.get(f"{LIST}/{slug}"), 422, "validation_failed")

    assert error_fields(problem) == {"slug"}


# Queries

def _shop(n: int) -> None:
    make_category("groceries")
    make_category("tea", parent="groceries")
    for i in range(n):
        product = make_product(f"Product {i:02d}", category="tea" if i % 2 else "groceries",
                               variants=[inputs.VariantInput(sku=f"Q-{i}-a", price_cents=100_00),
                                         inputs.VariantInput(sku=f"Q-{i}-b",
                                                              price_cents=200_00)])
        inventory.set_on_hand(product.variants[0].id, i % 7)
        pictures.add_image(product.id, _png())


@pytest.mark.parametrize("query", [
    {}, {"category": "groceries", "in_stock": "true"}, {"q": "product", "sort": "price_asc"}])
def test_a_list_costs_the_same_queries_whatever_its_size(app, client, db_session, query):
    _shop(50)
    client.get(LIST, query_string={**query, "per_page": 5})  # warm: first-use queries

    with statements_sent(app) as small:
        five = client.get(LIST, query_string={**query, "per_page": 5})
    with statements_sent(app) as large:
        fifty = client.get(LIST, query_string={**query, "per_page": 50})

    assert len(five.get_json()["items"]) == 5
    assert len(fifty.get_json()["items"]) > 20
    assert len(small) == len(large), large


def test_a_product_costs_a_fixed_number_of_queries(app, client, db_session):
    _shop(3)
    client.get(f"{LIST}/product-00")

    with statements_sent(app) as statements:
        client.get(f"{LIST}/product-00")

    assert len(statements) <= 8, statements
