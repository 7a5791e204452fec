"""An order waiting for PayHere is paid by a payment link on the customer's own phone, with
no account: staff press "Send payment link" on the order's page, the customer gets the SMS and
the mail, opens the link in a fresh browser (390x844), pays in the shop's built-in PayHere
sandbox and sees the order paid. An expired link says so and sends a new one, on request,
to the phone and email on the order (shown masked)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Page, expect

from e2e.conftest import ROOT
from e2e.mail import wait_for_mail
from e2e.page_checks import problems, screenshot
from e2e.staff import STAFF_CONTEXT, sign_in_new_staff
from e2e.test_accessibility import axe_problems

EMAIL = "dilani.link@example.lk"
MOBILE = "077 555 1267"
STAFF_EMAIL = "chaminda.orders@kade.lk"
STAFF_PASSWORD = "phone orders all day"  # noqa: S105 — a test login
NUMBER = re.compile(r"KD-\d{4}-\d{6}")
# bypass_csp: only so that axe-core can be added to the page (see test_accessibility).
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
         "bypass_csp": True}


def order_waiting_for_payhere(page: Page) -> str:
    """A guest orders a pack of tea to be paid by PayHere and leaves at the "Pay for order"
    page without paying; returns the order's number."""
    page.goto("/p/ceylon-black-tea-leaves")
    page.get_by_role("button", name="Add to cart", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="Added to your cart.")).to_be_visible()
    page.goto("/checkout")
    page.get_by_label("Full name").fill("Dilani Wickramasinghe")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Mobile number").fill(MOBILE)
    page.get_by_label("Address line 1").fill("4 Lake Road")
    page.get_by_label("City or town").fill("Kurunegala")
    page.get_by_label("District").select_option(label="Kurunegala")
    page.get_by_role("button", name="Continue to delivery").click()
    page.get_by_role("radio", name=re.compile("Island-wide standard")).check()
    page.get_by_role("button", name="Continue to payment").click()
    page.get_by_role("radio", name=re.compile("PayHere")).check()
    page.get_by_role("button", name="Review your order").click()
    page.get_by_role("button", name="Place order").click()
    heading = page.get_by_role("heading", level=1, name=re.compile(r"Pay for order KD-"))
    expect(heading).to_be_visible()
    return NUMBER.search(heading.inner_text()).group()


def link_sms(outbox: Path, number: str, seen: set[str], timeout: float = 10.0) -> dict:
    """A payment-link SMS for `number` not in `seen` (references)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for path in sorted(outbox.glob("*.sms.json")):
            sms = json.loads(path.read_text())
            if (sms["reference"].startswith(f"order:{number}:payment_link:")
                    and sms["reference"] not in seen):
                return sms
        time.sleep(0.2)
    raise AssertionError(f"no new payment-link SMS for {number}")


def link_in(text: str) -> str:
    """The link's path (the server's own address: no PUBLIC_URL in the e2e server)."""
    return urlsplit(re.search(r"https?://\S+", text).group(0)).path


def expired_link(live_server, number: str) -> str:
    """A link to the order made 25 hours ago (PAYMENT_LINK_HOURS is 24), as an operator
    could make one with the server's keys."""
    code = ("import sys, datetime as dt\n"
            "from app import create_app\n"
            "from app.db import utcnow\n"
            "from app.orders import services as orders\n"
            "from app.payments import links\n"
            "app = create_app()\n"
            "with app.app_context():\n"
            "    order = orders.find_by_number(sys.argv[1])\n"
            "    print(links.make_code(order, issued_at=utcnow() - dt.timedelta(hours=25)))\n")
    result = subprocess.run([sys.executable, "-c", code, number], cwd=ROOT,
                            env=live_server.env, capture_output=True, text=True, timeout=120,
                            check=True)
    return "/pay/" + result.stdout.strip().splitlines()[-1]


