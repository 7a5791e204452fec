"""A shopper on a phone browses the demo shop: a category, a price filter, a product, another
pack size, the same page in Tamil. Then the listing pages as a phone shows them."""

import re
import subprocess
import sys

import pytest
from playwright.sync_api import Page, expect

from e2e.conftest import ROOT

# Three pages of 24 and more: the demo shop alone has fewer products than that.
EXTRA_PRODUCTS = 80
# Imports a CSV of `EXTRA_PRODUCTS` published products through the catalog's own import, as
# the system (no staff member), waiting for its job: the server's database gets them.
_IMPORT = """
import csv, io, sys
from app import create_app
from app.catalog import imports

out = io.StringIO()
writer = csv.writer(out)
writer.writerow(["product_slug", "status", "name_en", "sku", "price"])
for n in range(int(sys.argv[1])):
    writer.writerow([f"scroll-cushion-{n:03d}", "published", f"Handloom cushion cover {n}",
                     f"SCROLL-{n:03d}", "1,200.00"])
app = create_app()
with app.app_context():
    record = imports.start_import("scroll.csv", out.getvalue().encode(), actor=None)
    for thread in app.extensions.get("kade_job_threads", []):
        thread.join(timeout=120)
    imports.run_import(record.id)  # a no-op when the job above ran it
    record = imports.get_import(record.id, actor=None)
    if record.status != "done":
        sys.exit(f"import {record.status}: {record.errors}")
"""


@pytest.fixture(scope="module")
def enough_products_for_three_pages(live_server):
    """The listing's infinite scroll needs more than three pages; no other test's import may
    be counted on (each test runs alone too)."""
    result = subprocess.run([sys.executable, "-c", _IMPORT, str(EXTRA_PRODUCTS)], cwd=ROOT,
                            env=live_server.env, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stdout + result.stderr


def test_browse_filter_open_a_product_pick_a_pack_and_read_it_in_tamil(page: Page, live_server):
    page.goto("/")
    page.get_by_role("link", name="Groceries", exact=True).click()
    expect(page.get_by_role("heading", name="Groceries", level=1)).to_be_visible()
    page.get_by_role("link", name="Tea & spices").click()
    expect(page.get_by_role("heading", name="Tea & spices", level=1)).to_be_visible()
    count = page.get_by_role("status").filter(has_text="items")
    expect(count).to_have_text("10 items")

    page.get_by_text("Filters", exact=True).click()
    page.get_by_label("Minimum price").fill("600")
    page.get_by_label("Maximum price").fill("1000")
    page.get_by_role("button", name="Apply filters").click()
    expect(count).to_have_text("4 items")
    expect(page).to_have_url(re.compile(r"/c/tea-spices\?.*min_price=600&max_price=1000"))
    expect(page.get_by_role("link", name="Cardamom")).to_have_count(0)  # Rs. 1,450

    page.get_by_role("link", name="Ceylon black tea leaves").click()
    heading = page.get_by_role("heading", level=1)
    price = page.locator("#product-price")
    expect(heading).to_have_text("Ceylon black tea leaves")
    expect(price).to_have_text("Rs. 650.00")
    expect(page.get_by_role("radio", name=re.compile("250 g"))).to_be_checked()

    page.get_by_text("500 g", exact=True).click()
    expect(price).to_have_text("Rs. 1,235.00")
    expect(page.get_by_role("radio", name=re.compile("500 g"))).to_be_checked()
    expect(page).to_have_url(re.compile(r"\?variant=\d+"))
    expect(page.get_by_role("button", name="Show this option")).to_be_hidden()

    page.get_by_role("button", name="தமிழ்").click()
    expect(page.locator("html")).to_have_attribute("lang", "ta")
    expect(heading).to_have_text("தேயிலை")
    expect(price).to_contain_text("1,235.00")  # the pack chosen before stays chosen
    expect(page.get_by_role("link", name="தேநீர் & மசாலா")).to_be_visible()  # breadcrumbs
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")


def test_more_products_load_as_the_shopper_scrolls(page: Page, live_server,
                                                  enough_products_for_three_pages):
    page.goto("/products")
    cards = page.get_by_role("article")
    expect(cards).to_have_count(24)

    pager = page.get_by_role("navigation", name="Pages")
    pager.scroll_into_view_if_needed()
    expect(cards).to_have_count(48)  # page 2 joined page 1 in one list
    expect(pager).to_contain_text("Page 2 of")
    pager.scroll_into_view_if_needed()

    expect(cards).to_have_count(72)
    expect(pager).to_contain_text("Page 3 of")


def test_pages_work_without_javascript(browser, base_url):
    context = browser.new_context(java_script_enabled=False, base_url=base_url,
                                  viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        page.goto("/products")
        page.get_by_role("link", name="Next →").click()
        expect(page.get_by_role("navigation", name="Pages")).to_contain_text("Page 2 of")
        expect(page.get_by_role("article")).to_have_count(24)

        page.get_by_label("Sort by").select_option(label="Price: high to low")
        page.get_by_role("button", name="Sort").click()
        expect(page).to_have_url(re.compile(r"sort=price_desc"))
        expect(page.get_by_role("navigation", name="Pages")).to_contain_text("Page 1 of")
        prices = [float(re.search(r"[\d,]+\.\d\d", p).group().replace(",", "")) for p in
                  page.get_by_role("article").locator("strong").all_inner_texts()]
        assert len(prices) == 24 and prices == sorted(prices, reverse=True)

        page.goto("/p/rice-cooker")
        page.get_by_text("Black", exact=True).click()
        page.get_by_role("button", name="Show this option").click()
        expect(page.locator("#product-price")).to_have_text("Rs. 13,125.00")
    finally:
        context.close()


def test_catalog_pages_fit_a_small_phone(page: Page, live_server):
    for width in (390, 360):
        page.set_viewport_size({"width": width, "height": 800})
        for path in ["/", "/products", "/c/clothing", "/p/handloom-bedsheet",
                     "/p/sri-lankan-cooking-class"]:
            page.goto(path)
            scroll_width = page.evaluate("document.documentElement.scrollWidth")
            assert scroll_width <= width, f"{path} is {scroll_width}px wide on a {width}px phone"
            columns = page.evaluate(
                "getComputedStyle(document.querySelector('.product-grid, .product-layout'))"
                ".gridTemplateColumns.split(' ').length")
            assert columns == (1 if path.startswith("/p/") else 2), (path, columns)
