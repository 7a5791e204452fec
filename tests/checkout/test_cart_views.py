"""The cart as a shopper uses it: add from a product page or a card, change quantities with the
stepper, remove; with and without htmx; stock messages; tampered forms refused. Run on SQLite
and on PostgreSQL (`--db`)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.catalog import inputs
from app.checkout import cart as carts
from app.checkout.models import Cart
from app.inventory import services as inventory
from tests.catalog.factories import make_product
from tests.catalog.pages import attr, find, text, texts
from tests.checkout.factories import guest_cart, service_with_slot, stocked
from tests.factories import make_customer
from tests.statements import statements_sent

HTMX = {"HX-Request": "true"}
HTMX_CART = {"HX-Request": "true", "HX-Target": "cart"}


def add(client, variant, quantity=1, **extra):
    return client.post("/cart/items", data={"variant_id": variant.id, "quantity": quantity,
                                            **extra})


def cart_page(client) -> str:
    response = client.get("/cart")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def badge(html: str) -> int:
    """The number on the header's cart link (checked against what a screen reader hears)."""
    label = attr(html, "aria-label", id="cart-link")
    shown = texts(html, cls="cart-count")
    number = int(shown[0]) if shown else 0
    assert label == f"Cart, {number} item" + ("" if number == 1 else "s"), label
    return number


def quantities(html: str) -> list[str]:
    return [e["attrs"]["value"] for e in find(html, cls="stepper-number")]


def token_of(client) -> str | None:
    cookie = client.get_cookie("kade_cart")
    return cookie.value if cookie else None


def count(client) -> int:
    return carts.item_count(token=token_of(client))


# ---- the page -------------------------------------------------------------------------------

def test_an_empty_cart_says_so_and_links_to_the_shop(client, db_session):
    html = cart_page(client)

    assert "Your cart is empty." in html
    assert attr(html, "href", cls="button", tag="a") == "/products"
    assert badge(html) == 0
    assert client.get_cookie("kade_cart") is None  # looking makes no cart


def test_the_cart_shows_lines_totals_savings_and_a_services_time(client, db_session):
    tea = make_product("Ceylon tea", price_cents=650_00, name_si="තේ").variants[0]
    tea.compare_at_cents = 800_00
    db_session.commit()
    inventory.receive(tea.id, 10)
    visit, slot = service_with_slot("AC service visit", price_cents=5_000_00)
    add(client, tea, 3)
    add(client, visit, 1, slot_id=slot.id)

    html = cart_page(client)

    assert texts(html, cls="cart-line-name") == ["Ceylon tea", "AC service visit"]
    assert quantities(html) == ["3", "1"]
    assert texts(html, cls="cart-line-total") == ["Line total: Rs. 1,950.00",
                                                  "Line total: Rs. 5,000.00"]
    assert "Time: " in text(html, cls="cart-line-slot")
    assert text(html, id="cart-total") == "Rs. 6,950.00"
    assert "Calculated at checkout" in html
    assert text(html, cls="savings") == "You save Rs. 450.00"  # 3 × (800 - 650)
    assert badge(html) == 4
    assert find(html, cls="checkout-button")
    client.post("/language", data={"language": "si", "next": "/cart"})
    assert texts(cart_page(client), cls="cart-line-name")[0] == "තේ"


# ---- adding ---------------------------------------------------------------------------------

def test_adding_without_javascript_goes_back_with_a_message(client, db_session):
    tea = stocked("Ceylon tea", units=5)

    response = add(client, tea, 2, next="/p/ceylon-tea")

    assert response.status_code == 303
    assert response.headers["Location"] == "/p/ceylon-tea"
    page = client.get("/p/ceylon-tea").get_data(as_text=True)
    assert "Added to your cart." in text(page, id="flashes")
    assert badge(page) == 2
    assert count(client) == 2


