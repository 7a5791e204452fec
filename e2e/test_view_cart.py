"""The "View cart" link in the "Added to your cart" answer opens the cart, from a product page
and from a listing card, on a phone: it lands inside the htmx add-to-cart form and must not
take that form's target."""

import re

from playwright.sync_api import Page, expect


def _tap_view_cart(page: Page) -> None:
    note = page.get_by_role("status").filter(has_text="Added to your cart.")
    expect(note).to_be_visible()
    note.get_by_role("link", name="View cart").click()


def test_view_cart_from_a_product_page_opens_the_cart(page: Page, live_server):
    page.goto("/p/ceylon-black-tea-leaves")
    page.get_by_role("button", name="Add to cart", exact=True).click()

    _tap_view_cart(page)

    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/cart$"))


def test_view_cart_from_a_listing_card_opens_the_cart(page: Page, live_server):
    page.goto("/search?q=Herbal+soap")
    page.get_by_role("button", name="Add to cart (Herbal soap)").click()

    _tap_view_cart(page)

    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/cart$"))


def test_view_cart_works_in_sinhala_too(page: Page, live_server):
    page.goto("/p/ceylon-black-tea-leaves")
    page.get_by_role("button", name="සිංහල").click()
    expect(page.locator("html")).to_have_attribute("lang", "si")
    page.locator("#product-detail form[hx-post] button[type=submit]").click()
    page.locator(".add-note-ok a").click()  # "View cart", in Sinhala

    expect(page).to_have_url(re.compile(r"/cart$"))
    expect(page.locator("html")).to_have_attribute("lang", "si")
