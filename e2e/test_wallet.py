"""Store credit in the browser, on phones (390 x 844): a support agent finds a customer by
their email and gives goodwill credit with a reason; the customer sees it on their account,
ticks it at checkout, pays the rest in cash on delivery, and sees the credit on the order
and spent in their history. The pages never scroll sideways and axe finds no serious
problem. Screenshots land in KADE_SHOTS (if set)."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from e2e.page_checks import screenshot
from e2e.shopper import signed_in_on_a_phone
from e2e.staff import STAFF_CONTEXT, open_staff_area, sign_in_new_staff
from e2e.test_accessibility import axe_problems

CUSTOMER = "sarah@example.lk"  # a demo customer


def _fits(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
    assert axe_problems(page) == []


def test_goodwill_credit_is_given_by_support_and_spent_at_checkout(page: Page, live_server):
    desk = page.context.browser.new_context(**STAFF_CONTEXT, bypass_csp=True).new_page()
    sign_in_new_staff(desk, live_server, email="ama.support@kade.lk", role="support_agent",
                      name="Ama Support", password="helping customers daily")  # noqa: S106
    open_staff_area(desk, "Customers")
    desk.get_by_label("Email or mobile number").fill(CUSTOMER)
    desk.get_by_role("button", name="Find").click()
    desk.get_by_role("link", name="Sarah Fernando").click()
    desk.get_by_label("Credit to give (rupees)").fill("750")
    desk.get_by_label("Reason (the customer reads it)").fill("Your parcel came two days late")
    desk.get_by_role("button", name="Give credit").click()
    expect(desk.get_by_text("Rs. 750.00 of store credit given to Sarah Fernando.")).to_be_visible()
    expect(desk.locator("#credit-history")).to_contain_text("Your parcel came two days late")
    _fits(desk)
    screenshot(desk, "staff-customer-credit")
    desk.context.close()

    shopper = signed_in_on_a_phone(page.context.browser, live_server.url, CUSTOMER)
    shopper.goto("/account/credit")
    expect(shopper.locator("#credit-history")).to_contain_text("Your parcel came two days late")
    _fits(shopper)
    screenshot(shopper, "account-credit")

    shopper.goto("/p/clay-cooking-pot")  # not one the other journeys buy: stock is shared
    shopper.locator("form.add-to-cart button[type=submit]").click()
    expect(shopper.locator("form.add-to-cart .add-result")).not_to_be_empty()
    shopper.goto("/checkout")
    shopper.locator("main form:has(input[name=step]) button[type=submit]").last.click()
    shopper.locator("input[name=delivery_option]:not([disabled])").first.check()
    shopper.locator("main form:has(input[name=step]) button[type=submit]").last.click()
    shopper.get_by_label(re.compile("Use my store credit")).check()
    shopper.locator("input[name=payment_method][value=cod]").check()
    _fits(shopper)
    screenshot(shopper, "checkout-payment-credit")
    shopper.locator("main form:has(input[name=step]) button[type=submit]").last.click()
    expect(shopper.locator("#review-totals")).to_contain_text("Paid with store credit")
    screenshot(shopper, "checkout-review-credit")
    shopper.get_by_role("button", name="Place order").click()

    expect(shopper.get_by_role("heading", level=1, name="Thank you!")).to_be_visible()
    expect(shopper.locator("dl.totals")).to_contain_text("Paid with store credit")
    _fits(shopper)
    screenshot(shopper, "order-paid-with-credit")
    shopper.goto("/account/credit")
    expect(shopper.locator("#credit-history")).to_contain_text("Spent on an order")
    shopper.context.close()
