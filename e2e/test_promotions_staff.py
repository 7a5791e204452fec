"""Marketing on a phone (390 x 844) and a desk (1280 wide): a promotion made from the form,
previewed on a sample cart, given a code and a batch of codes, paused; the pages never scroll
sideways and axe finds no serious problem. Screenshots land in KADE_SHOTS (if set)."""

from pathlib import Path

from playwright.sync_api import Page, expect

from e2e.page_checks import no_sideways_scroll, screenshot
from e2e.staff import STAFF_CONTEXT, open_staff_area, sign_in_new_staff
from e2e.test_accessibility import axe_problems

STAFF_EMAIL = "dilini.offers@kade.lk"
STAFF_PASSWORD = "offers for avurudu season"  # noqa: S105 — a test login




def test_marketing_makes_a_promotion_on_a_phone(page: Page, live_server):
    # bypass_csp: axe is a script the page did not load itself.
    staff = page.context.browser.new_context(**STAFF_CONTEXT, bypass_csp=True)
    phone = staff.new_page()
    try:
        sign_in_new_staff(phone, live_server, email=STAFF_EMAIL, role="marketing",
                          name="Dilini Offers", password=STAFF_PASSWORD)
        open_staff_area(phone, "Promotions")
        expect(phone.get_by_role("heading", name="Promotions")).to_be_visible()
        screenshot(phone, "promo-list-empty")

        phone.get_by_role("button", name="New promotion").click()
        phone.get_by_label("Name (English)").fill("Avurudu tea week")
        phone.get_by_label("What it gives").select_option("buy_x_get_y")
        expect(phone.get_by_label("Buy (X)")).to_be_visible()
        phone.get_by_label("What it gives").select_option("line_percent")
        expect(phone.get_by_label("Buy (X)")).to_be_hidden()  # only its own settings show
        phone.get_by_label("Percent off").fill("15")
        phone.get_by_label("Starts (Colombo time)").fill("2026-04-10T00:00")
        phone.get_by_label("Ends (Colombo time)").fill("2026-04-10T00:00")
        phone.get_by_label("Kandy").check()
        phone.get_by_label("Uses in all").fill("500")
        phone.get_by_role("button", name="Save").click()
        # The end must come after the start: said under the field, the rest kept.
        expect(phone.locator("#ends_at-error")).to_contain_text("after the start")
        expect(phone.get_by_label("Percent off")).to_have_value("15")
        no_sideways_scroll(phone)
        screenshot(phone, "promo-form-error")
        problems = axe_problems(phone)

        phone.get_by_label("Ends (Colombo time)").fill("2027-04-20T00:00")
        phone.get_by_label("Sample cart (SKU and quantity, one a line)").fill("KD-0001-1 2")
        phone.get_by_label("District", exact=True).select_option("kandy")
        phone.get_by_role("button", name="Preview").click()
        expect(phone.locator(".preview-result")).to_contain_text("Avurudu tea week")
        no_sideways_scroll(phone)
        screenshot(phone, "promo-form-preview")

        phone.get_by_role("button", name="Save").click()
        expect(phone.get_by_text("Promotion “Avurudu tea week” saved.")).to_be_visible()
        phone.locator("summary", has_text="Add a code").click()
        phone.get_by_label("Code", exact=True).fill("avurudu15")
        phone.get_by_role("button", name="Add the code").click()
        expect(phone.get_by_text("Code AVURUDU15 added.")).to_be_visible()
        phone.locator("summary", has_text="Make many codes").click()
        phone.get_by_label("How many").fill("25")
        phone.get_by_label("Prefix (optional)").fill("AVU-")
        phone.get_by_role("button", name="Make the codes").click()
        expect(phone.get_by_text("25 codes made in batch")).to_be_visible()
        no_sideways_scroll(phone)
        screenshot(phone, "promo-detail")
        problems += axe_problems(phone)

        phone.get_by_role("button", name="Pause").click()
        expect(phone.get_by_text("“Avurudu tea week” is paused.")).to_be_visible()
        expect(phone.get_by_role("button", name="Resume")).to_be_visible()
        with phone.expect_download() as download:
            phone.get_by_role("link", name="Download all codes (CSV)").click()
        assert Path(download.value.path()).read_bytes().startswith("\ufeffcode,".encode())

        phone.get_by_role("button", name="Duplicate").click()
        expect(phone.get_by_role("heading", name="Avurudu tea week (copy)")).to_be_visible()
        open_staff_area(phone, "Promotions")
        expect(phone.get_by_role("link", name="Avurudu tea week", exact=True)).to_be_visible()
        no_sideways_scroll(phone)
        screenshot(phone, "promo-list")
        problems += axe_problems(phone)
        assert problems == []

        phone.get_by_label("Status").select_option("paused")
        expect(phone.locator("#promotion-results")).to_contain_text("(copy)")

        desk = staff.new_page()
        desk.set_viewport_size({"width": 1280, "height": 900})
        desk.goto(f"{live_server.url}/staff/promotions")
        no_sideways_scroll(desk)
        screenshot(desk, "promo-list")
        desk.get_by_role("link", name="Avurudu tea week", exact=True).click()
        no_sideways_scroll(desk)
        screenshot(desk, "promo-detail")
        desk.get_by_role("button", name="Edit").click()
        no_sideways_scroll(desk)
        screenshot(desk, "promo-form")
    finally:
        staff.close()