def test_a_guests_cart_cookie_is_httponly_lax_and_lasts_90_days(client, db_session, make_app):
    tea = stocked()

    cookie = add(client, tea).headers["Set-Cookie"]

    assert cookie.startswith("kade_cart=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Max-Age=7776000" in cookie and "Secure" not in cookie
    secure = make_app(SESSION_COOKIE_SECURE=True).test_client()
    assert "Secure" in add(secure, tea).headers["Set-Cookie"]


def test_adding_with_htmx_answers_a_note_and_the_badge_out_of_band(client, db_session):
    tea = stocked(units=5)

    response = client.post("/cart/items", data={"variant_id": tea.id, "quantity": 2},
                           headers=HTMX)

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Added to your cart." in text(html, cls="add-note")
    assert attr(html, "hx-swap-oob", id="cart-link") == "true"
    assert badge(html) == 2
    assert "<html" not in html
    added = client.post("/cart/items", data={"variant_id": tea.id}, headers=HTMX)
    assert badge(added.get_data(as_text=True)) == 3


def test_more_than_in_stock_is_refused_with_a_message_and_nothing_changes(client, db_session):
    tea = stocked(units=3)
    add(client, tea, 2)

    plain = add(client, tea, 2)
    htmx = client.post("/cart/items", data={"variant_id": tea.id, "quantity": 2},
                       headers=HTMX)

    assert plain.status_code == 303
    assert "left in stock" in text(cart_page(client), id="flashes")
    assert htmx.status_code == 409
    assert "left in stock" in text(htmx.get_data(as_text=True), cls="add-note")
    assert count(client) == 2


def test_a_sold_out_item_cannot_be_added(client, db_session):
    tea = stocked(units=0)

    response = client.post("/cart/items", data={"variant_id": tea.id}, headers=HTMX)

    assert response.status_code == 409
    assert "out of stock" in response.get_data(as_text=True)
    assert count(client) == 0
    # A guest's first item refused: no cart was made, so no cookie names one.
    assert client.get_cookie("kade_cart") is None
    assert db_session.scalar(select(func.count()).select_from(Cart)) == 0


@pytest.mark.parametrize(("field", "value", "message"), [
    ("quantity", "-1", "Enter a quantity from 1 to 99."),
    ("quantity", "0", "Enter a quantity from 1 to 99."),
    ("quantity", "100", "Enter a quantity from 1 to 99."),
    ("quantity", "99999999999999999999", "Enter a quantity from 1 to 99."),
    ("quantity", "two", "Enter a quantity from 1 to 99."),
    ("quantity", "1e3", "Enter a quantity from 1 to 99."),
    ("quantity", "٣", "Enter a quantity from 1 to 99."),
    ("variant_id", "999999", "This item is not on sale any more."),
    ("variant_id", "-5", "This item is not on sale any more."),
    ("variant_id", "tea", "This item is not on sale any more."),
    ("variant_id", "", "This item is not on sale any more."),
    ("slot_id", "12", "That time cannot be booked. Choose another."),
    ("slot_id", "soon", "That time cannot be booked. Choose another."),
])
def test_tampered_add_forms_are_refused_with_a_message(client, db_session, field, value,
                                                       message):
    tea = stocked(units=5)
    add(client, tea, 1)
    data = {"variant_id": tea.id, "quantity": 1, field: value}

    plain = client.post("/cart/items", data=data)
    htmx = client.post("/cart/items", data=data, headers=HTMX)

    assert plain.status_code == 303
    assert message in text(cart_page(client), id="flashes")
    assert htmx.status_code in (404, 409, 422)
    assert message in htmx.get_data(as_text=True)
    assert count(client) == 1


def test_a_posted_price_is_ignored(client, db_session):
    tea = stocked(units=5, price_cents=1_250_00)

    add(client, tea, 1, price_cents=1, unit_cents=1, total_cents=1)

    assert text(cart_page(client), id="cart-total") == "Rs. 1,250.00"


def test_a_service_needs_one_of_its_free_times(client, db_session):
    visit, slot = service_with_slot(capacity=2)
    visit_id, slot_id = visit.id, slot.id  # a refused change rolls back: objects expire

    without = client.post("/cart/items", data={"variant_id": visit_id}, headers=HTMX)
    too_many = client.post("/cart/items", data={"variant_id": visit_id, "quantity": 3,
                                                "slot_id": slot_id}, headers=HTMX)
    booked = client.post("/cart/items", data={"variant_id": visit_id, "quantity": 2,
                                              "slot_id": slot_id}, headers=HTMX)

    assert without.status_code == 422
    assert "Choose a time for this service." in without.get_data(as_text=True)
    assert too_many.status_code == 409
    assert "Only 2 places are left at that time." in too_many.get_data(as_text=True)
    assert booked.status_code == 200
    assert count(client) == 2


# ---- the product page and cards -------------------------------------------------------------

def test_a_product_page_has_a_quantity_and_add_to_cart(client, db_session):
    tea = stocked("Ceylon tea", units=3)

    html = client.get("/p/ceylon-tea").get_data(as_text=True)

    form = find(html, cls="add-to-cart")[0]["attrs"]
    assert form["action"] == "/cart/items" and form["hx-post"] == "/cart/items"
    assert attr(html, "value", tag="input", name="variant_id") == str(tea.id)
    assert attr(html, "max", id="add-quantity") == "3"
    assert text(html, cls="add-button") == "Add to cart"


def test_a_sold_out_product_has_a_disabled_sold_out_button(client, db_session):
    stocked("Ceylon tea", units=0)

    html = client.get("/p/ceylon-tea").get_data(as_text=True)

    button = find(html, cls="add-button")[0]
    assert " ".join(button["text"].split()) == "Sold out"
    assert "disabled" in button["attrs"]
    assert not find(html, id="add-quantity")


def test_a_service_page_offers_its_next_free_times_to_pick(client, db_session):
    visit, slot = service_with_slot("AC service visit")

    html = client.get(f"/p/{visit.product.slug}").get_data(as_text=True)

    radio = find(html, tag="input", name="slot_id")
    assert [r["attrs"]["value"] for r in radio] == [str(slot.id)]
    assert "checked" in radio[0]["attrs"]
    assert text(html, cls="add-button") == "Add to cart"


def test_cards_of_single_variant_products_have_an_add_button(client, db_session):
    stocked("Ceylon tea", units=4)
    stocked("Kettle", units=0)
    rice = make_product("Rice", variants=[inputs.VariantInput(sku="R-1", price_cents=260_00),
                                          inputs.VariantInput(sku="R-5", price_cents=1200_00)])
    inventory.receive(rice.variants[0].id, 5)  # two packs: chosen on the product page
    service_with_slot("AC service visit")

    html = client.get("/products?sort=name").get_data(as_text=True)

    buttons = {b["attrs"].get("aria-label") or " ".join(b["text"].split()): b["attrs"]
               for b in find(html, cls="card-add-button")}
    assert "Add to cart (Ceylon tea)" in buttons
    assert "disabled" not in buttons["Add to cart (Ceylon tea)"]
    assert "Sold out" in buttons and "disabled" in buttons["Sold out"]
    assert len(find(html, cls="card-add")) == 2  # a service needs a time: no button either


def test_every_card_ends_with_one_action_in_the_same_place(client, db_session):
    stocked("Ceylon tea", units=4)
    stocked("Kettle", units=0)
    rice = make_product("Rice", variants=[inputs.VariantInput(sku="R-1", price_cents=260_00),
                                          inputs.VariantInput(sku="R-5", price_cents=1200_00)])
    inventory.receive(rice.variants[0].id, 5)
    service_with_slot("AC service visit")

    html = client.get("/products?sort=name").get_data(as_text=True)

    actions = [a["attrs"].get("aria-label") or " ".join(a["text"].split())
               for a in find(html, cls="card-action")]
    assert actions == ["Book", "Add to cart (Ceylon tea)", "Sold out", "Choose options"]
    links = [a["attrs"]["href"] for a in find(html, tag="a", cls="card-action")]
    assert links == ["/p/ac-service-visit", f"/p/{rice.slug}"]
    assert len(find(html, cls="card-foot")) == 4  # one per card, at its foot


# ---- changing and removing ------------------------------------------------------------------

def line_id(client) -> int:
    html = cart_page(client)
    return int(find(html, cls="cart-line")[0]["attrs"]["id"].removeprefix("line-"))


def test_the_stepper_without_javascript(client, db_session):
    tea = stocked(units=5)
    add(client, tea, 2)
    line = line_id(client)

    up = client.post(f"/cart/items/{line}", data={"quantity": 2, "change": "up"})
    down = client.post(f"/cart/items/{line}", data={"quantity": 3, "change": "down"})
    typed = client.post(f"/cart/items/{line}", data={"quantity": "4"})

    assert [r.status_code for r in (up, down, typed)] == [303, 303, 303]
    assert up.headers["Location"] == "/cart"
    html = cart_page(client)
    assert quantities(html) == ["4"]
    assert badge(html) == 4


def test_the_stepper_with_htmx_swaps_the_cart_and_the_badge(client, db_session):
    tea = stocked(units=5)
    add(client, tea, 1)
    line = line_id(client)

    response = client.post(f"/cart/items/{line}", data={"quantity": 1, "change": "up"},
                           headers=HTMX_CART)

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="cart"')
    assert quantities(html) == ["2"]
    assert text(html, id="cart-total") == "Rs. 2,500.00"
    assert attr(html, "hx-swap-oob", id="cart-link") == "true"
    assert badge(html) == 2


def test_stepping_past_the_stock_says_what_is_left_and_changes_nothing(client, db_session):
    tea = stocked(units=2)
    add(client, tea, 2)
    line = line_id(client)

    response = client.post(f"/cart/items/{line}", data={"quantity": 2, "change": "up"},
                           headers=HTMX_CART)

    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "left in stock" in text(html, cls="cart-message")
    assert quantities(html) == ["2"]


def test_stepping_down_from_one_removes_the_line(client, db_session):
    tea = stocked(units=2)
    add(client, tea, 1)
    line = line_id(client)

    response = client.post(f"/cart/items/{line}", data={"quantity": 1, "change": "down"},
                           headers=HTMX_CART)

    html = response.get_data(as_text=True)
    assert "Your cart is empty." in html
    assert badge(html) == 0


def test_remove_with_and_without_htmx(client, db_session):
    tea, soap = stocked("Tea", units=2), stocked("Soap", units=2)
    add(client, tea)
    add(client, soap)
    lines = [int(e["attrs"]["id"].removeprefix("line-"))
             for e in find(cart_page(client), cls="cart-line")]

    plain = client.post(f"/cart/items/{lines[0]}/remove")
    htmx = client.post(f"/cart/items/{lines[1]}/remove", headers=HTMX_CART)

    assert plain.status_code == 303
    assert htmx.status_code == 200
    assert "Your cart is empty." in htmx.get_data(as_text=True)
    assert "Removed from your cart." in text(cart_page(client), id="flashes")


@pytest.mark.parametrize(("value", "change"), [
    ("-1", ""), ("100", ""), ("99", "up"), ("lots", ""), ("", ""), ("1.5", ""),
    ("99999999999999999999", ""),
])
def test_tampered_quantities_are_refused_and_change_nothing(client, db_session, value,
                                                           change):
    tea = stocked(units=200)
    add(client, tea, 2)
    line = line_id(client)

    response = client.post(f"/cart/items/{line}", data={"quantity": value, "change": change},
                           headers=HTMX_CART)

    assert response.status_code == 422
    assert "Enter a quantity from 1 to 99." in response.get_data(as_text=True)
    assert count(client) == 2


def test_another_carts_line_cannot_be_changed_or_removed(client, db_session):
    tea = stocked(units=5)
    theirs = guest_cart((tea, 2))
    their_cart, their_line = theirs.id, theirs.lines[0].id
    add(client, tea, 1)

    changed = client.post(f"/cart/items/{their_line}", data={"quantity": 5},
                          headers=HTMX_CART)
    removed = client.post(f"/cart/items/{their_line}/remove")
    no_cart = client.__class__(client.application).post(f"/cart/items/{their_line}/remove")

    assert changed.status_code == 404
    assert "That item is no longer in your cart." in changed.get_data(as_text=True)
    assert removed.status_code == 303
    assert "That item is no longer in your cart." in text(cart_page(client), id="flashes")
    assert no_cart.status_code == 303
    assert [line.quantity for line in db_session.get(Cart, their_cart).lines] == [2]
    assert count(client) == 1


def test_the_cart_says_when_stock_ran_out_since_it_was_filled(client, db_session):
    tea = stocked("Ceylon tea", units=5)
    soap = stocked("Soap", units=5)
    add(client, tea, 3)
    add(client, soap, 1)
    inventory.set_on_hand(tea.id, 1)
    inventory.set_on_hand(soap.id, 0)

    html = cart_page(client)

    assert texts(html, cls="line-problem")[:2] == ["Only 1 left in stock.",
                                                  "Sorry, this is out of stock."]
    assert not find(html, cls="checkout-button")
    assert "Change or remove the items marked above to check out." in html


# ---- whose cart -----------------------------------------------------------------------------

def test_signing_in_merges_the_guest_cart_and_forgets_the_cookie(client, db_session, login):
    tea = stocked(units=5)
    customer = make_customer()
    mine = carts.open_cart(user_id=customer.id)
    carts.add_item(mine, tea.id, 1)
    add(client, tea, 2)

    login(customer)

    assert client.get_cookie("kade_cart") is None
    html = cart_page(client)
    assert quantities(html) == ["3"]
    assert badge(html) == 3


def test_a_signed_in_customers_badge_follows_every_change(client, db_session, login):
    """The badge of a signed-in customer's pages comes with their lookup (one query); a
    change answers with the count after it, and the next page shows that."""
    tea = stocked(units=9)
    customer = make_customer()
    carts.add_item(carts.open_cart(user_id=customer.id), tea.id, 3)
    login(customer)
    assert badge(client.get("/products").get_data(as_text=True)) == 3

    added = client.post("/cart/items", data={"variant_id": tea.id, "quantity": 2},
                        headers=HTMX)
    assert badge(added.get_data(as_text=True)) == 5
    assert badge(client.get("/p/ceylon-tea").get_data(as_text=True)) == 5
    add(client, tea, 1, next="/products")  # without htmx: back to the page, one more
    assert badge(client.get("/products").get_data(as_text=True)) == 6
    [line] = carts.find_cart(user_id=customer.id).lines
    emptied = client.post(f"/cart/items/{line.id}/remove", headers=HTMX_CART)
    assert badge(emptied.get_data(as_text=True)) == 0
    assert badge(client.get("/products").get_data(as_text=True)) == 0


def test_a_page_counts_the_cart_once(client, app, db_session):
    """A page asks for the count twice (its ETag, its header's badge): one query."""
    tea = stocked(units=5)
    add(client, tea, 2)
    client.get("/cart")  # shows the "Added" message

    with statements_sent(app) as statements:
        response = client.get("/p/ceylon-tea")

    assert response.headers["ETag"]
    assert badge(response.get_data(as_text=True)) == 2
    assert sum("checkout_cart_line" in statement for statement in statements) == 1


def test_registering_keeps_what_the_guest_put_in_the_cart(client, db_session):
    tea = stocked(units=5)
    add(client, tea, 2)

    client.post("/account/register", data={
        "name": "Nimal Perera", "email": "nimal@example.lk", "phone": "077 123 4567",
        "password": "a long pass phrase"})

    assert quantities(cart_page(client)) == ["2"]


def test_staff_have_no_cart(client, db_session):
    from tests.backoffice.conftest import current_code
    from tests.factories import PASSWORD, make_staff

    staff = make_staff("order_manager")
    client.post("/staff/login", data={"email": staff.email, "password": PASSWORD})
    client.post("/staff/login/code", data={"code": current_code(staff.totp_secret)})
    tea = stocked(units=5)

    response = client.post("/cart/items", data={"variant_id": tea.id}, headers=HTMX)
    html = cart_page(client)

    assert response.status_code == 403
    assert "Staff accounts cannot shop" in response.get_data(as_text=True)
    assert not find(html, id="cart-link")
    assert "Staff accounts have no cart." in html
    assert re.search(r"Back office", html)