def test_a_customer_pays_an_order_by_the_link_staff_sent_to_their_phone(page: Page,
                                                                        live_server):
    number = order_waiting_for_payhere(page)
    page.context.clear_cookies()  # the customer's phone knows nothing of that checkout

    # Staff send the payment link from the order's page.
    staff = page.context.browser.new_context(**STAFF_CONTEXT)
    staff_page = staff.new_page()
    try:
        sign_in_new_staff(staff_page, live_server, email=STAFF_EMAIL, role="order_manager",
                          name="Chaminda Orders", password=STAFF_PASSWORD)
        staff_page.goto(f"{live_server.url}/staff/orders/{number}")
        staff_page.get_by_role("button", name="Send payment link").click()
        expect(staff_page.get_by_role("status")).to_contain_text(
            "Payment link sent by email and SMS")
        expect(staff_page.locator("#timeline")).to_contain_text("Payment link sent")
    finally:
        staff.close()

    # The SMS and the mail carry the same short link.
    sms = link_sms(live_server.outbox_dir, number, set())
    assert sms["to"] == "94775551267" and sms["segments"] == 1
    link = link_in(sms["message"])
    mail = wait_for_mail(live_server.outbox_dir, EMAIL, f"order:{number}:payment_link")
    assert link in mail.get_body(("plain",)).get_content()

    # An old link, opened on the phone: it has expired, and a new one goes to the order's
    # own phone and email, shown masked.
    phone = page.context.browser.new_context(base_url=live_server.url, **PHONE)
    try:
        customer = phone.new_page()
        customer.goto(expired_link(live_server, number))
        expect(customer.get_by_role("heading", name="This payment link has expired")
               ).to_be_visible()
        screenshot(customer, "payment-link-expired")
        assert axe_problems(customer) == []
        expect(customer.get_by_text("077 *** **67")).to_be_visible()
        expect(customer.get_by_text(MOBILE)).to_have_count(0)
        customer.get_by_role("button", name="Send me a new link").click()
        expect(customer.get_by_role("status")).to_contain_text(
            "We have sent a new payment link to 077 *** **67 and d****@example.lk")
        fresh = link_sms(live_server.outbox_dir, number, {sms["reference"]})
        assert link_in(fresh["message"]) != link

        # The link from the staff's SMS: the order and "Pay … with PayHere".
        customer.goto(link)
        expect(customer.get_by_role("heading", name=f"Pay for order {number}")).to_be_visible()
        expect(customer.get_by_text("Ceylon Black Tea Leaves").first).to_be_visible()
        pay = customer.get_by_role("button", name=re.compile(r"Pay Rs\. [\d,]+\.00 with PayHere"))
        expect(pay).to_be_visible()
        total = re.search(r"Rs\. [\d,]+\.00", pay.inner_text()).group()
        for width, height in ((1280, 900), (390, 844)):  # a desktop too, then the phone
            customer.set_viewport_size({"width": width, "height": height})
            assert problems(customer) == []  # fits, no tiny targets
            assert axe_problems(customer) == []
            screenshot(customer, "payment-link")  # KADE_SHOTS=<folder> keeps a picture

        # A change of mind on PayHere's page leads back to the payment page.
        pay.click()
        expect(customer.locator("#sandbox-order")).to_have_text(number)
        customer.get_by_role("button", name="Cancel", exact=True).click()
        expect(customer.get_by_role("heading", name="Payment cancelled")).to_be_visible()
        customer.get_by_role("link", name="Back to the payment page").click()

        # PayHere (the shop's sandbox) takes the money; back on the shop, the order is paid.
        pay.click()
        expect(customer.get_by_role("heading", name=f"Pay {total}")).to_be_visible()
        expect(customer.locator("#sandbox-order")).to_have_text(number)
        customer.get_by_role("button", name="Pay", exact=True).click()
        expect(customer.get_by_role("heading", name="Payment received")).to_be_visible(
            timeout=20_000)

        customer.goto(link)
        expect(customer.get_by_role("heading", name=f"Order {number} is paid")).to_be_visible()
        expect(customer.get_by_role("button", name=re.compile("with PayHere"))).to_have_count(0)
    finally:
        phone.close()
