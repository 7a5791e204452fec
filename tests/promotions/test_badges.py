"""Badges on product cards and pages: which promotion a product shows, in the shopper's
language, the price after an automatic discount only where anyone pays it, and no query per
card."""

from __future__ import annotations

import datetime as dt

import pytest
from flask_babel import force_locale, gettext

from app.catalog import inputs, services as catalog
from app.db import session, utcnow
from app.promotions import offers
from app.promotions.badges import badges_for
from tests.catalog.factories import make_category, make_product
from tests.promotions.factories import make_promotion
from tests.statements import statements_sent


def badge_of(product, locale="en"):
    return badges_for([catalog.get_published(product.slug)], locale).get(product.id)


def test_percent_off_a_category_shows_on_its_products_with_the_price_after(db_session):
    make_category("groceries")
    make_category("tea", parent="groceries")
    tea = make_product("Ceylon tea", price_cents=1_000_00, category="tea")
    soap = make_product("Soap", price_cents=500_00)
    make_promotion("Groceries 15% off", percent=15,
                   category_ids=[catalog.get_category("groceries").id])

    badge = badge_of(tea)

    assert badge.label == "15% off"
    assert badge.price_after_cents == 850_00
    assert badge.variant_prices == {tea.variants[0].id: 850_00}
    assert badge_of(soap) is None


def test_the_lowest_price_after_covers_every_active_variant(db_session):
    tea = make_product("Tea", variants=[
        inputs.VariantInput(sku="B-1", price_cents=600_00, options={"pack": "100 g"}),
        inputs.VariantInput(sku="B-2", price_cents=1_000_00, options={"pack": "200 g"})])
    small, big = tea.variants
    make_promotion("Big pack", benefit="line_fixed", amount_cents=450_00,
                   variant_ids=[big.id])

    badge = badge_of(tea)

    assert badge.label == "Rs. 450 off"
    assert badge.price_after_cents == 550_00  # the big pack, now cheaper than the small one
    assert badge.variant_prices == {big.id: 550_00}


def test_a_discount_on_a_dearer_variant_leaves_the_lowest_price_alone(db_session):
    tea = make_product("Tea", variants=[
        inputs.VariantInput(sku="C-1", price_cents=600_00, options={"pack": "100 g"}),
        inputs.VariantInput(sku="C-2", price_cents=1_000_00, options={"pack": "200 g"})])
    make_promotion("Big pack", percent=10, variant_ids=[tea.variants[1].id])

    badge = badge_of(tea)

    assert badge.label == "10% off" and badge.price_after_cents is None
    assert badge.variant_prices == {tea.variants[1].id: 900_00}  # its page shows it


@pytest.mark.parametrize(("fields", "label"), [
    (dict(benefit="line_percent", percent=15), "15% off"),
    (dict(benefit="line_fixed", amount_cents=200_00), "Rs. 200 off"),
    (dict(benefit="line_fixed", amount_cents=199_50), "Rs. 199.50 off"),
    (dict(benefit="buy_x_get_y", buy_quantity=2, get_quantity=1), "Buy 2 get 1 free"),
    (dict(benefit="buy_x_get_y", buy_quantity=1, get_quantity=1, percent=50),
     "Buy 1 get 1 at 50% off"),
    (dict(benefit="tiered", tiers=[[3, 10], [6, 15]]), "3+ for 10% off"),
])
def test_each_line_benefit_has_its_label(db_session, fields, label):
    rice = make_product("Rice", price_cents=1_000_00)

    assert badge_of(rice) is None
    make_promotion("Offer", product_ids=[rice.id], **fields)
    assert badge_of(rice).label == label


def test_a_bundle_shows_on_each_of_its_products_without_a_price(db_session):
    kettle = make_product("Kettle", price_cents=4_000_00)
    tea = make_product("Tea", price_cents=1_000_00)
    make_promotion("Tea time", benefit="bundle", amount_cents=4_500_00,
                   bundle_variant_ids=[kettle.variants[0].id, tea.variants[0].id])

    for product in (kettle, tea):
        badge = badge_of(product)
        assert badge.label == "Bundle offer" and badge.price_after_cents is None


