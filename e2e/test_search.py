"""A shopper on a phone searches the demo shop: live suggestions, the keyboard, Sinhala, a
typo, filters on the results."""

import re

from playwright.sync_api import Page, expect


def search_box(page: Page):
    return page.get_by_role("searchbox", name="Search products")


def test_pick_a_suggestion_to_open_the_product(page: Page, live_server):
    page.goto("/")

    search_box(page).press_sequentially("cinnam")
    suggestions = page.get_by_role("listbox", name="Suggestions")
    expect(suggestions.get_by_role("option", name="All results for “cinnam”")).to_be_visible()
    suggestions.get_by_role("option", name="Cinnamon sticks").click()

    expect(page).to_have_url(re.compile(r"/p/cinnamon-sticks$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Cinnamon sticks")


def test_arrow_keys_reach_the_suggestions(page: Page, live_server):
    page.goto("/")

    search_box(page).press_sequentially("pepp")
    # The answer for the whole word, not one for "pep" that is about to be replaced.
    expect(page.get_by_role("option", name="All results for “pepp”")).to_be_visible()
    search_box(page).press("ArrowDown")
    expect(page.get_by_role("option", name="Black pepper")).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("Black pepper")


def test_a_sinhala_search_finds_the_tea(page: Page, live_server):
    page.goto("/")

    search_box(page).fill("තේ කොළ")
    search_box(page).press("Enter")

    expect(page).to_have_url(re.compile(r"/search\?q="))
    expect(page.get_by_role("heading", level=1)).to_contain_text("තේ කොළ")
    results = page.locator("#product-list")
    expect(results.get_by_role("link", name="Ceylon black tea leaves")).to_be_visible()
    expect(results.get_by_role("listitem").first).to_contain_text("Ceylon black tea leaves")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_a_typo_is_forgiven_and_results_can_be_filtered(page: Page, live_server):
    page.goto("/")

    search_box(page).fill("cinamon")
    search_box(page).press("Enter")
    expect(page.get_by_text("Showing results for “cinnamon”.")).to_be_visible()
    expect(page.get_by_role("link", name="Cinnamon sticks")).to_be_visible()

    page.goto("/search?q=tea")
    page.get_by_label("Sort by").select_option(label="Price: high to low")
    expect(page).to_have_url(re.compile(r"sort=price_desc"))
    cards = page.locator("#product-list > li")
    expect(cards.first).to_contain_text("Green tea")  # Rs. 890 before Rs. 650


def test_nothing_found_offers_the_categories(page: Page, live_server):
    page.goto("/")

    search_box(page).fill("helicopter")
    search_box(page).press("Enter")

    expect(page.get_by_text("No products match “helicopter”.")).to_be_visible()
    expect(page.get_by_role("link", name="Groceries")).to_be_visible()


def test_search_box_fits_a_small_phone(page: Page, live_server):
    page.set_viewport_size({"width": 360, "height": 740})
    for path in ["/", "/search?q=" + "x" * 5000, "/search?q=tea"]:
        page.goto(path)
        expect(search_box(page)).to_be_visible()
        expect(page.get_by_role("button", name="Search", exact=True)).to_be_visible()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"{path[:40]} is {width}px wide on a 360px phone"
