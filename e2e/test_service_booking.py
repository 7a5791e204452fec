"""A guest on a phone books a home service (the demo shop's deep cleaning, done at the
customer's address in six districts, Jaffna among them). Checkout asks for the address
although nothing is delivered, refuses a district the service does not cover and says
which it does, then takes a Jaffna address; the order page, the staff order page and the
invoice show where the team goes, and cash is paid on the day of the booking."""

import io
import re

from playwright.sync_api import Page, expect
from pypdf import PdfReader

from e2e.staff import STAFF_CONTEXT, sign_in_new_staff

EMAIL = "kumaran.booking@example.lk"
STAFF_EMAIL = "tharaka.visits@kade.lk"
STAFF_PASSWORD = "ladders and dust sheets"  # noqa: S105 — a test login
SERVED = "Colombo, Galle, Gampaha, Jaffna, Kalutara, Kandy"


def test_a_home_cleaning_booked_for_jaffna_asks_for_an_address_it_covers(
        page: Page, live_server, tmp_path):
    page.goto("/p/home-deep-cleaning")
    expect(page.locator("#service-place")).to_contain_text("At your address, in:")
    expect(page.locator("#service-place")).to_contain_text("Jaffna")
    expect(page.get_by_role("radio").first).to_be_checked()  # the first free time
    page.get_by_role("button", name="Add to cart", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="Added to your cart.")).to_be_visible()

    page.goto("/cart")
    page.get_by_role("link", name="Check out").click()
    expect(page.get_by_role("heading", name="Address", level=2)).to_be_visible()
    expect(page.locator("#service-area-note")).to_have_text(
        f"Home deep cleaning is done at your address. We come to: {SERVED}.")
    page.get_by_label("Full name").fill("Kumaran Sivakumar")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Mobile number").fill("077 123 4567")
    page.get_by_label("Address line 1").fill("14 Hospital Road")
    page.get_by_label("City or town").fill("Batticaloa")
    page.get_by_label("District").select_option(label="Batticaloa")
    page.get_by_role("button", name="Continue to payment").click()

    error = page.locator("#district-error")
    expect(error).to_have_text(
        f"Home deep cleaning is not offered in Batticaloa. It covers: {SERVED}. Choose an "
        "address in one of these districts, or remove it from your cart.")
    expect(page.get_by_label("District")).to_have_attribute("aria-invalid", "true")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=tmp_path / "checkout-address-refused.png", full_page=True)

    page.get_by_label("City or town").fill("Jaffna")
    page.get_by_label("District").select_option(label="Jaffna")
    page.get_by_role("button", name="Continue to payment").click()

    expect(page.get_by_role("heading", name="Payment", level=2)).to_be_visible()
    cash = page.get_by_role("radio", name=re.compile("Cash on delivery"))
    expect(page.locator("label").filter(has=cash)).to_contain_text(
        "Pay in cash on the day of your booking.")
    cash.check()
    page.get_by_role("button", name="Review your order").click()

    expect(page.get_by_role("heading", name="Review", level=2)).to_be_visible()
    expect(page.get_by_role("heading", name="Where we come to")).to_be_visible()
    expect(page.locator(".review")).to_contain_text("14 Hospital Road")
    expect(page.locator(".review")).to_contain_text("in cash on the day of your booking")
    page.get_by_role("button", name="Place order").click()

    expect(page.get_by_role("heading", name="Thank you!")).to_be_visible()
    heading = page.get_by_role("heading", name=re.compile(r"Order KD-\d{4}-\d{6}"))
    number = re.search(r"KD-\d{4}-\d{6}", heading.inner_text()).group()
    expect(page.get_by_text("You pay Rs. 12,000.00 in cash on the day of your booking.")
           ).to_be_visible()
    expect(page.locator(".order-items .service-place")).to_have_text("At your address")
    facts = page.locator(".order-facts")
    expect(facts.get_by_role("heading", name="Where we come to")).to_be_visible()
    expect(facts).to_contain_text("14 Hospital Road")
    expect(facts).to_contain_text("Jaffna")
    expect(facts).to_contain_text("Cash on the day of the booking")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=tmp_path / "order-page.png", full_page=True)

    staff = page.context.browser.new_context(**STAFF_CONTEXT)
    staff_page = staff.new_page()
    try:
        sign_in_new_staff(staff_page, live_server, email=STAFF_EMAIL, role="order_manager",
                          name="Tharaka Visits", password=STAFF_PASSWORD)
        staff_page.goto(f"{live_server.url}/staff/orders/{number}")
        expect(staff_page.get_by_role("heading", name="Where the service happens")
               ).to_be_visible()
        expect(staff_page.locator("dd.service-place")).to_have_text("At the customer's address")
        address = staff_page.locator("address").filter(has_text="14 Hospital Road")
        expect(address).to_contain_text("Kumaran Sivakumar")
        expect(address).to_contain_text("Jaffna")
        staff_page.screenshot(path=tmp_path / "staff-order.png", full_page=True)

        # The list says how this booking is paid too, on a phone without sideways scrolling.
        staff_page.goto(f"{live_server.url}/staff/orders?number={number}")
        row = staff_page.locator("tbody tr").filter(has_text=number)
        expect(row).to_contain_text("Cash on the day of the booking")
        expect(row).not_to_contain_text("Cash on delivery")
        assert staff_page.evaluate("document.documentElement.scrollWidth") <= 390
        staff_page.screenshot(path=tmp_path / "staff-order-list.png", full_page=True)

        invoice = staff_page.request.get(f"{live_server.url}/staff/orders/{number}/invoice.pdf")
        assert invoice.ok and invoice.headers["content-type"] == "application/pdf"
        text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(invoice.body())).pages)
    finally:
        staff.close()
    for expected in ("Service at your address", "Kumaran Sivakumar", "14 Hospital Road",
                     "Jaffna", "Home deep cleaning", "At your address",
                     "Cash on the day of the booking"):
        assert expected in text, expected