@pytest.mark.parametrize("fields", [
    dict(min_quantity=2), dict(min_subtotal_cents=5_000_00), dict(districts=["CMB"]),
    dict(first_order_only=True), dict(signed_in_only=True),
])
def test_a_condition_keeps_the_badge_but_not_the_price(db_session, fields):
    rice = make_product("Rice", price_cents=1_000_00)
    make_promotion("Conditional", percent=20, **fields)

    badge = badge_of(rice)

    assert badge.label == "20% off" and badge.price_after_cents is None


@pytest.mark.parametrize(("fields", "name"), [
    (dict(benefit="order_percent", percent=10), "order discounts name no product"),
    (dict(benefit="delivery", percent=100), "nor does free delivery"),
    (dict(code="SAVE10"), "a code is needed"),
    (dict(is_public=False), "not advertised"),
    (dict(segment_customer_ids=[42]), "for chosen customers"),
    (dict(paused=True), "paused"),
    (dict(max_uses=5, uses_count=5), "used up"),
    (dict(max_discount_cents=100_00, discount_given_cents=100_00), "budget spent"),
    (dict(starts_at=utcnow() + dt.timedelta(days=2)), "not started"),
    (dict(ends_at=utcnow() - dt.timedelta(minutes=1)), "ended"),
])
def test_no_badge_for_what_a_shopper_does_not_simply_get(db_session, fields, name):
    rice = make_product("Rice", price_cents=1_000_00)
    make_promotion("Not for a badge", **fields)

    assert badge_of(rice) is None, name


def test_the_best_saving_wins_then_the_rank(db_session):
    rice = make_product("Rice", price_cents=1_000_00)
    make_promotion("Small", percent=5, priority=10)
    best = make_promotion("Big", percent=20, product_ids=[rice.id])
    make_promotion("Six for five", benefit="buy_x_get_y", buy_quantity=5, get_quantity=1,
                   priority=50)  # one free in six: Rs. 166.66 a unit, less than 20%

    assert badge_of(rice).promotion_id == best.id
    assert badge_of(rice).price_after_cents == 800_00

    tied = make_promotion("Also 20%", percent=20, priority=5)
    assert badge_of(rice).promotion_id == tied.id  # the same saving: higher priority first


def test_a_time_window_is_read_at_now(db_session):
    rice = make_product("Rice", price_cents=1_000_00)
    start = utcnow() + dt.timedelta(hours=1)
    make_promotion("Later", percent=10, starts_at=start, ends_at=start + dt.timedelta(days=1))
    product = catalog.get_published(rice.slug)

    assert badges_for([product], "en") == {}
    assert badges_for([product], "en", now=start)[rice.id].label == "10% off"
    assert badges_for([product], "en", now=start + dt.timedelta(days=1)) == {}


def test_labels_in_sinhala_and_tamil_use_their_money_and_words(db_session):
    rice = make_product("Rice", price_cents=1_000_00)
    make_promotion("Rice deal", benefit="line_fixed", amount_cents=200_00)

    si, ta = badge_of(rice, "si").label, badge_of(rice, "ta").label

    assert "රු.200" in si and "Rs." not in si
    assert "200" in ta
    with force_locale("si"):
        assert si == gettext("%(amount)s off", amount="රු.200")
    with force_locale("ta"):
        assert ta == gettext("%(amount)s off", amount="Rs.200")


