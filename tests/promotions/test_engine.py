"""The promotions engine through the pricing pipeline: each benefit, conditions, stacking,
the choice it explains, budgets, and time in Colombo."""

from __future__ import annotations

import datetime as dt
import os
import time

import pytest

from app.checkout import delivery, pricing
from app.checkout.pricing import Item
from app.i18n import COLOMBO
from tests.catalog.factories import make_category, make_product
from tests.checkout.factories import starter_delivery, stocked
from tests.promotions.factories import make_promotion


def price(items, **kwargs):
    return pricing.price([Item(v.id, q) for v, q in items], **kwargs)


def line_discounts(priced):
    return [line.discount_cents for line in priced.lines]


def test_percent_off_a_category_covers_its_sub_categories(db_session):
    make_category("groceries")
    make_category("tea", parent="groceries")
    tea = make_product("Ceylon tea", price_cents=1_000_00, category="tea").variants[0]
    soap = make_product("Soap", price_cents=500_00).variants[0]
    groceries = make_category_id("groceries")
    make_promotion("Groceries 15% off", percent=15, category_ids=[groceries])
    priced = price([(tea, 2), (soap, 1)])
    assert line_discounts(priced) == [300_00, 0]
    [adjustment] = priced.lines[0].discounts
    assert adjustment.label == "Groceries 15% off" and adjustment.promotion_id
    assert priced.total_cents == 1_700_00 + 500_00 and priced.savings_cents == 300_00


def make_category_id(slug):
    from app.catalog.services import get_category
    return get_category(slug).id


def test_buy_two_get_one_free_gives_the_cheapest_free_per_group(db_session):
    dear = stocked("Basmati 5kg", price_cents=3_000_00)
    cheap = stocked("Red rice 1kg", price_cents=600_00)
    make_promotion("Buy 2 get 1 free", benefit="buy_x_get_y", buy_quantity=2, get_quantity=1,
                   variant_ids=[dear.id, cheap.id])
    # Three units: the cheapest one is free.
    assert line_discounts(price([(dear, 2), (cheap, 1)])) == [0, 600_00]
    # Five units: one full group (the two dearest pay, the third is free); two left over.
    assert line_discounts(price([(dear, 3), (cheap, 2)])) == [3_000_00, 0]
    # Six units of one: two free.
    assert line_discounts(price([(cheap, 6)])) == [1_200_00]
    # Two units: no group yet.
    assert line_discounts(price([(cheap, 2)])) == [0]


def test_buy_one_get_one_half_price(db_session):
    shirt = stocked("Batik shirt", price_cents=4_000_00)
    make_promotion("Second at half price", benefit="buy_x_get_y", buy_quantity=1,
                   get_quantity=1, percent=50, variant_ids=[shirt.id])
    assert line_discounts(price([(shirt, 3)])) == [2_000_00]


def test_tiered_prices_by_quantity(db_session):
    soap = stocked("Sandalwood soap", price_cents=200_00)
    make_promotion("Stock up", benefit="tiered", tiers=[[3, 10], [6, 15]],
                   variant_ids=[soap.id])
    assert line_discounts(price([(soap, 2)])) == [0]
    assert line_discounts(price([(soap, 3)])) == [60_00]
    assert line_discounts(price([(soap, 7)])) == [210_00]


def test_a_bundle_price_for_variants_bought_together(db_session):
    kettle = stocked("Kettle", price_cents=4_000_00)
    tea = stocked("Tea 400g", price_cents=1_000_00)
    other = stocked("Biscuits", price_cents=300_00)
    make_promotion("Tea time set", benefit="bundle", bundle_variant_ids=[kettle.id, tea.id],
                   amount_cents=4_500_00)
    # One set: Rs. 5,000 for Rs. 4,500; the Rs. 500 is shared by value (4:1).
    priced = price([(kettle, 1), (tea, 1), (other, 1)])
    assert line_discounts(priced) == [400_00, 100_00, 0]
    # Two kettles, one tea: still one set.
    assert sum(line_discounts(price([(kettle, 2), (tea, 1)]))) == 500_00
    # Only half the set: nothing.
    assert line_discounts(price([(kettle, 1)])) == [0]


def test_an_order_discount_needs_its_minimum_spend(db_session):
    rice = stocked("Rice", price_cents=1_000_00)
    make_promotion("Rs. 500 off over Rs. 5,000", benefit="order_fixed", amount_cents=500_00,
                   min_subtotal_cents=5_000_00)
    assert price([(rice, 4)]).discount_cents == 0
    priced = price([(rice, 5)])
    assert priced.discount_cents == 500_00 and priced.total_cents == 4_500_00


