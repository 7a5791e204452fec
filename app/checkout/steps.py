"""The choices a shopper makes on the way through checkout, kept on their cart until the order
is placed (`Cart.checkout`: JSON in a sealed column, since it holds a guest's name, email,
phone and address).

The steps pages save what each step asked; `choices` turns what is saved into the
`CheckoutChoices` that `checkout.services.place_order` takes. Nothing here is trusted: the
services check every choice again when the order is placed.
"""

from __future__ import annotations

import json

from app.accounts.addresses import AddressInput
from app.checkout.models import Cart
from app.checkout.services import CheckoutChoices, Contact
from app.db import transaction, utcnow

# What a step may save, and nothing else (a tampered form cannot smuggle keys in).
KEYS = ("contact", "address", "address_id", "delivery_option", "payment_method")
CONTACT_KEYS = ("name", "email", "phone")
ADDRESS_KEYS = ("recipient", "phone", "line1", "line2", "city", "district", "postal_code")


def load(cart: Cart | None) -> dict:
    """What the shopper chose so far ({} for none, or for anything unreadable)."""
    if cart is None or not cart.checkout:
        return {}
    try:
        data = json.loads(cart.checkout)
    except ValueError:
        return {}
    return {key: data[key] for key in KEYS if key in data} if isinstance(data, dict) else {}


def save(cart: Cart, **changes) -> dict:
    """Merge `changes` into the saved choices (a value of None forgets that choice)."""
    unknown = set(changes) - set(KEYS)
    if unknown:
        raise ValueError(f"not a checkout choice: {sorted(unknown)}")
    data = load(cart)
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        elif key == "contact":
            data[key] = {k: value.get(k) for k in CONTACT_KEYS}
        elif key == "address":
            data[key] = {k: value.get(k) for k in ADDRESS_KEYS}
        else:
            data[key] = value
    with transaction():
        cart.checkout = json.dumps(data, ensure_ascii=False, sort_keys=True)
        cart.updated_at = utcnow()
    return data


def address_input(data: dict) -> AddressInput | None:
    saved = data.get("address")
    if not isinstance(saved, dict):
        return None
    return AddressInput(**{k: saved.get(k) for k in ADDRESS_KEYS})


def contact(data: dict) -> Contact | None:
    saved = data.get("contact")
    if not isinstance(saved, dict):
        return None
    return Contact(**{k: saved.get(k) or "" for k in CONTACT_KEYS})


def choices(data: dict, *, signed_in: bool, needs_delivery: bool,
            needs_address: bool | None = None, locale: str = "en") -> CheckoutChoices:
    """The saved choices as checkout takes them: a customer's address from their book (or
    a new one), a guest's contact details. The address only when goods are delivered or a
    service is done at the customer's address (`needs_address`, by default as
    `needs_delivery`); the delivery option only for goods."""
    if needs_address is None:
        needs_address = needs_delivery
    address_id = data.get("address_id") if signed_in and needs_address else None
    return CheckoutChoices(
        payment_method=data.get("payment_method") or "",
        delivery_option=data.get("delivery_option") if needs_delivery else None,
        address_id=address_id if isinstance(address_id, int) else None,
        address=address_input(data) if needs_address and address_id is None else None,
        contact=None if signed_in else contact(data),
        locale=locale)
