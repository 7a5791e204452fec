"""Draft orders: an order staff take for a customer (on the phone), kept until they place it.

A draft is a cart of kind "draft": it has lines, a voucher and saved choices like any cart,
and like any cart it reserves nothing, so shoppers can still buy what a draft holds. Placing
it goes through the one place-order service (`checkout.services.place_order`, channel
"phone", the staff member as actor), which holds the stock with the same conditional update
as every web checkout. Only staff who take orders (orders.manage) see or touch drafts; the
desk shares them, so anyone there can finish a colleague's draft.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app import db
from app.accounts import addresses, services as accounts
from app.accounts.addresses import AddressInput
from app.catalog import search as catalog_search, services as catalog
from app.checkout import cart as carts, delivery, steps
from app.checkout.models import Cart
from app.checkout.pricing import PricedCart
from app.checkout.services import CheckoutChoices, Contact, place_order
from app.checkout.staff_discount import StaffDiscount
from app.db import transaction, utcnow
from app.errors import Invalid, NotFound
from app.inventory import services as inventory
from app.orders import services as orders
from app.orders.services import Order  # the type orders hands out
from app.payments import links as payment_links
from app.security.roles import Permission, can, require

# How staff may take payment: cash or a transfer, or a PayHere payment link the customer
# opens on their own phone.
PAYMENT_METHODS = ("cod", "bank_transfer", "payhere")
MAX_NOTE = 500
LIST_LIMIT = 100


@dataclass(frozen=True)
class DraftDetails:
    """What staff chose so far. A customer with an account gives `address_id` (from their
    book) or `address`; a guest (no account) needs `contact` too. The discount and the note
    are for the order as placed; `locale` is the language the customer hears from us in."""

    address_id: int | None = None
    address: AddressInput | None = None
    delivery_option: str | None = None
    payment_method: str | None = None
    discount: StaffDiscount | None = None
    note: str = ""
    contact: Contact | None = None
    locale: str = "en"


# ---- finding and starting ----------------------------------------------------------------------

def start(*, actor, customer_id: int | None = None, locale: str | None = None) -> Cart:
    """A new, empty draft for the customer with this account (or for a guest, whose contact
    is saved with the details). Raises NotFound for an account that is not a customer's."""
    require(actor, Permission.MANAGE_ORDERS)
    customer = _customer(customer_id) if customer_id is not None else None
    with transaction():
        draft = Cart(kind="draft", staff_id=actor.id if actor else None,
                     customer_id=customer.id if customer else None)
        draft.checkout = json.dumps({"locale": _locale(locale or (
            customer.locale if customer else "en"))})
        db.session.add(draft)
        db.session.flush()
    return draft


def open_drafts(*, actor) -> list[Cart]:
    """The desk's drafts still to place, the most recently touched first."""
    require(actor, Permission.MANAGE_ORDERS)
    return list(db.session.scalars(
        select(Cart).where(Cart.kind == "draft", Cart.status == "open")
        .order_by(Cart.updated_at.desc(), Cart.id.desc()).limit(LIST_LIMIT)))


def count_open(*, actor) -> int:
    """How many drafts wait to be placed."""
    require(actor, Permission.MANAGE_ORDERS)
    return db.session.scalar(select(func.count()).select_from(Cart).where(
        Cart.kind == "draft", Cart.status == "open"))


def get(draft_id: int, *, actor) -> Cart:
    """An open draft. Raises NotFound for anything else (a placed or discarded draft, a
    shopper's cart)."""
    require(actor, Permission.MANAGE_ORDERS)
    draft = db.session.get(Cart, draft_id)
    if draft is None or draft.kind != "draft" or draft.status != "open":
        raise NotFound(_l("This draft order is not open any more."))
    return draft


def customer_of(draft: Cart):
    """The account the draft is for, or None for a guest."""
    if draft.customer_id is None:
        return None
    try:
        return accounts.get_user(draft.customer_id)
    except NotFound:
        return None


def _customer(customer_id: int):
    user = accounts.get_user(customer_id)
    if user.role is not None or not user.is_active:
        raise NotFound(_l("No customer has this account."))
    return user


def _locale(locale: str | None) -> str:
    return locale if locale in ("en", "si", "ta") else "en"


