"""A guest on a phone fills a cart (a product from its page, another from a listing card, a
service at a chosen time), changes a quantity, checks out with cash on delivery to Galle and
sees the order confirmed, on the page and in the mail; staff mark it shipped and the guest
sees the new status in the order's timeline."""

import re

from playwright.sync_api import Page, expect

from e2e.mail import first_link, wait_for_mail
from e2e.staff import STAFF_CONTEXT, sign_in_new_staff

EMAIL = "sarah.journey@example.lk"


def cart_link(page: Page, items: int):
    """The header's cart link, named as a screen reader reads it."""
    return page.get_by_role("link", name=f"Cart, {items} item" + ("s" if items != 1 else ""))


def test_a_guest_buys_two_products_and_a_service_cash_on_delivery_to_galle(
        page: Page, live_server):
    page.goto("/p/ceylon-black-tea-leaves")
    expect(page.get_by_role("radio", name=re.compile("250 g"))).to_be_checked()
    page.get_by_role("button", name="Add to cart", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="Added to your cart.")).to_be_visible()
    expect(cart_link(page, 1)).to_be_visible()  # the header followed, no reload

    page.get_by_role("searchbox", name="Search products").fill("Herbal soap")
    page.get_by_role("button", name="Search", exact=True).click()
    page.get_by_role("button", name="Add to cart (Herbal soap)").click()
    expect(cart_link(page, 2)).to_be_visible()

    page.goto("/p/laptop-servicing")
    times = page.get_by_role("radio")
    expect(times.first).to_be_checked()
    chosen = times.nth(1)
    chosen.check()
    chosen_time = re.match(r"\d+ \w+ \d{4}, \d\d:\d\d", chosen.evaluate(
        "radio => radio.closest('label').innerText")).group()
    page.get_by_role("button", name="Add to cart", exact=True).click()
    expect(cart_link(page, 3)).to_be_visible()

    cart_link(page, 3).click()
    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()
    expect(page.get_by_role("heading", level=2, name=re.compile("Ceylon black tea"))
           ).to_be_visible()
    expect(page.locator(".cart-line-slot")).to_contain_text(chosen_time)
    page.get_by_role("button", name="One more Ceylon black tea leaves").click()
    expect(page.get_by_label("Quantity of Ceylon black tea leaves")).to_have_value("2")
    expect(cart_link(page, 4)).to_be_visible()
    expect(page.locator("#cart-total")).to_have_text("Rs. 7,080.00")  # 2 × 650 + 280 + 5,500

    page.get_by_role("link", name="Check out").click()
    expect(page.get_by_role("heading", name="Address", level=2)).to_be_visible()
    page.get_by_label("Full name").fill("Sarah Fernando")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Mobile number").fill("077 123 4567")
    page.get_by_label("Address line 1").fill("5 Church Street")
    page.get_by_label("City or town").fill("Galle")
    page.get_by_label("District").select_option(label="Galle")
    page.get_by_role("button", name="Continue to delivery").click()

    expect(page.get_by_role("heading", name="Delivery", level=2)).to_be_visible()
    expect(page.get_by_role("radio", name=re.compile("Colombo same-day"))).to_have_count(0)
    page.get_by_role("radio", name=re.compile("Island-wide standard")).check()
    page.get_by_role("button", name="Continue to payment").click()

    expect(page.get_by_role("heading", name="Payment", level=2)).to_be_visible()
    page.get_by_role("radio", name=re.compile("Cash on delivery")).check()
    page.get_by_role("button", name="Review your order").click()

    expect(page.get_by_role("heading", name="Review", level=2)).to_be_visible()
    expect(page.locator("#review-totals")).to_contain_text("Rs. 7,430.00")  # + Rs. 350
    page.get_by_role("button", name="Place order").click()

    expect(page.get_by_role("heading", name="Thank you!")).to_be_visible()
    heading = page.get_by_role("heading", name=re.compile(r"Order KD-\d{4}-\d{6}"))
    number = re.search(r"KD-\d{4}-\d{6}", heading.inner_text()).group()
    expect(page.get_by_text(f"Your order {number} is placed.")).to_be_visible()
    expect(page.locator("#order-status")).to_have_text("Confirmed")
    expect(page.locator(".timeline")).to_contain_text("Confirmed")
    expect(cart_link(page, 0)).to_be_visible()  # the cart became the order

    mail = wait_for_mail(live_server.outbox_dir, EMAIL, "order")
    assert number in mail["Subject"]
    page.goto(first_link(mail))  # the guest's way back: the signed link in the mail
    expect(page.get_by_role("heading", name=f"Order {number}")).to_be_visible()
    expect(page.get_by_role("heading", name="Thank you!")).to_have_count(0)

    # Staff, in their own browser session, mark the order shipped.
    order_link = page.url
    staff = page.context.browser.new_context(**STAFF_CONTEXT)
    staff_page = staff.new_page()
    try:
        sign_in_new_staff(staff_page, live_server, email=STAFF_EMAIL, role="order_manager",
                          name="Dilan Orders", password=STAFF_PASSWORD)
        staff_page.goto(f"{live_server.url}/staff/orders/{number}")
        staff_page.get_by_label("New status").select_option(label="Shipped")
        staff_page.get_by_label("Note for the timeline (optional)").fill("Sent with Pronto")
        staff_page.get_by_role("button", name="Change status").click()
        expect(staff_page.get_by_text("The order is now Shipped.")).to_be_visible()
    finally:
        staff.close()

    # The customer opens their link again and sees the new status in the timeline.
    page.goto(order_link)
    expect(page.locator("#order-status")).to_have_text("Shipped")
    expect(page.locator(".timeline")).to_contain_text("Shipped")
    shipped = wait_for_mail(live_server.outbox_dir, EMAIL, f"order:{number}:order_shipped")
    assert number in shipped["Subject"]


STAFF_EMAIL = "dilan.orders@kade.lk"
STAFF_PASSWORD = "packing tape and string"  # noqa: S105 — a test login