# Each label reads in the shopper's language (the words the translations catalogue holds).
@pytest.mark.parametrize(("locale", "fields", "label"), [
    ("si", dict(percent=15), "15% වට්ටම"),
    ("ta", dict(percent=15), "15% தள்ளுபடி"),
    ("si", dict(benefit="buy_x_get_y", buy_quantity=2, get_quantity=1),
     "2 ක් ගන්න, 1 ක් නොමිලේ"),
    ("ta", dict(benefit="buy_x_get_y", buy_quantity=2, get_quantity=1),
     "2 வாங்கினால் 1 இலவசம்"),
])
def test_labels_read_in_sinhala_and_tamil(db_session, locale, fields, label):
    rice = make_product("Rice", price_cents=1_000_00)
    make_promotion("Deal", **fields)

    assert badge_of(rice, locale).label == label


def test_no_query_per_card(app, db_session):
    make_category("tea")
    products = [make_product(f"Tea {n}", price_cents=(100 + n) * 100, category="tea")
                for n in range(30)]
    make_promotion("Tea 10%", percent=10, category_ids=[catalog.get_category("tea").id])
    make_promotion("Two for one", benefit="buy_x_get_y", buy_quantity=1, get_quantity=1,
                   product_ids=[p.id for p in products[::2]])
    few = catalog.list_products(per_page=3).items
    many = catalog.list_products(per_page=24).items
    session.expire_all()  # nothing of the promotions left in the session
    few = catalog.list_products(per_page=3).items
    many = catalog.list_products(per_page=24).items

    with statements_sent(app) as for_few:
        badges_few = badges_for(few, "en")
    with statements_sent(app) as for_many:
        badges_many = badges_for(many, "en")
    loaded = offers.running()
    with statements_sent(app) as given:
        badges_for(many, "en", running=loaded)

    assert len(badges_few) == 3 and len(badges_many) == 24
    assert len(for_few) == len(for_many) <= 2  # the promotions and the category tree
    assert given == []


# ---- on the pages ---------------------------------------------------------------------------

def test_a_category_listing_shows_the_badge_and_the_price_struck_through(client, db_session):
    make_category("tea")
    tea = make_product("Ceylon tea", price_cents=1_000_00, category="tea")
    make_product("Green tea", price_cents=900_00, category="tea")
    make_promotion("Tea week", percent=15, product_ids=[tea.id])

    html = client.get("/c/tea").get_data(as_text=True)

    assert html.count("badge-offer") == 1
    assert '<span class="badge badge-offer">15% off</span>' in html
    assert "Rs. 850.00</strong>" in html
    assert '<span class="visually-hidden">Was </span>Rs. 1,000.00</s>' in html


def test_home_search_and_recently_viewed_show_badges(client, db_session):
    make_category("tea")
    tea = make_product("Ceylon tea", price_cents=1_000_00, category="tea")
    make_promotion("Everything", benefit="buy_x_get_y", buy_quantity=2, get_quantity=1)

    assert "Buy 2 get 1 free" in client.get("/").get_data(as_text=True)
    assert "Buy 2 get 1 free" in client.get("/search?q=ceylon").get_data(as_text=True)
    client.get(f"/p/{tea.slug}")
    assert "Buy 2 get 1 free" in client.get("/recently-viewed").get_data(as_text=True)


def test_the_product_page_shows_the_chosen_variants_price_after(client, db_session):
    tea = make_product("Tea", variants=[
        inputs.VariantInput(sku="D-1", price_cents=600_00, options={"pack": "100 g"}),
        inputs.VariantInput(sku="D-2", price_cents=1_000_00, options={"pack": "200 g"})])
    small, big = tea.variants
    make_promotion("Big pack", percent=10, variant_ids=[big.id])

    chosen_big = client.get(f"/p/{tea.slug}?variant={big.id}").get_data(as_text=True)
    chosen_small = client.get(f"/p/{tea.slug}?variant={small.id}").get_data(as_text=True)

    assert "10% off" in chosen_big and "Rs. 900.00</strong>" in chosen_big
    assert '<span class="visually-hidden">Was </span>Rs. 1,000.00</s>' in chosen_big
    assert "10% off" in chosen_small and "Rs. 600.00</strong>" in chosen_small
    assert "Was" not in chosen_small.split('id="product-price"')[1].split("</p>")[0]