# ---- the quick search ----------------------------------------------------------------------------

@dataclass(frozen=True)
class ItemChoice:
    """One variant staff can add, with what they tell the caller: its price, and the units
    in stock (products) or the next free times (services)."""

    variant_id: int
    name: str
    options: str
    sku: str
    price_cents: int
    is_service: bool
    available: int | None  # units to sell; None for a service
    slots: tuple = ()  # a service's next free ServiceSlots


def find_items(q: str, *, actor, locale: str = "en", limit: int = 8) -> list[ItemChoice]:
    """Products and services on sale matching `q` (words in any of the three scripts, or a
    SKU), each variant with its stock or next free times."""
    require(actor, Permission.MANAGE_ORDERS)
    q = (q or "").strip()[:100]
    if not q:
        return []
    ids = catalog_search.search_ids(q, limit=limit)
    by_sku = catalog.variant_by_sku(q)
    if by_sku is not None and by_sku.product_id not in ids:
        ids = [by_sku.product_id, *ids][:limit]
    products = catalog.get_published_many(ids)
    variants = [v for p in products for v in p.variants if v.is_active]
    stock = inventory.available([v.id for v in variants if not v.product.is_service])
    choices = []
    for product in products:
        slots = tuple(catalog.next_free_slots(product.id, limit=4)) if product.is_service else ()
        for variant in (v for v in product.variants if v.is_active):
            choices.append(ItemChoice(
                variant.id, product.text("name", locale), variant.options_text(locale),
                variant.sku, variant.price_cents, product.is_service,
                None if product.is_service else stock.get(variant.id, 0), slots))
    return choices


# ---- lines -------------------------------------------------------------------------------------

def add_item(draft_id: int, variant_id: int, quantity: int = 1, *, slot_id: int | None = None,
             actor) -> Cart:
    """Add to the draft, with the stock checks a shopper's cart makes (it holds nothing
    yet: placing does). Raises Invalid, NotFound, OutOfStock with a message for staff."""
    draft = get(draft_id, actor=actor)
    carts.add_item(draft, variant_id, quantity, slot_id=slot_id)
    return draft


def set_quantity(draft_id: int, line_id: int, quantity: int, *, actor) -> Cart:
    draft = get(draft_id, actor=actor)
    carts.set_quantity(draft, line_id, quantity)
    return draft


def remove_line(draft_id: int, line_id: int, *, actor) -> Cart:
    draft = get(draft_id, actor=actor)
    carts.remove_line(draft, line_id)
    return draft


# ---- details -----------------------------------------------------------------------------------

