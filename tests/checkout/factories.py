"""Checkout test data: stocked products, delivery options, carts and placed orders, all made
through the real services."""

from __future__ import annotations

import datetime as dt

from app.accounts import addresses
from app.accounts.addresses import AddressInput
from app.catalog import booking_slots
from app.checkout import cart as carts, delivery
from app.checkout.services import CheckoutChoices, Contact, place_order
from app.db import utcnow
from app.inventory import services as inventory
from tests.catalog.factories import make_product
from tests.factories import make_address


def stocked(name: str = "Ceylon tea", *, units: int = 10, price_cents: int = 1_250_00,
            **kwargs):
    """A published product whose one variant has `units` on hand. Returns the variant."""
    product = make_product(name, price_cents=price_cents, **kwargs)
    variant = product.variants[0]
    if units:
        inventory.receive(variant.id, units)
    return variant


def service_with_slot(name: str = "AC service visit", *, capacity: int = 2,
                      price_cents: int = 5_000_00, where: str = "shop",
                      districts: tuple[str, ...] = ()):
    """A published service with one bookable slot tomorrow, done `where` ("shop",
    "online", or "address" in `districts`). Returns (variant, slot)."""
    product = make_product(name, kind="service", price_cents=price_cents,
                           service_location=where, service_districts=districts)
    slot = booking_slots.add_slot(product.id, utcnow() + dt.timedelta(days=1),
                                  capacity=capacity)
    return product.variants[0], slot


def starter_delivery() -> None:
    delivery.ensure_starter_options()


def guest_cart(*items):
    """A guest cart holding `items`: variants, or (variant, quantity[, slot]) tuples."""
    cart = carts.open_cart(token=carts.new_token())
    for item in items:
        variant, quantity, slot = (item, 1, None) if not isinstance(item, tuple) else (
            item + (None,))[:3]
        carts.add_item(cart, variant.id, quantity, slot_id=slot.id if slot else None)
    return cart


GALLE = AddressInput(recipient="Sarah Fernando", phone="0771234567", line1="5 Church Street",
                     city="Galle", district="galle", postal_code="80000")
GUEST = Contact(name="Sarah Fernando", email="sarah@example.lk", phone="077 123 4567")


def guest_choices(**overrides) -> CheckoutChoices:
    data = {"payment_method": "cod", "delivery_option": "island-wide", "address": GALLE,
            "contact": GUEST}
    data.update(overrides)
    return CheckoutChoices(**data)


def place_guest_order(*items, **choices):
    starter_delivery()
    cart = guest_cart(*items)
    order, _ = place_order(cart, guest_choices(**choices))
    return order


def customer_order(customer, *items, method="cod"):
    """An order placed by `customer` through checkout: items are (variant, quantity)."""
    starter_delivery()
    address = next(iter(addresses.list_addresses(customer.id)), None) or make_address(
        customer.id, line1="12 Temple Road", district="galle")
    cart = carts.open_cart(user_id=customer.id)
    for variant, quantity in items:
        carts.add_item(cart, variant.id, quantity)
    order, _ = place_order(cart, CheckoutChoices(payment_method=method,
                                                 delivery_option="island-wide",
                                                 address_id=address.id), user=customer)
    return order


def order_link_target(url: str) -> tuple[str, str | None]:
    """What an order link opens: its path, and the order its guest token is valid for.
    Two links to one order may differ in their tokens (each is signed with the second it was
    made in); both open the same order. Needs an app context (the token's key)."""
    from urllib.parse import parse_qs, urlsplit

    from app.orders.services import number_from_guest_token

    parts = urlsplit(url)
    token = parse_qs(parts.query).get("t", [None])[0]
    return parts.path, number_from_guest_token(token) if token else None
