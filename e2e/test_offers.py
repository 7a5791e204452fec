"""A shopper meets the shop's promotions: a badge and the price after the discount on a
category's cards and on the product page, and the /offers page listing what runs and what
is coming, on a phone and on a desktop, in English and Tamil.

The promotions are written straight into the server's database (the back office's
promotions pages have their own journey) on the Beauty & care category, which no other
journey buys from, and removed at the end; the server keeps loaded promotions for five
seconds, so the first page is reloaded until it shows them."""

from __future__ import annotations

import subprocess
import sys

import pytest
from playwright.sync_api import Page, expect

from e2e.conftest import ROOT
from e2e.page_checks import problems

SHOTS = "offers"
MAKE = """
import datetime as dt
from app import create_app, db
from app.catalog import services as catalog
from app.db import transaction, utcnow
from app.promotions.models import Promotion, VoucherCode
app = create_app()
with app.app_context():
    beauty = catalog.get_category("beauty")
    [first] = catalog.list_products(catalog.ProductFilter(category="beauty"), sort="name",
                                    per_page=1).items
    now = utcnow()
    with transaction():
        db.session.add_all([
            Promotion(name_en="E2E Beauty week", name_ta="அழகு வாரம்", percent=15,
                      benefit="line_percent", category_ids=[beauty.id],
                      description_en="Fifteen percent off everything for your skin and hair.",
                      description_ta="தோல் மற்றும் முடிக்கான அனைத்திற்கும் பதினைந்து சதவீத தள்ளுபடி.",
                      ends_at=now + dt.timedelta(days=9), combines_with=["order", "delivery"]),
            Promotion(name_en="E2E Three for two", benefit="buy_x_get_y", buy_quantity=2,
                      get_quantity=1, product_ids=[first.id], priority=5,
                      min_subtotal_cents=2_000_00, districts=["colombo", "gampaha"],
                      combines_with=["order", "delivery"]),
            Promotion(name_en="E2E Welcome", benefit="order_percent", percent=10,
                      requires_code=True, first_order_only=True,
                      codes=[VoucherCode(code="E2EWELCOME")]),
            Promotion(name_en="E2E Avurudu", benefit="delivery", percent=100,
                      starts_at=now + dt.timedelta(days=30),
                      ends_at=now + dt.timedelta(days=37)),
        ])
"""
REMOVE = """
from sqlalchemy import delete
from app import create_app, db
from app.db import transaction
from app.promotions.models import Promotion
app = create_app()
with app.app_context(), transaction():
    db.session.execute(delete(Promotion).where(Promotion.name_en.startswith("E2E ")))
"""


def _python(live_server, code: str) -> None:
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=live_server.env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]


@pytest.fixture()
def promotions(live_server):
    _python(live_server, MAKE)
    yield
    _python(live_server, REMOVE)


def _shot(page: Page, live_server, name: str) -> None:
    width = page.viewport_size["width"]
    folder = live_server.log_path.parent / SHOTS
    folder.mkdir(exist_ok=True)
    page.screenshot(path=str(folder / f"{name}-{width}.png"), full_page=True)


def test_badges_and_the_offers_page(page: Page, live_server, promotions):
    offer = page.locator(".product-card .badge-offer").first
    for _ in range(20):  # the server may hold the promotions it loaded for 5 s more
        page.goto("/c/beauty")
        if offer.count():
            break
        page.wait_for_timeout(500)
    expect(offer).to_be_visible()
    expect(page.locator(".badge-offer", has_text="15% off").first).to_be_visible()
    expect(page.locator(".badge-offer", has_text="Buy 2 get 1 free")).to_be_visible()
    expect(page.locator(".product-card .price-offer").first).to_be_visible()
    assert problems(page) == []
    _shot(page, live_server, "category")

    page.locator(".product-card-link").nth(1).click()
    expect(page.locator("#product-offer")).to_contain_text("15% off")
    expect(page.locator("#product-price s")).to_be_visible()
    _shot(page, live_server, "product")

    page.locator("#product-offer").get_by_role("link", name="See all offers").click()
    expect(page.get_by_role("heading", name="Offers", level=1)).to_be_visible()
    expect(page.get_by_role("heading", name="E2E Beauty week")).to_be_visible()
    expect(page.get_by_text("Minimum spend Rs. 2,000.00")).to_be_visible()
    expect(page.locator(".offer-code", has_text="E2EWELCOME")).to_be_visible()
    expect(page.get_by_role("heading", name="Coming soon")).to_be_visible()
    expect(page.locator(".offer-card", has_text="E2E Avurudu")).to_contain_text("Starts")
    assert problems(page) == []
    _shot(page, live_server, "offers")

    page.get_by_role("button", name="தமிழ்").click()
    expect(page.get_by_role("heading", name="அழகு வாரம்")).to_be_visible()
    assert problems(page) == []
    _shot(page, live_server, "offers-ta")
    page.get_by_role("button", name="English").click()

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/offers")
    assert problems(page) == []
    _shot(page, live_server, "offers")
    page.goto("/c/beauty")
    assert problems(page) == []
    _shot(page, live_server, "category")
