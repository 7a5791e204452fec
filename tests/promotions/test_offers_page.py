"""/offers: the public promotions running now and those to come, in the shopper's language,
with their conditions in words and links to what they cover."""

from __future__ import annotations

import datetime as dt

from app import db
from app.catalog import services as catalog
from app.db import transaction, utcnow
from app.promotions.models import VoucherCode
from tests.catalog.factories import make_category, make_product
from tests.promotions.factories import make_promotion


def page(client, locale: str | None = None) -> str:
    if locale:
        client.post("/language", data={"language": locale})
    response = client.get("/offers")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_no_offers_says_so(client, db_session):
    make_promotion("Secret", is_public=False)
    make_promotion("Paused", paused=True)

    html = page(client)

    assert "There are no offers running just now" in html
    assert "Secret" not in html and "Paused" not in html


def test_a_running_offer_with_its_label_end_and_conditions(client, db_session):
    make_category("groceries")
    make_promotion("Avurudu sale", percent=15, description_en="For the new year.",
                   category_ids=[catalog.get_category("groceries").id],
                   min_subtotal_cents=5_000_00, districts=["kandy", "colombo"],
                   first_order_only=True,
                   ends_at=dt.datetime(2099, 4, 15, 18, 29, tzinfo=dt.UTC))

    html = page(client)

    assert "Avurudu sale" in html and "For the new year." in html
    assert '<span class="badge badge-offer">15% off</span>' in html
    assert "Ends 15 Apr 2099, 23:59" in html  # Colombo time
    assert "Minimum spend Rs. 5,000.00" in html
    assert "For delivery to: Colombo, Kandy" in html
    assert "On your first order only" in html
    assert 'href="/c/groceries"' in html


def test_a_public_code_is_named_only_when_it_is_the_only_one(client, db_session):
    make_promotion("Welcome", code="WELCOME10")
    batch = make_promotion("Flyer", code="FLY-0001")
    with transaction():
        db.session.merge(batch).codes.append(VoucherCode(code="FLY-0002", max_uses=1))
    make_promotion("Hidden code", code="STAFFONLY", is_public=False)
    make_promotion("Just for you", code="ONLY-ONCE", code_uses=1)

    html = page(client)

    assert '<span class="offer-code">WELCOME10</span>' in html
    assert "Flyer" in html and "FLY-0001" not in html and "With a voucher code" in html
    assert "STAFFONLY" not in html and "Hidden code" not in html
    assert "Just for you" in html and "ONLY-ONCE" not in html


def test_used_up_ended_and_chosen_customers_offers_are_left_out(client, db_session):
    make_promotion("Used up", max_uses=3, uses_count=3)
    make_promotion("Over", ends_at=utcnow() - dt.timedelta(seconds=1))
    make_promotion("For a few", segment_customer_ids=[7])
    make_promotion("Running")

    html = page(client)

    assert "Running" in html
    for name in ("Used up", "Over", "For a few"):
        assert name not in html


def test_upcoming_offers_say_when_they_start(client, db_session):
    make_promotion("Christmas", starts_at=dt.datetime(2099, 12, 20, 18, 30, tzinfo=dt.UTC),
                   ends_at=dt.datetime(2099, 12, 27, 18, 30, tzinfo=dt.UTC))

    html = page(client)

    assert "Coming soon" in html
    assert "Starts 21 Dec 2099, 00:00" in html and "ends 28 Dec 2099, 00:00" in html
    assert "There are no offers running just now" in html


def test_products_named_are_linked(client, db_session):
    tea = make_product("Ceylon tea")
    kettle = make_product("Kettle")
    make_product("Draft kettle", status="draft")
    make_promotion("Tea time", benefit="bundle", amount_cents=4_500_00,
                   bundle_variant_ids=[tea.variants[0].id, kettle.variants[0].id])

    html = page(client)

    assert "Bundle offer" in html
    assert f'href="/p/{tea.slug}"' in html and f'href="/p/{kettle.slug}"' in html


def test_in_sinhala_and_tamil(client, db_session):
    make_promotion("New year sale", name_si="අලුත් අවුරුදු වට්ටම", name_ta="புத்தாண்டு தள்ளுபடி",
                   description_si="සියලු භාණ්ඩ", description_ta="எல்லா பொருட்களும்",
                   benefit="line_fixed", amount_cents=200_00,
                   ends_at=dt.datetime(2099, 4, 15, 18, 29, tzinfo=dt.UTC))

    si = page(client, "si")
    assert "අලුත් අවුරුදු වට්ටම" in si and "සියලු භාණ්ඩ" in si and "රු.200" in si
    assert 'lang="si"' in si

    ta = page(client, "ta")
    assert "புத்தாண்டு தள்ளுபடி" in ta and "எல்லா பொருட்களும்" in ta


def test_the_footer_links_to_the_offers(client, db_session):
    html = client.get("/").get_data(as_text=True)

    assert 'href="/offers"' in html
