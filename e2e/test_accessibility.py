"""axe-core (vendored in e2e/vendor/) finds no serious or critical accessibility problem on
the pages a shopper and the staff use most: home, a category, a product, the cart, each
checkout step, the order, the account and the staff order page; on a 390x844 phone."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from e2e.staff import sign_in_new_staff

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
PHONE = {"width": 390, "height": 844}
DEMO_PASSWORD = "kade-demo-2026"  # noqa: S105 — the demo shop's published password


def axe_problems(page: Page) -> list[str]:
    """Serious and critical violations on the page as it is now, one line each."""
    if not page.evaluate("() => !!window.axe"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate("""() => axe.run(document, {
        runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa',
                                        'wcag22aa', 'best-practice']}})""")
    return [f"{page.url}: {v['impact']} {v['id']}: {v['help']} "
            f"({', '.join(n['target'][0] for n in v['nodes'][:3])})"
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


def _context(browser: Browser, base_url: str):
    # bypass_csp: the page's CSP (rightly) refuses a script the page did not load itself.
    return browser.new_context(base_url=base_url, viewport=PHONE, is_mobile=True,
                               has_touch=True, bypass_csp=True)


def test_shopper_pages_have_no_serious_accessibility_problems(browser: Browser, base_url):
    context = _context(browser, base_url)
    page = context.new_page()
    found: list[str] = []
    try:
        for path in ["/", "/c/groceries", "/p/ceylon-black-tea-leaves"]:
            page.goto(path)
            found += axe_problems(page)

        page.locator("form.add-to-cart button[type=submit]").click()
        expect(page.locator("form.add-to-cart .add-result")).not_to_be_empty()
        page.goto("/cart")
        found += axe_problems(page)

        page.goto("/checkout")
        found += axe_problems(page)
        page.get_by_label("Full name").fill("Axe Shopper")
        page.get_by_label("Email").fill("axe.shopper@example.lk")
        page.get_by_label("Mobile number").fill("077 123 4567")
        page.get_by_label("Address line 1").fill("5 Church Street")
        page.get_by_label("City or town").fill("Galle")
        page.get_by_label("District").select_option(label="Galle")
        page.get_by_role("button", name="Continue to delivery").click()
        expect(page.get_by_role("heading", name="Delivery", level=2)).to_be_visible()
        found += axe_problems(page)
        page.locator("input[name=delivery_option]:not([disabled])").first.check()
        page.get_by_role("button", name="Continue to payment").click()
        expect(page.get_by_role("heading", name="Payment", level=2)).to_be_visible()
        found += axe_problems(page)
        page.locator("input[name=payment_method][value=cod]").check()
        page.get_by_role("button", name="Review your order").click()
        expect(page.get_by_role("heading", name="Review", level=2)).to_be_visible()
        found += axe_problems(page)
        # Not placed (the suite's demo stock is shared and small): the order page is checked
        # as the customer sees it from their account, below.

        page.goto("/account/login")
        found += axe_problems(page)
    finally:
        context.close()

    context = _context(browser, base_url)
    page = context.new_page()
    try:
        page.goto("/account/login")
        page.get_by_label("Email").fill("sarah@example.lk")
        page.get_by_label("Password").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", name="My account")).to_be_visible()
        found += axe_problems(page)
        page.goto("/account/orders")
        page.locator("main a[href^='/account/orders/']").first.click()
        expect(page.locator("#order-status")).to_be_visible()
        found += axe_problems(page)
    finally:
        context.close()

    assert not found, "\n".join(found)


def test_the_staff_order_page_has_no_serious_accessibility_problems(browser: Browser,
                                                                      base_url, live_server):
    context = _context(browser, base_url)
    page = context.new_page()
    try:
        sign_in_new_staff(page, live_server, email="axe.orders@kade.lk", role="order_manager",
                          name="Axe Orders", password="checking every label")  # noqa: S106
        page.goto("/staff/orders")
        page.locator("main a[href^='/staff/orders/KD-']").first.click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("KD-")
        found = axe_problems(page)
    finally:
        context.close()

    assert not found, "\n".join(found)