def test_free_delivery_only_in_the_districts_named(db_session):
    starter_delivery()
    rice = stocked("Rice", price_cents=1_000_00)
    make_promotion("Free delivery in Colombo", benefit="delivery", percent=100,
                   districts=["colombo"])
    island = delivery.get_option("island-wide")
    in_colombo = price([(rice, 1)], district="colombo", delivery=island)
    in_galle = price([(rice, 1)], district="galle", delivery=island)
    assert in_colombo.delivery_fee_cents == 0 and in_colombo.delivery_discount_cents == 350_00
    assert in_colombo.total_cents == 1_000_00 and in_colombo.savings_cents == 350_00
    assert in_galle.delivery_fee_cents == 350_00 and in_galle.total_cents == 1_350_00


def test_an_exclusive_promotion_competes_and_the_better_one_wins_with_a_reason(db_session):
    tea = stocked("Tea", price_cents=1_000_00)
    make_promotion("Ten off everything", percent=10, priority=5)
    make_promotion("Vesak 25% off", percent=25, exclusive=True)
    priced = price([(tea, 4)])
    assert line_discounts(priced) == [1_000_00]
    assert [a.label for a in priced.lines[0].discounts] == ["Vesak 25% off"]
    assert priced.explanations == ["Ten off everything was not added: Vesak 25% off saves "
                                   "you more, and the two cannot be combined."]


def test_promotions_that_combine_stack_in_priority_order(db_session):
    rice = stocked("Rice", price_cents=1_000_00)
    make_promotion("Ten percent", percent=10, priority=2)
    make_promotion("Rs. 100 off the order", benefit="order_fixed", amount_cents=100_00,
                   priority=1)
    make_promotion("Lines only", percent=5, priority=0, combines_with=["line"])
    priced = price([(rice, 2)])
    # Taken by priority while each combines with all taken: Ten percent, then the order
    # discount; "Lines only" does not allow order discounts beside it, so it stays out.
    assert line_discounts(priced) == [200_00]
    assert priced.discount_cents == 100_00
    assert priced.total_cents == 1_700_00
    assert "Lines only cannot be combined with" in priced.explanations[0]


def test_a_budget_caps_the_discount_given(db_session):
    rice = stocked("Rice", price_cents=1_000_00)
    make_promotion("Launch", percent=50, max_discount_cents=1_000_00,
                   discount_given_cents=800_00)
    assert price([(rice, 2)]).savings_cents == 200_00


def test_an_exhausted_or_paused_or_future_promotion_gives_nothing(db_session):
    rice = stocked("Rice", price_cents=1_000_00)
    now = dt.datetime.now(dt.UTC)
    make_promotion("Used up", max_uses=3, uses_count=3)
    make_promotion("Paused", paused=True)
    make_promotion("Next week", starts_at=now + dt.timedelta(days=7))
    make_promotion("Last week", ends_at=now - dt.timedelta(days=7))
    assert price([(rice, 1)]).savings_cents == 0


@pytest.mark.parametrize("server_zone", ["UTC", "America/Los_Angeles", "Asia/Tokyo"])
def test_a_promotion_ending_new_years_eve_in_colombo_ends_at_midnight_there(
        db_session, server_zone, monkeypatch):
    monkeypatch.setenv("TZ", server_zone)
    time.tzset()
    try:
        rice = stocked("Rice", price_cents=1_000_00)
        end = dt.datetime(2027, 1, 1, 0, 0, tzinfo=COLOMBO).astimezone(dt.UTC)
        make_promotion("Year-end", percent=20, ends_at=end)
        at_2359 = dt.datetime(2026, 12, 31, 23, 59, tzinfo=COLOMBO)
        at_0000 = dt.datetime(2027, 1, 1, 0, 0, tzinfo=COLOMBO)
        assert price([(rice, 1)], now=at_2359.astimezone(dt.UTC)).savings_cents == 200_00
        assert price([(rice, 1)], now=at_0000.astimezone(dt.UTC)).savings_cents == 0
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
    assert os.environ.get("TZ") is None


def test_labels_follow_the_shoppers_language(db_session):
    rice = stocked("Rice", price_cents=1_000_00)
    make_promotion("New year sale", name_si="අලුත් අවුරුදු වට්ටම", name_ta="புத்தாண்டு தள்ளுபடி")
    [adjustment] = price([(rice, 1)], locale="si").lines[0].discounts
    assert adjustment.label == "අලුත් අවුරුදු වට්ටම"
    assert adjustment.labels["ta"] == "புத்தாண்டு தள்ளுபடி"


def test_signed_in_and_segment_conditions(db_session):
    rice = stocked("Rice", price_cents=1_000_00)
    make_promotion("Members", signed_in_only=True)
    make_promotion("Chosen few", segment_customer_ids=[42], percent=5)
    assert price([(rice, 1)]).savings_cents == 0
    assert price([(rice, 1)], customer_id=7).savings_cents == 100_00
    assert price([(rice, 1)], customer_id=42).savings_cents == 100_00 + 45_00
