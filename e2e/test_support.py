"""Support on a phone: a customer asks a question from their account, a support agent (in
their own browser session) answers it, and the customer hears of it by mail and reads the
reply in the thread. The pages fit a 360 px wide phone."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from e2e.mail import wait_for_mail
from e2e.staff import STAFF_CONTEXT, open_staff_area, sign_in_new_staff

EMAIL = "asking.customer@example.lk"
STAFF_EMAIL = "nadeesha.support@kade.lk"
STAFF_PASSWORD = "kind words and patience"  # noqa: S105 — a test login


def _register(page: Page) -> None:
    page.goto("/account/register")
    page.get_by_label("Full name").fill("Asking Customer")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Mobile number").fill("0715551234")
    page.get_by_label("Password").fill("a long question phrase")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("status")).to_contain_text("Check your email")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill("a long question phrase")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="My account")).to_be_visible()


def test_a_customer_asks_staff_reply_and_the_customer_reads_it(page: Page, live_server):
    _register(page)

    # The customer finds help in their account and asks.
    page.get_by_role("link", name="Help").click()
    expect(page.get_by_text("You have not asked us anything yet")).to_be_visible()
    page.get_by_role("button", name="Ask a question").click()
    page.get_by_role("button", name="Send").click()  # empty: the form says what is missing
    expect(page.get_by_text("Write a subject.")).to_be_visible()
    page.get_by_label("Subject").fill("Do you deliver to Jaffna?")
    page.get_by_label("Your message").fill("I would like a rice cooker sent to Jaffna town.")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("status")).to_contain_text("We have your question")
    expect(page.get_by_role("heading", name="Do you deliver to Jaffna?")).to_be_visible()
    expect(page.locator("#ticket-status")).to_have_text("Waiting for our reply")
    number = re.search(r"/support/(\d+)", page.url).group(1)

    # A support agent answers in their own browser session.
    staff = page.context.browser.new_context(**STAFF_CONTEXT)
    staff_page = staff.new_page()
    try:
        sign_in_new_staff(staff_page, live_server, email=STAFF_EMAIL, role="support_agent",
                          name="Nadeesha Support", password=STAFF_PASSWORD)
        open_staff_area(staff_page, "Support")  # the start page is a dashboard
        staff_page.get_by_label("Status").select_option(label="Open")
        staff_page.get_by_role("link", name="Do you deliver to Jaffna?").click()
        expect(staff_page.get_by_role("heading", name=f"Ticket #{number}")).to_be_visible()
        expect(staff_page.locator("#thread")).to_contain_text("rice cooker")
        expect(staff_page.locator("#thread")).to_contain_text("Asking Customer")
        staff_page.get_by_label("Message", exact=True).fill("Yes: Jaffna is 3 to 5 working days.")
        staff_page.get_by_role("button", name="Send").click()
        expect(staff_page.get_by_text("Reply sent.")).to_be_visible()
        expect(staff_page.locator("#ticket-status")).to_have_text("Waiting on customer")
    finally:
        staff.close()

    # The customer is told by mail, sees a new reply in their list and reads it.
    mail = wait_for_mail(live_server.outbox_dir, EMAIL, "support-reply")
    assert f"#{number}" in mail["Subject"]
    assert "3 to 5 working days" in mail.get_body(("plain",)).get_content()
    page.goto("/support")
    expect(page.get_by_text("1 new reply")).to_be_visible()
    page.get_by_role("link", name=re.compile("Do you deliver to Jaffna")).click()
    expect(page.locator("#thread")).to_contain_text("Yes: Jaffna is 3 to 5 working days.")
    expect(page.locator("#ticket-status")).to_have_text("Answered")
    page.goto("/support")
    expect(page.get_by_text("1 new reply")).to_have_count(0)

    # Every support page fits a small phone without sideways scrolling.
    page.set_viewport_size({"width": 360, "height": 740})
    for path in ["/support", "/support/new", f"/support/{number}"]:
        page.goto(path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"{path} is {width}px wide on a 360px phone"
