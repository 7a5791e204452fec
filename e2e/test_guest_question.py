"""A guest asks about their order from its page on a phone: a support agent answers in the
queue, the guest gets the reply by mail and SMS, follows the link back to the order page and
reads the conversation there. The trust pages and the footer fit a 360 px phone in Sinhala."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

from playwright.sync_api import Page, expect

from e2e.mail import first_link, wait_for_mail
from e2e.shopper import Guest, place_cod_order
from e2e.staff import STAFF_CONTEXT, open_staff_area, sign_in_new_staff

EMAIL = "kamal.guest@example.lk"
GUEST = Guest("Kamal Perera", EMAIL, "071 555 0101", "8 Hill Street", "Kandy", "Kandy")
STAFF_EMAIL = "ruwani.support@kade.lk"
STAFF_PASSWORD = "answers with a smile"  # noqa: S105 — a test login
QUESTION = "Can the rider come after 5 pm? I am at work until then."



def _reply_sms(outbox: Path, timeout: float = 10.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for path in outbox.glob("*.sms.json"):
            sms = json.loads(path.read_text())
            if sms["reference"].startswith("support-reply:") and sms["to"] == "94715550101":
                return sms
        time.sleep(0.2)
    raise AssertionError("no support reply SMS")


def test_a_guest_asks_about_an_order_and_reads_the_staff_reply(page: Page, live_server):
    number = place_cod_order(page, GUEST)
    page.goto(first_link(wait_for_mail(live_server.outbox_dir, EMAIL, "order")))

    # The guest asks from the order's page; an empty question says what is missing.
    page.get_by_role("link", name="Ask about this order").click()
    page.get_by_role("button", name="Send your question").click()
    expect(page.get_by_text("Write your message.")).to_be_visible()
    page.get_by_label("Your question").fill(QUESTION)
    page.get_by_role("button", name="Send your question").click()
    expect(page.get_by_role("status")).to_contain_text("We have your question")
    expect(page.locator("#questions")).to_contain_text(QUESTION)

    # A support agent answers from the queue, where the order is named.
    staff = page.context.browser.new_context(**STAFF_CONTEXT)
    staff_page = staff.new_page()
    try:
        sign_in_new_staff(staff_page, live_server, email=STAFF_EMAIL, role="support_agent",
                          name="Ruwani Support", password=STAFF_PASSWORD)
        open_staff_area(staff_page, "Support")  # the start page is a dashboard
        staff_page.get_by_role("link", name=f"Question about order {number}").click()
        expect(staff_page.locator("#thread")).to_contain_text(QUESTION)
        expect(staff_page.locator("#thread")).to_contain_text("Kamal Perera")
        staff_page.get_by_label("Message", exact=True).fill("Yes: our rider comes at 6 pm.")
        staff_page.get_by_role("button", name="Send").click()
        expect(staff_page.get_by_text("Reply sent.")).to_be_visible()
    finally:
        staff.close()

    # The guest hears by mail and by SMS, and the mail's link shows the conversation.
    mail = wait_for_mail(live_server.outbox_dir, EMAIL, "support-reply")
    assert "our rider comes at 6 pm" in mail.get_body(("plain",)).get_content()
    sms = _reply_sms(live_server.outbox_dir)
    assert f"/orders/{number}" in sms["message"]
    page.goto(first_link(mail))
    expect(page.locator("#questions")).to_contain_text("Yes: our rider comes at 6 pm.")

    # The order page, the contact page and a policy page fit a 360 px phone in Sinhala.
    page.get_by_role("button", name="සිංහල").click()
    page.set_viewport_size({"width": 360, "height": 740})
    for path in [page.url, "/contact", "/privacy"]:
        page.goto(path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"{path} is {width}px wide on a 360px phone"
    expect(page.get_by_role("heading", name="පෞද්ගලිකත්ව දැන්වීම")).to_be_visible()
    footer = page.locator("footer")
    expect(footer.get_by_role("link", name=re.compile("WhatsApp"))).to_have_attribute(
        "href", re.compile(r"^https://wa\.me/94\d{9}$"))
    heights = footer.locator("a").evaluate_all(
        "links => links.map(a => [a.textContent.trim(), a.getBoundingClientRect().height])")
    assert len(heights) >= 8  # hotline, WhatsApp, five pages, find your order
    assert all(height >= 44 for _, height in heights), heights
