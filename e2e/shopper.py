"""The shopper in the browser: the steps journeys share to get an order to work on."""

from __future__ import annotations

import re
from dataclasses import dataclass

from playwright.sync_api import Page, expect


@dataclass(frozen=True)
class Guest:
    name: str
    email: str
    mobile: str
    line1: str
    city: str
    district: str  # the district's label in the form, e.g. "Galle"


def place_cod_order(page: Page, guest: Guest) -> str:
    """A guest buys one pack of the demo shop's tea, delivered island-wide and paid in cash
    at the door; returns the order's number from its "Thank you" page."""
    page.goto("/p/ceylon-black-tea-leaves")
    page.get_by_role("button", name="Add to cart", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="Added to your cart.")).to_be_visible()
    page.goto("/checkout")
    expect(page.get_by_role("heading", name="Address", level=2)).to_be_visible()
    page.get_by_label("Full name").fill(guest.name)
    page.get_by_label("Email").fill(guest.email)
    page.get_by_label("Mobile number").fill(guest.mobile)
    page.get_by_label("Address line 1").fill(guest.line1)
    page.get_by_label("City or town").fill(guest.city)
    page.get_by_label("District").select_option(label=guest.district)
    page.get_by_role("button", name="Continue to delivery").click()
    page.get_by_role("radio", name=re.compile("Island-wide standard")).check()
    page.get_by_role("button", name="Continue to payment").click()
    page.get_by_role("radio", name=re.compile("Cash on delivery")).check()
    page.get_by_role("button", name="Review your order").click()
    page.get_by_role("button", name="Place order").click()
    expect(page.get_by_role("heading", name="Thank you!")).to_be_visible()
    heading = page.get_by_role("heading", name=re.compile(r"Order KD-\d{4}-\d{6}"))
    return re.search(r"KD-\d{4}-\d{6}", heading.inner_text()).group()


DEMO_PASSWORD = "kade-demo-2026"  # noqa: S105 — the demo shop's published password
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
         "bypass_csp": True}


def signed_in_on_a_phone(browser, base_url: str, email: str) -> Page:
    """A new 390 x 844 phone with the demo customer `email` signed in."""
    page = browser.new_context(**PHONE, base_url=base_url).new_page()
    page.goto("/account/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    expect(page.locator("nav.account-nav")).to_be_visible()
    return page
