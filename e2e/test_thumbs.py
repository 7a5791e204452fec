"""Made for thumbs, on a phone: the language switch is in the header; the header keeps its
rows in Sinhala and Tamil at 360 px; a filter choice folds the panel and shows the results;
every product card ends with one action, in the same place."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

PHONE = {"width": 390, "height": 844}
SMALL_PHONE = {"width": 360, "height": 780}
DEMO_PASSWORD = "kade-demo-2026"  # noqa: S105 — the demo shop's published password


def _phone(browser: Browser, base_url: str, locale: str = "en-LK", viewport=PHONE) -> Page:
    context = browser.new_context(base_url=base_url, viewport=viewport, locale=locale,
                                  is_mobile=True, has_touch=True)
    return context.new_page()


def test_the_language_switch_is_in_the_header(browser: Browser, base_url):
    page = _phone(browser, base_url)
    try:
        page.goto("/p/ceylon-black-tea-leaves")
        menu = page.locator(".site-header .lang-menu")
        expect(menu.locator("summary")).to_be_in_viewport()  # no scrolling to the footer

        menu.locator("summary").tap()
        menu.get_by_role("button", name="தமிழ்").tap()

        expect(page.locator("html")).to_have_attribute("lang", "ta")
        assert page.url.endswith("/p/ceylon-black-tea-leaves")
        expect(menu.locator("summary")).to_contain_text("தமிழ்")
    finally:
        page.context.close()


_ROWS_JS = """() => [...document.querySelectorAll('.site-header nav ul')].map(ul => ({
    tops: [...ul.children].map(li => Math.round(li.getBoundingClientRect().top)),
    fits: ul.scrollWidth <= ul.clientWidth + 1}))"""


@pytest.mark.parametrize("locale", ["si-LK", "ta-LK", "en-LK"])
def test_the_header_does_not_wrap_at_360_px(browser: Browser, base_url, locale):
    page = _phone(browser, base_url, locale, SMALL_PHONE)
    try:
        for path in ["/", "/cart", "/account/login"]:
            page.goto(path)
            for row in page.evaluate(_ROWS_JS):
                assert len(set(row["tops"])) == 1, f"{locale} {path}: a header row wraps"
                assert row["fits"], f"{locale} {path}: a header row is wider than the phone"
        # Signed in, the links change ("My account", "Sign out"): they fit too.
        email = {"si-LK": "nimal@example.lk", "ta-LK": "kavitha@example.lk"}.get(
            locale, "sarah@example.lk")
        page.locator("[name=email]").fill(email)
        page.locator("[name=password]").fill(DEMO_PASSWORD)
        page.locator("main form button[type=submit]").first.click()
        expect(page.locator("nav.account-nav")).to_be_visible()
        for row in page.evaluate(_ROWS_JS):
            assert len(set(row["tops"])) == 1, f"{locale} signed in: a header row wraps"
            assert row["fits"], f"{locale} signed in: a header row is wider than the phone"
    finally:
        page.context.close()


def test_a_filter_choice_folds_the_panel_and_shows_the_results(browser: Browser, base_url):
    page = _phone(browser, base_url)
    try:
        page.goto("/products")
        panel = page.locator("#catalog-filters .filter-panel")
        panel.locator("summary").tap()
        expect(panel).to_have_attribute("open", "")

        panel.get_by_label("In stock only").check()

        expect(page).to_have_url(re.compile(r"in_stock=1"))
        expect(page.locator("#catalog-filters .filter-panel")).not_to_have_attribute("open", "")
        expect(page.locator("#product-list > li").first).to_be_in_viewport()
        expect(page.locator("#catalog-filters summary")).to_contain_text("(1)")
    finally:
        page.context.close()


def test_every_card_ends_with_one_action_in_the_same_place(browser: Browser, base_url):
    page = _phone(browser, base_url)
    try:
        page.goto("/products")
        cards = page.evaluate("""() => [...document.querySelectorAll('#product-list .product-card')]
            .map(card => {
              const actions = card.querySelectorAll('.card-action');
              const box = card.getBoundingClientRect();
              const act = actions[0] && actions[0].getBoundingClientRect();
              const words = actions[0] && actions[0].childNodes[0].textContent.trim();
              return {count: actions.length, text: words,
                      cardTop: Math.round(box.top),
                      fromBottom: act && Math.round(box.bottom - act.bottom)};
            })""")
        assert cards, "the demo shop lists products"
        assert all(c["count"] == 1 for c in cards), cards
        assert {c["text"] for c in cards} <= {"Add to cart", "Choose options", "Book", "Sold out"}
        rows: dict[int, set[int]] = {}
        for c in cards:
            rows.setdefault(c["cardTop"], set()).add(c["fromBottom"])
        assert all(len(spots) == 1 for spots in rows.values()), rows  # one line per row
    finally:
        page.context.close()


_LINES_JS = """els => els.map(el => {
    const style = getComputedStyle(el);
    const line = parseFloat(style.lineHeight) || parseFloat(style.fontSize) * 1.5;
    const height = el.getBoundingClientRect().height;
    return {text: el.textContent.trim(), lines: Math.round(height / line)};
})"""


@pytest.mark.parametrize("locale", ["si-LK", "ta-LK"])
def test_labels_keep_their_words_whole_on_a_small_phone(browser: Browser, base_url, locale):
    """The quantity's label and the cart's totals ("Subtotal (1 item)") read on one line at
    360 and 390 px: a long note beside them once squeezed them to a letter or two a line."""
    page = _phone(browser, base_url, locale, SMALL_PHONE)
    try:
        page.goto("/p/ceylon-black-tea-leaves")
        for viewport in (SMALL_PHONE, PHONE):
            page.set_viewport_size(viewport)
            label = page.locator(".add-row label").evaluate_all(_LINES_JS)
            assert label and label[0]["lines"] == 1, f"{locale} {viewport}: {label}"
        page.locator("form.add-to-cart button[type=submit]").click()
        expect(page.locator("form.add-to-cart .add-result")).not_to_be_empty()
        page.goto("/cart")
        for viewport in (SMALL_PHONE, PHONE):
            page.set_viewport_size(viewport)
            labels = page.locator(".cart-summary .totals dt").evaluate_all(_LINES_JS)
            assert len(labels) >= 3, labels
            assert all(label["lines"] == 1 for label in labels), f"{locale} {viewport}: {labels}"
    finally:
        page.context.close()
