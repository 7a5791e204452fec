"""Where a service happens: at the customer's address (in the districts it serves), at the
shop, or online. A booking of a home service asks for the address, even with nothing to
deliver, and refuses a district the service does not cover: on the page and in
`place_order` itself. The order keeps the place; its pages and the wording of cash payment
follow it. Run on SQLite and on PostgreSQL (`--db`)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.accounts.addresses import AddressInput
from app.checkout import steps
from app.checkout.services import CheckoutChoices, OutsideServiceArea, place_order
from app.content import services as content
from app.errors import Invalid
from app.orders.models import Order
from tests.catalog.pages import attr, find, text, texts
from tests.checkout.factories import (
    GALLE,
    GUEST,
    guest_cart,
    service_with_slot,
    starter_delivery,
    stocked,
)
from tests.checkout.test_views import add, guest_cart_of, page, place, step
from tests.factories import make_address, make_customer

JAFFNA = AddressInput(recipient="Kumaran Sivakumar", phone="0771234567",
                      line1="14 Hospital Road", city="Jaffna", district="jaffna",
                      postal_code="40000")
GUEST_JAFFNA = {"name": "Kumaran Sivakumar", "email": "kumaran@example.lk",
                "phone": "077 123 4567", "line1": "14 Hospital Road", "city": "Jaffna",
                "district": "jaffna", "postal_code": "40000"}
REFUSED_IN_GALLE = ("Home deep cleaning is not offered in Galle. It covers: Colombo, Jaffna. "
                    "Choose an address in one of these districts, or remove it from your cart.")


@pytest.fixture()
def cleaning(db_session):
    """A home service for Colombo and Jaffna, with a slot tomorrow: (variant, slot)."""
    starter_delivery()
    return service_with_slot("Home deep cleaning", price_cents=12_000_00, where="address",
                             districts=("jaffna", "colombo"))


def order_count(db_session) -> int:
    return db_session.scalar(select(func.count()).select_from(Order))


def choices(**overrides) -> CheckoutChoices:
    data = {"payment_method": "cod", "address": JAFFNA, "contact": GUEST}
    data.update(overrides)
    return CheckoutChoices(**data)


# ---- the service layer -----------------------------------------------------------------------

def test_a_home_service_in_a_district_it_covers_keeps_the_address(cleaning, db_session):
    visit, slot = cleaning
    cart = guest_cart((visit, 1, slot))

    order, created = place_order(cart, choices())

    assert created
    assert (order.ship_line1, order.ship_city, order.district) == (
        "14 Hospital Road", "Jaffna", "jaffna")
    assert order.ship_phone == "+94771234567" and order.delivery_code is None
    assert order.delivery_fee_cents == 0 and order.total_cents == 12_000_00
    assert order.lines[0].service_location == "address"
    assert order.has_visit and order.is_services_only


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"address": GALLE}, "district", REFUSED_IN_GALLE),
    ({"address": None}, "address_id", "Enter your delivery address."),
    ({"address": AddressInput(recipient="K", phone="0771234567", line1="1 Road",
                              city="Jaffna", district="atlantis")}, "district", None),
])
def test_a_home_service_is_refused_without_an_address_it_covers(cleaning, db_session,
                                                                overrides, field, message):
    visit, slot = cleaning
    cart = guest_cart((visit, 1, slot))

    with pytest.raises(Invalid) as refused:
        place_order(cart, choices(**overrides))

    assert refused.value.field == field
    if message:
        assert str(refused.value.message) == message
    assert order_count(db_session) == 0
    assert cart.status == "open"


def test_the_refusal_is_its_own_kind_for_callers(cleaning, db_session):
    visit, slot = cleaning

    with pytest.raises(OutsideServiceArea) as refused:
        place_order(guest_cart((visit, 1, slot)), choices(address=GALLE))

    assert refused.value.code == "outside_service_area" and refused.value.status == 422


def test_a_home_service_with_goods_collected_from_the_shop_keeps_the_address(cleaning,
                                                                            db_session):
    visit, slot = cleaning
    tea = stocked("Ceylon tea", units=3)
    cart = guest_cart((visit, 1, slot), tea)

    order, _ = place_order(cart, choices(delivery_option="pickup"))

    assert order.delivery_code == "pickup" and order.ship_line1 == "14 Hospital Road"
    assert {line.kind: line.service_location for line in order.lines} == {
        "service": "address", "product": None}


@pytest.mark.parametrize("where", ["shop", "online"])
def test_a_service_at_the_shop_or_online_needs_no_address(db_session, where):
    starter_delivery()
    visit, slot = service_with_slot("Phone screen repair", where=where)

    order, _ = place_order(guest_cart((visit, 1, slot)), choices(address=None))

    assert order.ship_line1 is None and order.district is None
    assert order.lines[0].service_location == where
    assert not order.has_visit


# ---- the checkout pages ----------------------------------------------------------------------

def test_a_guest_booking_a_home_service_gives_an_address_it_covers(client, cleaning, outbox,
                                                                  db_session):
    visit, slot = cleaning
    add(client, visit, 1, slot)

    first = page(client)
    assert text(first, cls="checkout-steps") == "Address Payment Review"
    assert "Home deep cleaning is done at your address. We come to: Colombo, Jaffna." in text(
        first, id="service-area-note")
    assert "Continue to payment" in texts(first, tag="button")

    refused = step(client, "address", **{**GUEST_JAFFNA, "district": "galle", "city": "Galle"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert text(html, id="district-error") == REFUSED_IN_GALLE
    assert attr(html, "aria-invalid", id="district") == "true"
    assert "address" not in steps.load(guest_cart_of(client))

    accepted = step(client, "address", **GUEST_JAFFNA)
    assert accepted.headers["Location"] == "/checkout?step=payment"
    payment = page(client, "payment")
    assert "Cash on delivery Pay in cash on the day of your booking." in texts(
        payment, cls="choice-text")
    step(client, "payment", payment_method="cod")
    review = page(client, "review")
    assert "Where we come to" in review and "14 Hospital Road" in review
    assert "At your address" in text(review, cls="service-place")
    assert "in cash on the day of your booking" in review
    placed = place(client)

    order = db_session.scalar(select(Order))
    assert placed.headers["Location"].startswith(f"/orders/{order.number}?t=")
    assert (order.district, order.ship_line1) == ("jaffna", "14 Hospital Road")
    shown = client.get(placed.headers["Location"]).get_data(as_text=True)
    assert "You pay Rs. 12,000.00 in cash on the day of your booking." in shown
    assert "when it arrives" not in shown
    assert text(shown, cls="service-place") == "At your address"
    assert "Where we come to" in shown and "14 Hospital Road" in shown and "Jaffna" in shown
    [mail] = outbox.to("kumaran@example.lk")
    assert "You pay in cash on the day of your booking." in mail.get_body(
        ("plain",)).get_content()


def test_a_district_the_service_stopped_covering_sends_the_shopper_back(client, cleaning,
                                                                       db_session):
    """Saved choices are checked again: an address that was fine for another cart (or before
    staff changed the districts) cannot skip the address step."""
    visit, slot = cleaning
    add(client, visit, 1, slot)
    steps.save(guest_cart_of(client), contact={k: GUEST_JAFFNA[k] for k in
                                               ("name", "email", "phone")},
               address={**GUEST_JAFFNA, "recipient": "K", "district": "galle"},
               payment_method="cod")

    review = client.get("/checkout?step=review")
    placed = client.post("/checkout", data={"step": "place", "idempotency_key": "k" * 24})

    assert review.headers["Location"] == "/checkout?step=address"
    assert placed.headers["Location"] == "/checkout?step=address"
    address = page(client, "address")
    assert text(address, id="district-error") == REFUSED_IN_GALLE
    assert address.count(REFUSED_IN_GALLE) == 1  # on its field, not repeated above
    assert order_count(db_session) == 0


def test_a_customers_saved_address_outside_the_area_is_refused_on_the_choice(
        client, cleaning, login, db_session):
    customer = make_customer(name="Kumaran Sivakumar")
    galle = make_address(customer.id, district="galle")
    jaffna = make_address(customer.id, line1="14 Hospital Road", city="Jaffna",
                          district="jaffna")
    login(customer)
    visit, slot = cleaning
    add(client, visit, 1, slot)

    refused = step(client, "address", address_id=str(galle.id))
    accepted = step(client, "address", address_id=str(jaffna.id))

    assert refused.status_code == 422
    assert text(refused.get_data(as_text=True), id="address_id-error") == REFUSED_IN_GALLE
    assert accepted.headers["Location"] == "/checkout?step=payment"
    step(client, "payment", payment_method="cod")
    place(client)
    assert db_session.scalar(select(Order.district)) == "jaffna"


def test_a_shop_service_shows_the_shop_address_and_asks_no_address(client, app, db_session):
    starter_delivery()
    visit, slot = service_with_slot("Phone screen repair", where="shop")
    add(client, visit, 1, slot)

    first = page(client)
    assert text(first, cls="checkout-steps") == "Your details Payment Review"
    assert not find(first, id="district")
    step(client, "details", **{k: GUEST_JAFFNA[k] for k in ("name", "email", "phone")})
    step(client, "payment", payment_method="cod")
    placed = place(client)

    shown = client.get(placed.headers["Location"]).get_data(as_text=True)
    assert text(shown, cls="service-place") == (
        f"At the shop: {app.config['SHOP_ADDRESS']}")
    assert "Where we come to" not in shown


def test_a_shop_service_names_the_address_staff_saved_not_the_setting(client, app, db_session):
    content.save_details({"address_en": "12 Temple Road, Kandy"})
    starter_delivery()
    visit, slot = service_with_slot("Phone screen repair", where="shop")
    add(client, visit, 1, slot)
    step(client, "details", **{k: GUEST_JAFFNA[k] for k in ("name", "email", "phone")})
    step(client, "payment", payment_method="cod")

    review = page(client, "review")
    shown = client.get(place(client).headers["Location"]).get_data(as_text=True)

    for html in (review, shown):
        assert text(html, cls="service-place") == "At the shop: 12 Temple Road, Kandy"
    assert app.config["SHOP_ADDRESS"] not in shown
