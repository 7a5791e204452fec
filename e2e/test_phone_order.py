"""The phone-order desk in the browser: an order manager on a phone (390 x 844) takes an order
for a new caller from Kandy, adds green tea from the quick search, enters the Kandy address,
and places it; on a desk (1280 wide) the order list shows it as a phone order. A second caller
pays by a payment link: the SMS and the mail carry it, the customer pays on their own phone
with no account, and staff see the order paid. The pages never scroll sideways and axe finds
no serious problem. Screenshots land in KADE_SHOTS (if set)."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from e2e.mail import wait_for_mail
from e2e.page_checks import no_sideways_scroll, screenshot
from e2e.staff import STAFF_CONTEXT, open_staff_area, sign_in_new_staff
from e2e.test_accessibility import axe_problems
from e2e.test_payment_link import link_in, link_sms

STAFF_EMAIL = "sunil.desk@kade.lk"
STAFF_PASSWORD = "phone orders all day long"  # noqa: S105 — a test login
CALLER = {"name": "Chaminda Kandy Caller", "phone": "071 555 8899",
          "email": "chaminda.kandy@example.lk"}
LINK_CALLER = {"name": "Rukmani Kandy Payer", "phone": "076 444 1288",
               "email": "rukmani.kandy@example.lk"}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
         "bypass_csp": True}




def take_phone_order(phone: Page, *, payment: re.Pattern[str], caller: dict = CALLER) -> str:
    """On the desk: find the caller (new), add them, add two packs of green tea, the Kandy
    address, island-wide delivery, the payment chosen; place it. Returns the order number."""
    open_staff_area(phone, "Orders")
    phone.get_by_role("button", name="New phone order").click()
    phone.get_by_label("Caller's mobile number").fill(caller["phone"])
    phone.get_by_role("button", name="Find the caller").click()
    expect(phone.get_by_text("No customer has this number yet")).to_be_visible()
    screenshot(phone, "desk-new-customer")
    phone.get_by_label("Name").fill(caller["name"])
    phone.get_by_label("Email").fill(caller["email"])
    phone.get_by_role("button", name="Add the customer and start the order").click()
    expect(phone.get_by_role("heading", name=f"Phone order for {caller['name']}")).to_be_visible()
    phone.get_by_label("Find a product or service").fill("green tea")
    # Pressing Find as well as typing: the live search (htmx, on input) sometimes missed a
    # box filled the instant a boosted page was swapped in; Find works with or without it.
    phone.get_by_role("button", name="Find", exact=True).click()
    add = phone.get_by_role("button", name="Add Green tea").first
    expect(add).to_be_visible()
    expect(phone.locator("#draft-found")).to_contain_text("in stock")
    phone.locator("#draft-found input[name=quantity]").first.fill("2")
    add.click()
    expect(phone.locator("#draft-lines table")).to_contain_text("Green tea")

    phone.get_by_label("A new address").check()
    phone.get_by_label("Recipient").fill(caller["name"])
    phone.get_by_label("Phone at the address").fill("081 222 3344")
    phone.get_by_label("House and street").fill("7 Peradeniya Road")
    phone.get_by_label("Town or city").fill("Kandy")
    phone.get_by_label("District", exact=True).select_option("kandy")
    phone.get_by_role("button", name="Save draft").click()
    expect(phone.get_by_text("Draft saved.")).to_be_visible()
    phone.get_by_label("Delivery", exact=True).select_option("island-wide")
    phone.get_by_role("radio", name=payment).check()
    no_sideways_scroll(phone)
    screenshot(phone, "desk-draft")
    phone.get_by_role("button", name="Place order").click()
    heading = phone.get_by_role("heading", level=1, name=re.compile(r"^KD-\d{4}-\d{6}$"))
    expect(heading).to_be_visible()
    expect(phone.get_by_text("Phone order", exact=False).first).to_be_visible()
    return heading.inner_text()


def test_staff_take_a_cash_order_by_phone_for_a_caller_from_kandy(page: Page, live_server):
    staff = page.context.browser.new_context(**STAFF_CONTEXT, bypass_csp=True)
    phone = staff.new_page()
    try:
        sign_in_new_staff(phone, live_server, email=STAFF_EMAIL, role="order_manager",
                          name="Sunil Desk", password=STAFF_PASSWORD)
        number = take_phone_order(phone, payment=re.compile("Cash on delivery"))
        no_sideways_scroll(phone)
        screenshot(phone, "desk-placed")
        assert axe_problems(phone) == []

        desk = staff.new_page()
        desk.set_viewport_size({"width": 1280, "height": 900})
        desk.goto(f"{live_server.url}/staff/orders?channel=phone")
        row = desk.get_by_role("row", name=re.compile(number))
        expect(row).to_contain_text("Phone order")
        expect(row).to_contain_text("Kandy")
        no_sideways_scroll(desk)
        screenshot(desk, "desk-orders")
        desk.goto(f"{live_server.url}/staff/orders/new?phone=0715558899")
        expect(desk.get_by_role("button", name=f"Take an order for {CALLER['name']}")
               ).to_be_visible()
        screenshot(desk, "desk-find")
        desk.get_by_role("button", name=f"Take an order for {CALLER['name']}").click()
        no_sideways_scroll(desk)
        screenshot(desk, "desk-draft")
        assert axe_problems(desk) == []
    finally:
        staff.close()


def test_a_phone_order_for_a_new_caller_is_paid_by_the_link_on_their_phone(page: Page,
                                                                          live_server):
    staff = page.context.browser.new_context(**STAFF_CONTEXT, bypass_csp=True)
    desk_staff = staff.new_page()
    try:
        sign_in_new_staff(desk_staff, live_server, email="nadee.desk@kade.lk",
                          role="order_manager", name="Nadee Desk", password=STAFF_PASSWORD)
        number = take_phone_order(desk_staff, payment=re.compile("Payment link"),
                                  caller=LINK_CALLER)
        expect(desk_staff.get_by_role("status")).to_contain_text(f"Order {number} placed.")
        expect(desk_staff.locator("#timeline")).to_contain_text("Payment link sent")

        # The caller's phone gets the SMS, their inbox the mail, with the same link.
        sms = link_sms(live_server.outbox_dir, number, set())
        assert sms["to"] == "94764441288"
        link = link_in(sms["message"])
        mail = wait_for_mail(live_server.outbox_dir, LINK_CALLER["email"],
                             f"order:{number}:payment_link")
        assert link in mail.get_body(("plain",)).get_content()

        # On their own phone, with no account: the order, "Pay … with PayHere", the sandbox.
        phone = page.context.browser.new_context(base_url=live_server.url, **PHONE)
        try:
            customer = phone.new_page()
            customer.goto(link)
            expect(customer.get_by_role("heading", name=f"Pay for order {number}")
                   ).to_be_visible()
            expect(customer.get_by_text("Green tea").first).to_be_visible()
            no_sideways_scroll(customer)
            screenshot(customer, "desk-link-pay")
            customer.get_by_role("button", name=re.compile(r"with PayHere")).click()
            expect(customer.locator("#sandbox-order")).to_have_text(number)
            customer.get_by_role("button", name="Pay", exact=True).click()
            expect(customer.get_by_role("heading", name="Payment received")).to_be_visible(
                timeout=20_000)
        finally:
            phone.close()

        # Staff, at a desk, see it paid.
        desk = staff.new_page()
        desk.set_viewport_size({"width": 1280, "height": 900})
        desk.goto(f"{live_server.url}/staff/orders/{number}")
        expect(desk.get_by_role("heading", name=number)).to_be_visible()
        expect(desk.locator(".head-facts")).to_contain_text("Paid")
        expect(desk.locator(".head-facts")).to_contain_text("Phone order")
        no_sideways_scroll(desk)
        screenshot(desk, "desk-paid")
    finally:
        staff.close()
