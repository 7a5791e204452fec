"""Marketing staff edit a shop page and the shop's details on a phone; shoppers see the
Tamil text they wrote, English where they wrote none, and the new WhatsApp number in the
footer of every page."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from e2e.staff import open_staff_area, sign_in_new_staff

STAFF_EMAIL = "nilmini.marketing@kade.lk"
STAFF_PASSWORD = "words that sell tea"  # noqa: S105 — a test login


def test_marketing_edits_a_page_and_the_details_and_shoppers_see_them(
        page: Page, live_server, browser):
    sign_in_new_staff(page, live_server, email=STAFF_EMAIL, role="marketing",
                      name="Nilmini Marketing", password=STAFF_PASSWORD)
    open_staff_area(page, "Shop pages")  # the start page is a dashboard
    expect(page.get_by_role("heading", name="Shop pages", level=1)).to_be_visible()
    page.get_by_role("main").get_by_role("link", name="About us").click()
    expect(page.get_by_label("Title (English)")).to_have_value("About us")
    page.get_by_label("Text (English)").fill("A tea shop since 1990.\n\n- Fresh\n- Fair")
    page.get_by_label("Title (Tamil)").fill("எங்கள் கதை")
    page.get_by_label("Text (Tamil)").fill("1990 முதல் ஒரு தேநீர் கடை.")
    page.get_by_label("Title (Sinhala)").fill("")
    page.get_by_label("Text (Sinhala)").fill("")
    page.screenshot(path=str(live_server.log_path.parent / "shop-page-editor.png"),
                    full_page=True)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Page “About us” saved.")

    page.get_by_role("button", name="Change the details").click()
    page.get_by_label("WhatsApp number").fill("011 234 5678")  # a landline: refused
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Enter a Sri Lankan mobile number")).to_be_visible()
    page.get_by_label("WhatsApp number").fill("076 555 1234")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("The shop's details are saved.")

    shopper = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                  base_url=live_server.url)
    try:
        visitor = shopper.new_page()
        visitor.goto("/about")
        expect(visitor.get_by_role("heading", name="About us")).to_be_visible()
        expect(visitor.get_by_role("listitem").filter(has_text="Fresh")).to_be_visible()
        visitor.get_by_role("button", name="தமிழ்").click()
        expect(visitor.get_by_role("heading", name="எங்கள் கதை")).to_be_visible()
        visitor.get_by_role("button", name="සිංහල").click()
        expect(visitor.get_by_role("heading", name="About us")).to_be_visible()  # English
        expect(visitor.locator("footer").get_by_role("link", name=re.compile("WhatsApp"))
               ).to_have_attribute("href", "https://wa.me/94765551234")
    finally:
        shopper.close()