def _saved(draft: Cart) -> dict:
    try:
        data = json.loads(draft.checkout or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def details(draft: Cart) -> DraftDetails:
    """What was saved on the draft (nothing unreadable is trusted: placing checks it all)."""
    data = _saved(draft)
    saved_discount = data.get("discount")
    discount = None
    if isinstance(saved_discount, dict):
        discount = StaffDiscount(str(saved_discount.get("reason") or ""),
                                 int(saved_discount.get("amount_cents") or 0),
                                 int(saved_discount.get("percent") or 0))
    address_id = data.get("address_id")
    return DraftDetails(
        address_id=address_id if isinstance(address_id, int) else None,
        address=steps.address_input(data), delivery_option=data.get("delivery_option"),
        payment_method=data.get("payment_method"), discount=discount,
        note=str(data.get("note") or ""), contact=steps.contact(data),
        locale=_locale(data.get("locale")))


def save_details(draft_id: int, chosen: DraftDetails, *, actor) -> DraftDetails:
    """Keep what staff chose, checking what can be checked now (the rest is checked when
    the order is placed). Raises Invalid on the field at fault; Forbidden for a discount
    from someone without the orders.discount permission."""
    draft = get(draft_id, actor=actor)
    discount = chosen.discount
    if discount is not None:
        require(actor, Permission.DISCOUNT_ORDERS)
        discount = discount.check()
    note = (chosen.note or "").strip()
    if len(note) > MAX_NOTE:
        raise Invalid(_l("Keep the note under %(n)d characters.", n=MAX_NOTE), field="note")
    if chosen.payment_method and chosen.payment_method not in PAYMENT_METHODS:
        raise Invalid(_l("Choose how the customer pays."), field="payment_method")
    if chosen.address_id is not None:
        if draft.customer_id is None:
            raise Invalid(_l("Enter the delivery address."), field="address_id")
        try:
            addresses.get_address(draft.customer_id, chosen.address_id)
        except NotFound:
            raise Invalid(_l("Choose one of the customer's addresses."),
                          field="address_id") from None
    data = {
        "address_id": chosen.address_id,
        "address": ({k: getattr(chosen.address, k) for k in steps.ADDRESS_KEYS}
                    if chosen.address is not None and chosen.address_id is None else None),
        "delivery_option": chosen.delivery_option or None,
        "payment_method": chosen.payment_method or None,
        "discount": ({"reason": discount.reason, "amount_cents": discount.amount_cents,
                      "percent": discount.percent} if discount is not None else None),
        "note": note or None,
        "contact": ({k: getattr(chosen.contact, k) for k in steps.CONTACT_KEYS}
                    if chosen.contact is not None and draft.customer_id is None else None),
        "locale": _locale(chosen.locale),
    }
    with transaction():
        draft.checkout = json.dumps({k: v for k, v in data.items() if v is not None},
                                    ensure_ascii=False, sort_keys=True)
        draft.updated_at = utcnow()
    return details(draft)


def district_of(draft: Cart, chosen: DraftDetails) -> str | None:
    if chosen.address_id is not None and draft.customer_id is not None:
        try:
            return addresses.get_address(draft.customer_id, chosen.address_id).district
        except NotFound:
            return None
    return chosen.address.district if chosen.address is not None else None


def quote(draft: Cart, *, locale: str = "en") -> PricedCart:
    """The draft priced as it would be placed now: the customer's promotions, the delivery
    fee to the chosen district, the discount staff give."""
    chosen = details(draft)
    district = district_of(draft, chosen)
    option = None
    if chosen.delivery_option:
        try:
            option = delivery.get_option(chosen.delivery_option, district)
        except Invalid:
            option = None
    customer = customer_of(draft)
    return carts.priced(
        draft, district=district, delivery=option, locale=locale,
        customer_id=customer.id if customer else None,
        phone=customer.phone if customer else (chosen.contact.phone if chosen.contact else None),
        extra_rules=(chosen.discount,) if chosen.discount is not None else ())


def may_discount(actor) -> bool:
    return actor is not None and can(actor.role, Permission.DISCOUNT_ORDERS)


# ---- placing and discarding --------------------------------------------------------------------

def place(draft_id: int, *, actor) -> Order:
    """Place the draft as the customer's order (channel "phone"), holding its stock. A second
    press of the button finds the order the first one made. Raises what place_order raises,
    with the field at fault."""
    require(actor, Permission.MANAGE_ORDERS)
    placed = db.session.get(Cart, draft_id)
    if placed is not None and placed.kind == "draft" and placed.status == "ordered":
        order = orders.find_by_number(placed.order_number or "")
        if order is not None:
            return order
    draft = get(draft_id, actor=actor)
    chosen = details(draft)
    customer = customer_of(draft)
    if not chosen.payment_method:
        raise Invalid(_l("Choose how the customer pays."), field="payment_method")
    choices = CheckoutChoices(
        payment_method=chosen.payment_method, delivery_option=chosen.delivery_option,
        address_id=chosen.address_id if customer is not None else None,
        address=chosen.address if chosen.address_id is None else None,
        contact=chosen.contact if customer is None else None, locale=chosen.locale)
    order, _created = place_order(
        draft, choices, user=customer, channel="phone", actor=actor,
        discount=chosen.discount, notes=(chosen.note,) if chosen.note else (),
        idempotency_key=f"draft-{draft.id}")
    if order.payment_method == "payhere" and order.status == "pending_payment":
        # Paid by a link on the customer's own phone: it goes out by SMS and mail now.
        payment_links.send_payment_link(order.number, actor=actor)
    return order


def discard(draft_id: int, *, actor) -> None:
    """Throw the draft away (it held nothing, so nothing is given back)."""
    draft = get(draft_id, actor=actor)
    with transaction():
        draft.status = "discarded"
        draft.updated_at = utcnow()
