"""The dashboard and the sales report on a phone (390 x 844) and a desk (1280 wide): an
admin sees today's sales with a chart, opens the sales report from the menu, switches it to
districts and downloads the CSV. Screenshots land in KADE_SHOTS (if set)."""

from __future__ import annotations

import os
from pathlib import Path

from playwright.sync_api import Page, expect

from e2e.shopper import Guest, place_cod_order
from e2e.staff import STAFF_CONTEXT, open_staff_area, sign_in_new_staff

GUEST = Guest("Kamala Silva", "kamala.reports@example.lk", "077 555 0177", "3 Lake Road",
              "Kurunegala", "Kurunegala")
SHOTS = os.environ.get("KADE_SHOTS")


def _shot(page: Page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def _no_sideways_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


def test_an_admin_reads_the_dashboard_and_the_sales_report(page: Page, live_server):
    place_cod_order(page, GUEST)  # a cash order: a sale of today at once
    staff = page.context.browser.new_context(**STAFF_CONTEXT, accept_downloads=True)
    phone = staff.new_page()
    try:
        sign_in_new_staff(phone, live_server, email="dilani.reports@kade.lk", role="admin",
                          name="Dilani Reports", password="numbers every morning")
        sales = phone.get_by_role("region", name="Sales")
        expect(sales.get_by_role("heading", name="Today")).to_be_visible()
        expect(sales.locator(".dash-figure").first).to_contain_text("Rs.")
        expect(sales.locator("svg .chart-bar")).to_have_count(30)
        expect(phone.get_by_role("region", name="Orders to act on")).to_be_visible()
        expect(phone.get_by_role("region", name="Best sellers, last 30 days")).to_contain_text(
            "Ceylon black tea leaves")
        _no_sideways_scroll(phone)
        _shot(phone, "dashboard-390")

        open_staff_area(phone, "Reports")
        expect(phone.get_by_role("heading", name="Sales", level=1)).to_be_visible()
        phone.get_by_label("Sales by").select_option(label="District")
        phone.get_by_role("button", name="Show").click()
        table = phone.locator("table.report-table")
        expect(table.locator("tbody")).to_contain_text("Kurunegala")
        expect(phone.locator(".bar-list li").first).to_be_visible()
        _no_sideways_scroll(phone)
        _shot(phone, "sales-by-district-390")

        with phone.expect_download() as download:
            phone.get_by_role("link", name="Download this report (CSV)").click()
        body = Path(download.value.path()).read_bytes()
        assert body.startswith("\ufeffkey,label,orders".encode())
        assert "Kurunegala" in body.decode("utf-8-sig")

        desk = staff.new_page()
        desk.set_viewport_size({"width": 1280, "height": 900})
        desk.goto(f"{live_server.url}/staff/")
        expect(desk.get_by_role("region", name="Sales")).to_be_visible()
        _no_sideways_scroll(desk)
        _shot(desk, "dashboard-1280")
        desk.goto(f"{live_server.url}/staff/reports/sales")
        expect(desk.locator("svg .chart-bar")).to_have_count(30)
        _no_sideways_scroll(desk)
        _shot(desk, "sales-1280")
    finally:
        staff.close()
