"""A catalog manager on a phone imports a 1 000-row CSV and watches it finish, then uploads a
file with one bad row and sees that row's problem, with nothing imported."""

import csv
import io
import re

from playwright.sync_api import Page, expect

from e2e.staff import open_staff_area, sign_in_new_staff

EMAIL = "catalog.manager@kade.lk"
PASSWORD = "a long catalog phrase"  # noqa: S105 — made for this test only
SIZES = ["S", "M", "L", "XL"]


def _csv(prefix: str, rows: int = 1000, bad_row: int | None = None) -> bytes:
    """`rows` variants, four sizes per product; `bad_row` (spreadsheet numbering, header is
    row 1) gets a price nobody can read."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["product_slug", "status", "name_en", "name_si", "sku", "price",
                     "options", "attributes"])
    for i in range(rows):
        n = i // 4
        price = "twelve" if bad_row == i + 2 else f"{1500 + (i % 4) * 100:,}.00"
        writer.writerow([f"{prefix}-sarong-{n:04d}", "published", f"Batik sarong {n}",
                         f"බතික් සරම {n}", f"{prefix.upper()}-{n:04d}-{SIZES[i % 4]}", price,
                         f"size={SIZES[i % 4]}", "material=cotton"])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _sign_in_as_new_catalog_manager(page: Page, live_server) -> None:
    sign_in_new_staff(page, live_server, email=EMAIL, role="catalog_manager",
                      name="Chamari Catalog", password=PASSWORD)


def _upload(page: Page, name: str, data: bytes) -> None:
    open_staff_area(page, "Catalog")
    # Wait for the boosted navigation to land before the next click: a click on the old
    # page's own "Import and export" link while it is under way is lost when it swaps in.
    expect(page).to_have_url(re.compile(r"/staff/catalog$"))
    page.get_by_role("link", name="Import and export").click()
    expect(page).to_have_url(re.compile(r"/staff/catalog/import$"))
    page.get_by_label("CSV file").set_input_files(
        files=[{"name": name, "mimeType": "text/csv", "buffer": data}])
    page.get_by_role("button", name="Upload and import").click()


def test_catalog_manager_imports_a_csv_and_sees_bad_rows(page: Page, live_server):
    _sign_in_as_new_catalog_manager(page, live_server)

    _upload(page, "sarongs.csv", _csv("e2e"))
    expect(page.get_by_role("progressbar")).to_be_visible()
    expect(page.get_by_text("1000 rows imported")).to_be_visible(timeout=60_000)
    page.get_by_role("link", name="See the products").click()
    page.get_by_label("Name or SKU").fill("E2E-0249-XL")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("link", name="Batik sarong 249", exact=True)).to_be_visible()

    _upload(page, "sarongs-bad.csv", _csv("bad", rows=40, bad_row=17))
    expect(page.get_by_role("heading", name="Nothing was imported")).to_be_visible(
        timeout=60_000)
    problem = page.locator(".import-errors tbody tr")
    expect(problem).to_have_count(1)
    expect(problem).to_contain_text("17")
    expect(problem).to_contain_text("price: Enter an amount in rupees, like 1,250.00.")
    page.get_by_role("link", name="Products and services").click()
    page.get_by_label("Name or SKU").fill("bad-sarong")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_text("No products match these filters.")).to_be_visible()
