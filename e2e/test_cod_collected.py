"""Cash on delivery on a phone: a guest places an order paid at the door; staff find its
payment on /staff/payments and mark the cash collected; the guest's order shows it paid."""

import re

from playwright.sync_api import Page, expect

from e2e.mail import first_link, wait_for_mail
from e2e.staff import STAFF_CONTEXT, open_staff_area, sign_in_new_staff

EMAIL = "kamal.cod@example.lk"
STAFF_EMAIL = "amaya.payments@kade.lk"
STAFF_PASSWORD = "coins in a clay till"  # noqa: S105 — a test login


def _place_cod_order(page: Page) -> str:
    page.goto("/p/ceylon-black-tea-leaves")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("status").filter(has_text="Added to your cart.")).to_be_visible()
    page.goto("/checkout")
    expect(page.get_by_role("heading", name="Address", level=2)).to_be_visible()
    page.get_by_label("Full name").fill("Kamal Silva")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Mobile number").fill("077 765 4321")
    page.get_by_label("Address line 1").fill("22 Lighthouse Street")
    page.get_by_label("City or town").fill("Galle")
    page.get_by_label("District").select_option(label="Galle")
    page.get_by_role("button", name="Continue to delivery").click()
    page.get_by_role("radio", name=re.compile("Island-wide standard")).check()
    page.get_by_role("button", name="Continue to payment").click()
    page.get_by_role("radio", name=re.compile("Cash on delivery")).check()
    page.get_by_role("button", name="Review your order").click()
    page.get_by_role("button", name="Place order").click()
    expect(page.get_by_role("heading", name="Thank you!")).to_be_visible()
    heading = page.get_by_role("heading", name=re.compile(r"Order KD-\d{4}-\d{6}"))
    return re.search(r"KD-\d{4}-\d{6}", heading.inner_text()).group()


def test_staff_mark_a_cash_on_delivery_order_collected_and_it_shows_paid(page: Page,
                                                                          live_server):
    number = _place_cod_order(page)
    expect(page.locator("#order-status")).to_have_text("Confirmed")
    expect(page.get_by_text("Cash on delivery · Paid")).to_have_count(0)
    order_link = first_link(wait_for_mail(live_server.outbox_dir, EMAIL, "order"))

    staff = page.context.browser.new_context(**STAFF_CONTEXT)
    staff_page = staff.new_page()
    try:
        sign_in_new_staff(staff_page, live_server, email=STAFF_EMAIL, role="order_manager",
                          name="Amaya Payments", password=STAFF_PASSWORD)
        open_staff_area(staff_page, "Payments")  # on a phone the areas fold into one menu
        expect(staff_page.get_by_role("heading", name="Payments", level=1)).to_be_visible()
        staff_page.get_by_label("Order number").fill(number)
        staff_page.get_by_role("button", name="Search").click()
        staff_page.get_by_role("link", name=number).click()

        expect(staff_page.get_by_role("heading", name=f"Payment for {number}")).to_be_visible()
        expect(staff_page.locator("#payment-status")).to_have_text("Started")
        collected = staff_page.get_by_label("Cash collected (rupees)")
        expect(collected).not_to_have_value("")  # the order's total, ready to confirm
        staff_page.get_by_role("button", name="Mark cash collected").click()

        expect(staff_page.get_by_text(f"Cash collected: order {number} is paid.")).to_be_visible()
        expect(staff_page.locator("#payment-status")).to_have_text("Paid")
        expect(staff_page.locator("#history")).to_contain_text("Money received")
        expect(staff_page.get_by_role("button", name="Mark cash collected")).to_have_count(0)
    finally:
        staff.close()

    page.goto(order_link)
    expect(page.get_by_role("heading", name=f"Order {number}")).to_be_visible()
    expect(page.get_by_text("Cash on delivery · Paid")).to_be_visible()
