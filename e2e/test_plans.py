"""A plan on a phone (390 x 844): a customer subscribes to Kade Plus by card through the
shop's PayHere sandbox (a recurring payment), sees free delivery at checkout, pays an order
partly with store credit, then cancels the plan in one click and keeps it to the period's
end. The pages never scroll sideways and axe finds no serious problem. Screenshots land in
KADE_SHOTS (if set)."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from e2e.page_checks import screenshot
from e2e.shopper import signed_in_on_a_phone
from e2e.test_wallet import _fits

CUSTOMER = "sarah@example.lk"  # a demo customer, with Rs 500 of demo store credit


def _step(page: Page) -> None:
    page.locator("main form:has(input[name=step]) button[type=submit]").last.click()


def test_subscribe_by_card_free_delivery_pay_with_credit_then_cancel(page: Page, live_server):
    phone = signed_in_on_a_phone(page.context.browser, live_server.url, CUSTOMER)

    phone.goto("/plans")
    plus = phone.locator("article#kade-plus")
    expect(plus).to_contain_text("Free delivery across Sri Lanka")
    _fits(phone)
    screenshot(phone, "plans")
    plus.get_by_label(re.compile("Card, every period")).check()
    plus.get_by_role("button", name="Subscribe").click()
    expect(phone.get_by_text("Waiting for your first payment")).to_be_visible()
    phone.get_by_role("button", name=re.compile(r"Pay Rs\. 990\.00 with PayHere")).click()
    phone.get_by_role("button", name="Pay", exact=True).click()
    # The sandbox's notification arrives in the background: the page shows it on a reload.
    for _ in range(20):
        if phone.locator("#my-plan .badge").inner_text() == "Active":
            break
        phone.wait_for_timeout(250)
        phone.reload()
    expect(phone.locator("#my-plan .badge")).to_have_text("Active")
    _fits(phone)
    screenshot(phone, "my-plan-active")

    phone.goto("/p/clay-cooking-pot")  # not one the other journeys buy: stock is shared
    phone.locator("form.add-to-cart button[type=submit]").click()
    expect(phone.locator("form.add-to-cart .add-result")).not_to_be_empty()
    phone.goto("/checkout")
    _step(phone)
    phone.locator("input[name=delivery_option][value=island-wide]").check()
    _step(phone)
    phone.get_by_label(re.compile("Use my store credit")).check()
    phone.locator("input[name=payment_method][value=cod]").check()
    _step(phone)
    totals = phone.locator("#review-totals")
    expect(totals).to_contain_text("Kade Plus: free delivery")
    expect(totals).to_contain_text("Paid with store credit")
    _fits(phone)
    screenshot(phone, "checkout-review-member")
    phone.get_by_role("button", name="Place order").click()
    expect(phone.get_by_role("heading", level=1, name="Thank you!")).to_be_visible()
    expect(phone.locator("dl.totals")).to_contain_text("Left to pay")

    phone.goto("/account/plan")
    phone.get_by_role("button", name="Cancel my plan").click()
    expect(phone.get_by_text("Your plan is cancelled.")).to_be_visible()
    expect(phone.locator("#my-plan .badge")).to_have_text("Cancelled: ends with the period")
    _fits(phone)
    screenshot(phone, "my-plan-cancelled")
    phone.context.close()
