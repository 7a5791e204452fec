"""The dashboard and the sales report on a phone (390 x 844) and a desk (1280 wide): an
admin sees today's sales with a chart, opens the sales report from the menu, switches it
to districts, downloads the CSV and opens the map of districts. Screenshots land in
KADE_SHOTS (if set)."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from app.accounts.districts import DISTRICTS
from e2e.page_checks import no_sideways_scroll, screenshot
from e2e.staff import STAFF_CONTEXT, open_staff_area, sign_in_new_staff
from e2e.test_accessibility import axe_problems

DISTRICT_NAMES = {names[0] for names in DISTRICTS.values()}


def test_an_admin_reads_the_dashboard_and_the_sales_report(page: Page, live_server):
    # The demo shop's orders were placed today, as the server started: today's sales. (The
    # journey buys nothing itself: the demo's stock is shared with the other journeys.)
    # bypass_csp: axe is a script the page did not load itself.
    staff = page.context.browser.new_context(**STAFF_CONTEXT, accept_downloads=True,
                                             bypass_csp=True)
    problems: list[str] = []
    phone = staff.new_page()
    try:
        sign_in_new_staff(phone, live_server, email="dilani.reports@kade.lk", role="admin",
                          name="Dilani Reports", password="numbers every morning")
        sales = phone.get_by_role("region", name="Sales")
        expect(sales.get_by_role("heading", name="Today")).to_be_visible()
        expect(sales.locator(".dash-figure").first).to_contain_text("Rs.")
        expect(sales.locator("svg .chart-bar")).to_have_count(30)
        expect(phone.get_by_role("region", name="Orders to act on")).to_be_visible()
        expect(phone.get_by_role("region", name="Best sellers, last 30 days").locator(
            "li").first).to_contain_text("sold")
        no_sideways_scroll(phone)
        problems += axe_problems(phone)
        screenshot(phone, "dashboard")

        open_staff_area(phone, "Reports")
        expect(phone.get_by_role("heading", name="Sales", level=1)).to_be_visible()
        phone.get_by_label("Sales by").select_option(label="District")
        phone.get_by_role("button", name="Show").click()
        expect(phone).to_have_url(re.compile(r"by=district"))
        table = phone.locator("table.report-table")
        # The table by district, not the one by date still on the page a moment before.
        expect(table.locator("thead th").first).to_have_text("District")
        expect(table.locator("tbody tr").first).to_be_visible()
        labels = [cell.strip() for cell in table.locator("tbody tr td.name-cell").all_inner_texts()]
        # The district that sold most, by its name (services-only orders have none).
        top = next(label for label in labels if label in DISTRICT_NAMES)
        expect(phone.locator(".bar-list .bar-label").filter(
            has_text=re.compile(rf"^{re.escape(top)}$"))).to_have_count(1)
        no_sideways_scroll(phone)
        problems += axe_problems(phone)
        screenshot(phone, "sales-by-district")

        with phone.expect_download() as download:
            phone.get_by_role("link", name="Download this report (CSV)").click()
        body = Path(download.value.path()).read_bytes()
        assert body.startswith("\ufeffkey,label,orders".encode())
        assert f",{top}," in body.decode("utf-8-sig")

        phone.get_by_role("navigation", name="Reports").get_by_role(
            "link", name="Map of districts").click()
        expect(phone.get_by_role("heading", name="Map of districts", level=1)).to_be_visible()
        expect(phone.locator("svg path.district")).to_have_count(25)
        # By the title's start: "Galle" is also the end of "Kegalle".
        darkest = phone.locator("svg path.district").filter(
            has_text=re.compile(rf"^{re.escape(top)}:"))
        assert "shade-5" in darkest.get_attribute("class")  # the most sales, the darkest
        expect(phone.locator(".district-table tbody tr").first).to_contain_text(top)
        # (the map leaves out orders without a district, so its first row is `top` too)
        no_sideways_scroll(phone)
        problems += axe_problems(phone)
        screenshot(phone, "district-map")

        tabs = phone.get_by_role("navigation", name="Reports")
        for name in ("Promotions", "Customers", "Funnel", "Stock", "VAT"):
            tabs.get_by_role("link", name=name, exact=True).click()
            expect(phone.get_by_role("heading", name=name, level=1)).to_be_visible()
            expect(tabs.get_by_role("link", name=name, exact=True)).to_have_attribute(
                "aria-current", "page")
            no_sideways_scroll(phone)
            problems += axe_problems(phone)
            screenshot(phone, f"report-{name.lower()}")

        desk = staff.new_page()
        desk.set_viewport_size({"width": 1280, "height": 900})
        desk.goto(f"{live_server.url}/staff/")
        expect(desk.get_by_role("region", name="Sales")).to_be_visible()
        no_sideways_scroll(desk)
        screenshot(desk, "dashboard")
        desk.goto(f"{live_server.url}/staff/reports/sales")
        expect(desk.locator("svg .chart-bar")).to_have_count(30)
        no_sideways_scroll(desk)
        screenshot(desk, "sales")
        desk.goto(f"{live_server.url}/staff/reports/districts")
        expect(desk.locator("svg path.district")).to_have_count(25)
        no_sideways_scroll(desk)
        screenshot(desk, "district-map")
        assert problems == []
    finally:
        staff.close()
