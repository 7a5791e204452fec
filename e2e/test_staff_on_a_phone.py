"""The back office on a phone (390 x 844) and on a desk (1280 wide): the menu grouped and
folded into one button, every tap target in it at least 44 x 44, orders and payments as
compact rows without sideways scrolling, status pills that differ in word and colour, and a
refund that is only made after a confirmation page. Screenshots land in KADE_SHOTS (if set)."""

import re

from playwright.sync_api import Page, expect

from e2e.page_checks import no_sideways_scroll, screenshot
from e2e.shopper import Guest, place_cod_order
from e2e.staff import STAFF_CONTEXT, sign_in_new_staff

EMAIL = "nadee.rows@example.lk"
GUEST = Guest("Nadee Perera", EMAIL, "077 555 0101", "8 Fort Road", "Galle", "Galle")
STAFF_EMAIL = "ruwan.rows@kade.lk"
STAFF_PASSWORD = "rows of orders on a phone"  # noqa: S105 — a test login

# Contrast of a pill's text on its background (WCAG relative luminance), in the page.
CONTRAST_JS = """el => {
  const rgb = s => s.match(/\\d+(\\.\\d+)?/g).slice(0, 3).map(Number);
  const lum = c => { const [r, g, b] = c.map(v => { v /= 255;
    return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const style = getComputedStyle(el);
  const [a, b] = [lum(rgb(style.color)), lum(rgb(style.backgroundColor))];
  return { ratio: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05), bg: style.backgroundColor };
}"""
SMALL_TARGETS_JS = """nav => [...nav.querySelectorAll('a, summary, button')]
  .filter(el => el.getClientRects().length)
  .map(el => { const r = el.getBoundingClientRect();
               return { text: el.textContent.trim(), w: r.width, h: r.height }; })
  .filter(t => t.w < 44 || t.h < 44)"""



def _tap(page: Page, locator) -> None:
    """A thumb on that spot (the row's link covers it: Playwright's click would refuse)."""
    locator.scroll_into_view_if_needed()
    box = locator.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)




def test_the_back_office_on_a_phone_and_a_desk(page: Page, live_server):
    number = place_cod_order(page, GUEST)
    staff = page.context.browser.new_context(**STAFF_CONTEXT)
    phone = staff.new_page()
    try:
        sign_in_new_staff(phone, live_server, email=STAFF_EMAIL, role="order_manager",
                          name="Ruwan Rows", password=STAFF_PASSWORD)
        menu = phone.get_by_role("navigation", name="Back office")
        expect(menu.get_by_role("link", name="Orders")).to_be_hidden()  # folded
        menu.locator("summary").click()
        expect(menu.locator("details").get_by_text("Sell", exact=True)).to_be_visible()
        expect(menu.locator("details").get_by_text("Catalogue", exact=True)).to_be_visible()
        expect(menu.get_by_role("button", name="Sign out")).to_be_visible()
        assert menu.evaluate(SMALL_TARGETS_JS) == []
        assert phone.locator("header nav").evaluate(SMALL_TARGETS_JS) == []
        no_sideways_scroll(phone)
        screenshot(phone, "menu")
        menu.get_by_role("link", name="Orders").click()

        expect(phone.get_by_role("heading", name="Orders", level=1)).to_be_visible()
        no_sideways_scroll(phone)
        row = phone.locator("#order-results tbody tr").filter(has_text=number)
        expect(row).to_contain_text("Rs.")
        expect(row.locator(".pill")).to_have_text("Confirmed")
        assert row.bounding_box()["height"] < 110  # a compact row, not a card of labels
        assert row.locator(".pill").evaluate(CONTRAST_JS)["ratio"] >= 7
        screenshot(phone, "orders")
        _tap(phone, row.locator(".col-who"))  # anywhere on the row opens the order

        expect(phone.get_by_role("heading", name=number, level=1)).to_be_visible()
        no_sideways_scroll(phone)
        screenshot(phone, "order")

        phone.goto(f"{live_server.url}/staff/payments")
        no_sideways_scroll(phone)
        prow = phone.locator("#payment-results tbody tr").filter(has_text=number)
        started = prow.locator(".pill")
        expect(started).to_have_text("Started")
        assert started.evaluate(CONTRAST_JS)["ratio"] >= 7
        screenshot(phone, "payments")
        _tap(phone, prow.locator(".col-who"))
        expect(phone.get_by_role("heading", name=f"Payment for {number}")).to_be_visible()
        confirmed = phone.locator("dd .pill.order-status-processing")
        phone.get_by_role("button", name="Mark cash collected").click()
        expect(phone.locator("#payment-status")).to_have_text("Paid")
        assert (phone.locator("#payment-status").evaluate(CONTRAST_JS)["bg"]
                != confirmed.evaluate(CONTRAST_JS)["bg"])  # a different word, a different colour

        # A refund starts empty, offers a line's value, and asks to confirm.
        amount = phone.get_by_label("Amount to refund (rupees)")
        expect(amount).to_have_value("")
        phone.get_by_role("link", name=re.compile(r"^Line: Ceylon black tea leaves")).click()
        expect(amount).not_to_have_value("")
        phone.get_by_label("Reason (the customer reads it)").fill("Box arrived wet")
        phone.get_by_role("button", name="Review the refund").click()
        expect(phone.get_by_role("heading", name="Confirm the refund")).to_be_visible()
        expect(phone.locator("#refund-confirm-amount")).to_contain_text("Rs.")
        no_sideways_scroll(phone)
        screenshot(phone, "refund-confirm")
        phone.get_by_role("button", name=re.compile(r"^Confirm: refund Rs\.")).click()
        expect(phone.get_by_text(re.compile(r"Refund of Rs\. [\d,.]+ recorded"))).to_be_visible()
        # Cash is paid back by hand: the refund waits for staff to say so, with a full-size button.
        refunds = phone.locator("#refunds")
        expect(refunds.get_by_role("button", name="Mark paid back")).to_be_visible()
        assert refunds.evaluate(SMALL_TARGETS_JS) == []
        no_sideways_scroll(phone)
        screenshot(phone, "payment")

        desk = staff.new_page()
        desk.set_viewport_size({"width": 1280, "height": 900})
        desk.goto(f"{live_server.url}/staff/orders")
        wide = desk.get_by_role("navigation", name="Back office")
        expect(wide.get_by_role("link", name="Payments")).to_be_visible()  # no menu button
        expect(wide.locator("summary")).to_be_hidden()
        assert wide.evaluate(SMALL_TARGETS_JS) == []
        assert desk.locator("header nav").evaluate(SMALL_TARGETS_JS) == []
        no_sideways_scroll(desk)
        screenshot(desk, "orders")
        desk.get_by_role("link", name=number).click()
        expect(desk.get_by_role("heading", name=number, level=1)).to_be_visible()
        screenshot(desk, "order")
        desk.goto(f"{live_server.url}/staff/payments")
        screenshot(desk, "payments")
    finally:
        staff.close()
