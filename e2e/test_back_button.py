"""The back button when htmx has lost the page from its history cache: the shop asks the
server again, and the page comes back whole, not as the listing's fragment alone."""

import re

from playwright.sync_api import Page, expect


def test_back_after_a_history_cache_miss_shows_the_whole_page(page: Page, live_server):
    page.goto("/products")
    page.locator(".product-card-link").first.click()
    expect(page).to_have_url(re.compile(r"/p/"))
    # What a full cache, a private window or a cleared storage leaves htmx with.
    page.evaluate("localStorage.removeItem('htmx-history-cache');"
                  "sessionStorage.removeItem('htmx-history-cache')")

    page.go_back()

    expect(page).to_have_url(re.compile(r"/products$"))
    expect(page.locator("#product-grid")).to_be_visible()
    expect(page.get_by_role("banner")).to_be_visible()
    expect(page.get_by_role("searchbox", name="Search products")).to_be_visible()
