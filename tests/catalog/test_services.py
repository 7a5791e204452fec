"""Catalog listings, filters, sorting and product lookups, as a shopper's pages use them."""

import pytest

from app.catalog import inputs, services as catalog
from app.catalog.services import ProductFilter
from app.db import transaction
from app.errors import NotFound
from app.inventory import services as inventory
from tests.catalog.factories import make_category, make_product
from tests.statements import statements_sent


def test_only_published_products_are_listed(db_session):
    make_product("Visible tea", status="published")
    make_product("Draft tea", status="draft")
    make_product("Old tea", status="archived")

    names = [p.name_en for p in catalog.list_products().items]

    assert names == ["Visible tea"]


def test_category_listing_includes_sub_categories(db_session):
    make_category("groceries")
    make_category("tea", parent="groceries")
    make_product("Leaf tea", category="tea")
    make_product("Kettle")

    page = catalog.list_products(ProductFilter(category="groceries"))

    assert [p.name_en for p in page.items] == ["Leaf tea"]


def test_unknown_category_is_not_found(db_session):
    with pytest.raises(NotFound):
        catalog.list_products(ProductFilter(category="nope"))


@pytest.mark.parametrize(("sort", "expected"), [
    ("price_asc", ["Cheap", "Middle", "Dear"]),
    ("price_desc", ["Dear", "Middle", "Cheap"]),
    ("name", ["Cheap", "Dear", "Middle"]),
])
def test_sorting(db_session, sort, expected):
    for name, price in [("Middle", 500_00), ("Cheap", 100_00), ("Dear", 900_00)]:
        make_product(name, price_cents=price)

    assert [p.name_en for p in catalog.list_products(sort=sort).items] == expected


def test_price_range_kind_and_attribute_filters(db_session):
    make_product("Cotton sarong", price_cents=1500_00, attributes={"material": "cotton"})
    make_product("Linen trousers", price_cents=4700_00, attributes={"material": "linen"})
    make_product("Repair", price_cents=4500_00, kind="service")

    in_range = catalog.list_products(ProductFilter(min_price_cents=1000_00,
                                                   max_price_cents=4800_00, kind="product"))
    linen = catalog.list_products(ProductFilter(attributes={"material": ("linen",)}))

    assert sorted(p.name_en for p in in_range.items) == ["Cotton sarong", "Linen trousers"]
    assert [p.name_en for p in linen.items] == ["Linen trousers"]


def test_in_stock_filter_keeps_services_and_stocked_products(db_session):
    stocked = make_product("Stocked")
    make_product("Sold out")
    make_product("Cleaning", kind="service")
    inventory.set_on_hand(stocked.variants[0].id, 5)

    page = catalog.list_products(ProductFilter(in_stock=True), sort="name")

    assert [p.name_en for p in page.items] == ["Cleaning", "Stocked"]
    assert page.stock[stocked.id] == 5


def test_pagination(db_session):
    for n in range(30):
        make_product(f"Item {n:02d}")

    first = catalog.list_products(sort="name", page=1, per_page=24)
    second = catalog.list_products(sort="name", page=2, per_page=24)

    assert (first.total, first.pages, len(first.items), len(second.items)) == (30, 2, 24, 6)
    assert first.has_next and not second.has_next


def test_a_draft_product_page_is_not_found(db_session):
    make_product("Secret", status="draft")

    with pytest.raises(NotFound):
        catalog.get_published("secret")


def test_translated_names_fall_back_to_english(db_session):
    product = make_product("Green tea", name_si="කොළ තේ")

    assert product.text("name", "si") == "කොළ තේ"
    assert product.text("name", "ta") == "Green tea"


def test_duplicate_sku_is_refused(db_session):
    make_product("One", sku="SKU-1")

    with pytest.raises(Exception) as caught:
        make_product("Two", sku="SKU-1")

    assert caught.value.field == "sku"


def test_slugify_keeps_only_safe_characters(db_session):
    assert inputs.slugify("Kids' school shoes!") == "kids-school-shoes"
    assert inputs.slugify("තේ කොළ") == "item"


def test_category_listing_reaches_every_level_in_one_query(db_session, app):
    make_category("home")
    make_category("kitchen", parent="home")
    make_category("pots", parent="kitchen")
    make_category("clay", parent="pots")
    make_product("Clay pot", category="clay")
    make_product("Kettle", category="kitchen")
    make_product("Sarong")

    with statements_sent(app) as statements:
        names = sorted(p.name_en for p in catalog.list_products(
            ProductFilter(category="home")).items)

    assert names == ["Clay pot", "Kettle"]
    # the whole tree once, and the cards name their categories from it
    assert len([s for s in statements if "catalog_category" in s]) == 1


def test_a_parent_loop_in_the_data_does_not_hang_a_listing(db_session):
    from app.catalog.models import Category

    a, b = make_category("a"), make_category("b", parent="a")
    make_product("Thing", category="b")
    db_session.get(Category, a.id).parent_id = b.id  # bad data, as a faulty import might leave
    db_session.commit()

    page = catalog.list_products(ProductFilter(category="a"))
    trail = catalog.breadcrumbs(catalog.get_category("b"))

    assert [p.name_en for p in page.items] == ["Thing"]
    assert [c.slug for c in trail] == ["a", "b"]


def test_a_slug_with_a_nul_byte_is_not_found_on_every_backend(db_session):
    make_category("tea")
    make_product("Green tea", category="tea")

    for look_up in (catalog.get_published, catalog.get_category,
                    lambda s: catalog.list_products(ProductFilter(category=s))):
        with pytest.raises(NotFound):
            look_up("green-tea\x00")


def test_sorting_by_name_follows_the_shoppers_language(db_session):
    make_product("Zebra mat", name_ta="அடுப்பு")
    make_product("Apple jam", name_ta="கத்தி")
    make_product("Mango", name_ta="ஆப்பம்")

    english = catalog.list_products(sort="name")
    tamil = catalog.list_products(sort="name", locale="ta")
    sinhala = catalog.list_products(sort="name", locale="si")  # none translated: English

    assert [p.name_en for p in english.items] == ["Apple jam", "Mango", "Zebra mat"]
    assert [p.text("name", "ta") for p in tamil.items] == ["அடுப்பு", "ஆப்பம்", "கத்தி"]
    assert [p.name_en for p in sinhala.items] == ["Apple jam", "Mango", "Zebra mat"]


def test_a_product_page_reads_its_pictures_by_position_and_attributes_by_name(db_session):
    # Pictures and attributes come back in one statement, each kind in its own order.
    from app.catalog.models import ProductImage
    from app.catalog.services import get_published

    product = make_product("Tea set", attributes={"size": "L", "colour": "Red",
                                                  "brand line": "Kade"})
    with transaction():
        for position, key in ((2, "c.webp"), (0, "a.webp"), (1, "b.webp")):
            db_session.add(ProductImage(product_id=product.id, key=f"products/{key}",
                                        width=10, height=10, position=position))
    db_session.remove()

    page = get_published(product.slug)

    assert [image.key for image in page.images] == [
        "products/a.webp", "products/b.webp", "products/c.webp"]
    assert [(a.name, a.value) for a in page.attributes] == [
        ("brand line", "Kade"), ("colour", "Red"), ("size", "L")]
    assert page.variants and all(v.units == 0 for v in page.variants)
