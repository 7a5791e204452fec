"""The choices a shopper makes on the way through checkout, kept on their cart until the order
is placed (`Cart.checkout`: JSON in a sealed column, since it holds a guest's name, email,
phone and address), and the rules of the steps that ask for them.

The steps pages save what each step asked; `choices` turns what is saved into the
`CheckoutChoices` that `checkout.services.place_order` takes. Nothing here is trusted: the
services check every choice again when the order is placed.

Which steps a cart needs, which are done, which one to show and what the shopper saves are
rules on plain values (`step_names`, `StepFacts`, `step_to_show`, `you_save_cents`), so the
pages and the API answer alike and the rules are tested without a request.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from app.accounts.addresses import AddressInput
from app.checkout.models import Cart
from app.checkout.services import CheckoutChoices, Contact
from app.db import transaction, utcnow

# What a step may save, and nothing else (a tampered form cannot smuggle keys in).
KEYS = ("contact", "address", "address_id", "delivery_option", "payment_method", "use_credit",
        "use_points")
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
            needs_address: bool | None = None, locale: str = "en",
            credit_cents: int = 0, points: int = 0) -> CheckoutChoices:
    """The saved choices as checkout takes them: a customer's address from their book (or
    a new one), a guest's contact details. The address only when goods are delivered or a
    service is done at the customer's address (`needs_address`, by default as
    `needs_delivery`); the delivery option only for goods. `credit_cents` and `points`: the
    store credit and the points a signed-in customer chose to spend."""
    if needs_address is None:
        needs_address = needs_delivery
    address_id = data.get("address_id") if signed_in and needs_address else None
    return CheckoutChoices(
        payment_method=data.get("payment_method") or "",
        delivery_option=data.get("delivery_option") if needs_delivery else None,
        address_id=address_id if isinstance(address_id, int) else None,
        address=address_input(data) if needs_address and address_id is None else None,
        contact=None if signed_in else contact(data),
        locale=locale, credit_cents=credit_cents if signed_in else 0,
        points=points if signed_in else 0)


# ---- the steps ----------------------------------------------------------------------------------

# Which step asks for the field a service names in Invalid(field=…).
FIELD_STEPS = {"delivery_option": "delivery", "payment_method": "payment", "voucher": "review"}


def step_names(*, needs_delivery: bool, needs_address: bool, signed_in: bool) -> list[str]:
    """The steps this cart goes through, in order: goods need an address and a delivery
    option; a service done at the customer's address needs the address; a guest buying
    only other services gives their contact details; everyone pays and reviews."""
    names = []
    if needs_delivery:
        names += ["address", "delivery"]
    elif needs_address:
        names.append("address")  # a service at the customer's address: where
    elif not signed_in:
        names.append("details")  # a guest buying services: who they are
    return [*names, "payment", "review"]


Fact = bool | Callable[[], bool]


def _holds(fact: Fact) -> bool:
    return bool(fact() if callable(fact) else fact)


@dataclass(frozen=True)
class StepFacts:
    """What the shopper has given so far, as checkout's pages or the API found it. The
    costly facts (a delivery option looked up, a payment method among those offered for
    the total) may be given as functions: they are asked only once the steps before them
    are done."""

    signed_in: bool
    has_contact: bool  # a guest's name, email and phone
    district: str | None  # of the address chosen, if any
    in_service_area: Fact = True  # every service done at the address covers the district
    has_delivery_option: Fact = False  # one chosen that serves the district
    has_payment_method: Fact = False  # one chosen among those offered for the total


def is_done(step: str, facts: StepFacts) -> bool:
    """Whether `step` has what it asks for. The review step never is: placing is the end."""
    if step == "address":
        if facts.district is None or not _holds(facts.in_service_area):
            return False
        return facts.signed_in or facts.has_contact
    if step == "details":
        return facts.has_contact
    if step == "delivery":
        return _holds(facts.has_delivery_option)
    if step == "payment":
        return _holds(facts.has_payment_method)
    return False


def first_open(names: list[str], facts: StepFacts) -> str:
    """The first step not done yet (the review, when all before it are)."""
    return next(step for step in names if not is_done(step, facts))


def next_after(names: list[str], step: str) -> str:
    """The step after `step`. Raises ValueError for a step not in `names`, IndexError after
    the last."""
    return names[names.index(step) + 1]


def step_to_show(names: list[str], facts: StepFacts, asked: str = "",
                 *, posted: bool = False) -> tuple[str, bool]:
    """Which step to answer with, and whether to send the shopper there (a redirect) rather
    than show it. A shopper may go back to any step done, or to the first open one, never
    past it; a step not in this cart's list, or one ahead, sends them to the first open
    one. Nothing asked (a plain GET of /checkout) shows the first open step in place."""
    first = first_open(names, facts)
    if asked in names and names.index(asked) <= names.index(first):
        return asked, False
    return first, bool(posted or asked)


def step_for_field(field: str | None, names: list[str]) -> str:
    """The step to send a shopper back to for a problem with `field` (the first step when
    the field is none of a step's, or its step is not in this cart's list)."""
    step = FIELD_STEPS.get(field or "", names[0])
    return step if step in names else names[0]


# ---- what the shopper saves ---------------------------------------------------------------------

def was_price_savings_cents(priced) -> int:
    """What the lines' sale prices take off their compare-at ("was") prices, in cents."""
    return sum(max(line.compare_at_cents - line.unit_cents, 0) * line.quantity
               for line in priced.lines if line.compare_at_cents)


def you_save_cents(priced) -> int:
    """The "You save" figure for a priced cart (cart.PricedCart): everything promotions took
    off (lines, order, delivery) plus what sale prices take off the "was" prices."""
    return priced.savings_cents + was_price_savings_cents(priced)
