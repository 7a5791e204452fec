"""Recommendations and a personal offer in the browser, on phones (390 x 844): marketing adds
a personal offer ("10 % off a usual re-buy"); a customer who buys jaggery and asked for
offers by mail comes back after the night's job, reads the home page in Sinhala, sees the
jaggery under "Buy again", adds it from there, and pays less with the voucher the offer mail
gave them. The pages never scroll sideways and axe finds no serious problem. Screenshots
land in KADE_SHOTS (if set)."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from e2e.mail import first_link, wait_for_mail
from e2e.page_checks import screenshot
from e2e.shopper import PHONE
from e2e.staff import STAFF_CONTEXT, open_staff_area, sign_in_new_staff
from e2e.test_accessibility import axe_problems

EMAIL = "returning.si@example.lk"
PASSWORD = "treacle every fortnight"  # noqa: S105 — this journey's own customer
JAGGERY = "/p/jaggery"  # not one the other journeys buy: stock is shared
BUY_AGAIN_SI = "නැවත මිලදී ගන්න"
JAGGERY_SI = "හකුරු"
PLACE_ORDER_SI = "ඇණවුම් කරන්න"


def _fits(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
    assert axe_problems(page) == []


def _step(page: Page) -> None:
    """The checkout step's own button (whatever language it is in)."""
    page.locator("main form:has(input[name=step]) button[type=submit]").last.click()


def _marketing_adds_the_offer(browser, live_server) -> None:
    desk = browser.new_context(**STAFF_CONTEXT, bypass_csp=True).new_page()
    sign_in_new_staff(desk, live_server, email="dilini.marketing@kade.lk", role="marketing",
                      name="Dilini Marketing", password="offers that fit people")  # noqa: S106
    open_staff_area(desk, "Personal offers")
    desk.get_by_role("button", name="Add an offer").click()
    desk.get_by_label("Name").fill("10 % off a usual re-buy")
    desk.get_by_label("The item").select_option("buy_again")
    desk.get_by_label("Percent off", exact=True).fill("10")
    desk.get_by_label("Held out to measure (percent)").fill("0")  # this journey's one customer
    desk.get_by_role("button", name="Save").click()
    expect(desk.get_by_text("Personal offer 10 % off a usual re-buy saved.")).to_be_visible()
    _fits(desk)
    screenshot(desk, "staff-personal-offers")
    desk.context.close()


def _a_customer_who_buys_jaggery(browser, live_server) -> Page:
    """Registers, verifies, asks for offers by mail, and buys jaggery (cash on
    delivery), in English."""
    page = browser.new_context(**PHONE, base_url=live_server.url).new_page()
    page.goto("/account/register")
    page.get_by_label("Full name").fill("Chamari Silva")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Mobile number").fill("077 555 7788")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("status")).to_contain_text("Check your email")
    page.goto(first_link(wait_for_mail(live_server.outbox_dir, EMAIL, "verify")))
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("nav.account-nav")).to_be_visible()

    page.goto("/account/notifications")
    page.get_by_label("Offers by email").check()
    page.locator("main form button[type=submit]").first.click()

    page.goto(JAGGERY)
    page.locator("form.add-to-cart button[type=submit]").click()
    expect(page.locator("form.add-to-cart .add-result")).not_to_be_empty()
    page.goto("/checkout")
    page.get_by_label("Recipient's name").fill("Chamari Silva")
    page.get_by_label("Recipient's mobile number").fill("0775557788")
    page.get_by_label("Address line 1").fill("8 Temple Road")
    page.get_by_label("City or town").fill("Ratnapura")
    page.get_by_label("District").select_option(label="Ratnapura")
    _step(page)
    page.locator("input[name=delivery_option]:not([disabled])").first.check()
    _step(page)
    page.locator("input[name=payment_method][value=cod]").check()
    _step(page)
    page.get_by_role("button", name="Place order").click()
    expect(page.get_by_role("heading", level=1, name="Thank you!")).to_be_visible()
    return page


def test_a_returning_customer_buys_again_in_sinhala_with_their_personal_offer(
        page: Page, live_server):
    browser = page.context.browser
    _marketing_adds_the_offer(browser, live_server)
    shopper = _a_customer_who_buys_jaggery(browser, live_server)

    shopper.goto("/")
    shopper.get_by_role("button", name="සිංහල").click()  # kept on their account
    expect(shopper.locator("html")).to_have_attribute("lang", "si")

    job = live_server.flask("recommendations", "compute")  # what the night does
    assert "personal offers: 1 sent" in job.stdout

    shopper.goto("/")
    strip = shopper.locator("section[data-strip=buy_again]")
    expect(strip.get_by_role("heading", name=BUY_AGAIN_SI)).to_be_visible()
    card = strip.locator("article.product-card").filter(
        has=shopper.locator(".product-card-name", has_text=JAGGERY_SI))
    expect(card).to_have_count(1)
    _fits(shopper)
    screenshot(shopper, "home-buy-again-si")
    card.locator("button.card-add-button").click()
    expect(card.locator(".add-result")).not_to_be_empty()

    offer = wait_for_mail(live_server.outbox_dir, EMAIL, "offer")
    text = offer.get_body(("plain",)).get_content()
    code = re.search(r"FOR-[A-Z0-9]{8}", text).group()
    assert JAGGERY_SI in offer["Subject"]  # in the customer's language
    assert "/p/jaggery" in text

    shopper.goto("/cart")
    shopper.locator("#voucher input[name=code]").fill(code)
    shopper.locator("#voucher button[type=submit]").click()
    expect(shopper.locator("#voucher")).to_contain_text(code)
    expect(shopper.locator("#voucher .line-problem")).to_have_count(0)
    _fits(shopper)
    screenshot(shopper, "cart-personal-offer-si")
    shopper.goto("/checkout")
    shopper.locator("input[name=address_id]").first.check()
    _step(shopper)
    shopper.locator("input[name=delivery_option]:not([disabled])").first.check()
    _step(shopper)
    shopper.locator("input[name=payment_method][value=cod]").check()
    _step(shopper)
    shopper.get_by_role("button", name=PLACE_ORDER_SI).click()
    expect(shopper.locator(".line-discount")).to_contain_text(JAGGERY_SI)  # the offer's name
    expect(shopper.locator(".savings")).to_be_visible()
    _fits(shopper)
    screenshot(shopper, "order-with-personal-offer-si")
    shopper.context.close()
