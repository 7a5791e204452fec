"""A guest on a phone pays by card through PayHere's hosted checkout, played by the shop's
built-in sandbox (the live server runs in development with no PayHere merchant: the local
sandbox is on, and no network is needed): Pay → back on the shop, the return page waits for
PayHere's word and shows the order paid. A second order → Cancel → the order is still
payable ("Pay now") and its stock is still held."""

from __future__ import annotations

import json
import re
import subprocess
import sys

from playwright.sync_api import Page, expect

from e2e.conftest import ROOT

EMAIL = "ruwan.card@example.lk"
NUMBER = re.compile(r"KD-\d{4}-\d{6}")


def held_units(live_server, number: str) -> dict[str, int]:
    """The stock held for the order, read from the server's database as an operator would."""
    code = ("import json, sys\n"
            "from app import create_app\n"
            "from app.inventory import services as inventory\n"
            "app = create_app()\n"
            "with app.app_context():\n"
            "    print(json.dumps(inventory.held_units(sys.argv[1])))\n")
    result = subprocess.run([sys.executable, "-c", code, number], cwd=ROOT,
                            env=live_server.env, capture_output=True, text=True, timeout=120,
                            check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def check_out_with_payhere(page: Page) -> str:
    """A guest buys a pack of tea to Kandy, paying with PayHere; returns the order number
    from the "Pay for order" page the shop sends them to."""
    page.goto("/p/ceylon-black-tea-leaves")
    page.get_by_role("button", name="Add to cart", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="Added to your cart.")).to_be_visible()
    page.goto("/checkout")
    page.get_by_label("Full name").fill("Ruwan Jayasinghe")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Mobile number").fill("071 234 5678")
    page.get_by_label("Address line 1").fill("21 Peradeniya Road")
    page.get_by_label("City or town").fill("Kandy")
    page.get_by_label("District").select_option(label="Kandy")
    page.get_by_role("button", name="Continue to delivery").click()
    page.get_by_role("radio", name=re.compile("Island-wide standard")).check()
    page.get_by_role("button", name="Continue to payment").click()
    page.get_by_role("radio", name=re.compile("PayHere")).check()
    page.get_by_role("button", name="Review your order").click()
    expect(page.get_by_role("heading", name="Review", level=2)).to_be_visible()
    page.get_by_role("button", name="Place order").click()

    heading = page.get_by_role("heading", level=1, name=re.compile(r"Pay for order KD-"))
    expect(heading).to_be_visible()
    return NUMBER.search(heading.inner_text()).group()


def test_a_guest_pays_by_card_and_cancels_a_second_order_through_the_sandbox(
        page: Page, live_server):
    number = check_out_with_payhere(page)
    expect(page.locator("#pay-total")).to_have_text(re.compile(r"Rs\. [\d,]+\.00"))
    total = page.locator("#pay-total").inner_text()
    # The live server runs with the local sandbox on: the form comes to the shop itself.
    form = page.locator("form.payhere-form")
    expect(form).to_have_attribute("action", f"{live_server.url}/payhere-sandbox/pay/checkout")

    page.get_by_role("button", name="Continue to PayHere").click()
    expect(page.get_by_role("heading", name=f"Pay {total}")).to_be_visible()
    expect(page.locator("#sandbox-order")).to_have_text(number)
    page.get_by_role("button", name="Pay", exact=True).click()

    # Back on the shop: the return page polls the ledger until PayHere's notification is in.
    expect(page).to_have_url(re.compile(r"/payments/payhere/return\?"))
    expect(page.get_by_role("heading", name="Payment received")).to_be_visible(timeout=20_000)
    page.get_by_role("link", name="View your order").click()
    expect(page.get_by_role("heading", name=f"Order {number}")).to_be_visible()
    expect(page.locator("#order-status")).to_have_text("Paid")
    expect(page.get_by_role("button", name="Pay now")).to_have_count(0)

    # A second order, cancelled on PayHere's page.
    second = check_out_with_payhere(page)
    assert second != number
    page.get_by_role("button", name="Continue to PayHere").click()
    expect(page.locator("#sandbox-order")).to_have_text(second)
    page.get_by_role("button", name="Cancel", exact=True).click()

    expect(page.get_by_role("heading", name="Payment cancelled")).to_be_visible()
    expect(page.get_by_text(f"Your order {second} stays open until")).to_be_visible()
    expect(page.get_by_role("button", name="Try again")).to_be_visible()
    page.get_by_role("link", name="View your order").click()
    expect(page.get_by_role("heading", name=f"Order {second}")).to_be_visible()
    expect(page.locator("#order-status")).to_have_text("Waiting for payment")
    expect(page.get_by_role("button", name="Pay now")).to_be_visible()
    assert sum(held_units(live_server, second).values()) == 1  # still reserved

    # "Pay now" leads back to the form, ready for another try.
    page.get_by_role("button", name="Pay now").click()
    expect(page.get_by_role("heading", name=f"Pay for order {second}")).to_be_visible()
