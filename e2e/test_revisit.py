"""A phone revisiting a product page it has kept: the browser asks with the page's ETag, the
shop answers 304 (no page sent), and the kept page still works: its scripts run under the
policy kept with it, htmx adds to the cart. (Chromium never lets a 304 replace a kept
page's Content-* headers; other browsers merge what a 304 brings, which is why it brings no
Content-Security-Policy: tests/catalog/test_conditional_requests.py checks that.)"""

import json
import re

from playwright.sync_api import Page, expect


def _statuses(log_text: str, route: str) -> list[int]:
    found = []
    for line in log_text.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("event") == "request" and entry.get("route") == route:
            found.append(entry.get("status"))
    return found


def test_a_reloaded_product_page_is_a_304_and_still_works(page: Page, live_server):
    refused: list[str] = []
    page.on("console", lambda message: refused.append(message.text)
            if message.type == "error" else None)
    # Any product still in stock: earlier journeys of the run may have sold the first out.
    page.goto("/products?in_stock=1&kind=product")
    product = page.locator("article.product-card .product-card-link").first.get_attribute(
        "href")
    page.goto(product)  # a whole page (a card's link is boosted: htmx fetches it)
    before = _statuses(live_server.log_path.read_text(), "/p/<slug>")

    page.reload()  # a reload asks again with If-None-Match

    after = _statuses(live_server.log_path.read_text(), "/p/<slug>")
    assert after[len(before):] == [304]
    expect(page).to_have_url(re.compile(r"/p/"))
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    # The kept page's scripts run: htmx adds to the cart and answers under the button.
    page.locator("form.add-to-cart button.add-button").click()
    expect(page.locator("form.add-to-cart .add-result")).not_to_be_empty()
    expect(page.locator("#cart-link .cart-count")).to_have_text("1")
    assert not [text for text in refused if "Content Security Policy" in text], refused
