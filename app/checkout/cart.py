"""The cart: adding, changing and removing lines, and merging a guest's cart at sign-in.

A guest's cart is found by the random token in their cookie (only its SHA-256 is stored); a
customer's by their id. Every change checks stock (for goods) or free places (for a
service's slot) against the quantity the line would then hold, so the cart never promises
what the shop cannot deliver; prices are never stored here but always come from the
pricing pipeline (`priced`).
"""

from __future__ import annotations

import hashlib
import secrets

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, func, select

from app import db, prepared
from app.catalog import services as catalog
from app.checkout import pricing
from app.checkout.models import Cart, CartLine, DeliveryOption
from app.db import transaction, utcnow
from app.errors import Invalid, NotFound
from app.inventory import services as inventory
from app.inventory.services import OutOfStock
from app.orders import services as orders

MAX_QUANTITY = 99  # per line: a shop for people, not wholesale
MAX_LINES = 50


def new_token() -> str:
    return secrets.token_urlsafe(32)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _valid_token(token: str | None) -> bool:
    return bool(token) and 20 <= len(token) <= 64


def find_cart(*, user_id: int | None = None, token: str | None = None) -> Cart | None:
    """The open cart of a customer, or of the guest holding `token`, with its lines (in the
    same statement: whoever asks for a cart looks at what is in it)."""
    if user_id is not None:
        query, params = _CUSTOMERS_CART, {"user_id": user_id}
    elif _valid_token(token):
        query, params = _GUESTS_CART, {"token_hash": _hash(token)}
    else:
        return None
    found = prepared.rows(query, params)
    if not found:
        return None
    width = len(_CART.columns)
    cart = prepared.held(_CART, found[0][:width])
    if cart is not None:
        return cart  # read already in this request, maybe changed since: kept as it is
    lines = [prepared.adopt(_LINE, row[width:]) for row in found if row[width] is not None]
    return prepared.adopt(_CART, found[0][:width], {"lines": lines})


# Built once (every cart request asks): only the customer or the token changes. The cart and
# its lines are made from the rows (prepared.adopt), as a joined ORM load would make them.
_CART, _LINE = prepared.entity(Cart), prepared.entity(CartLine)


def _cart_with_lines(which):
    return (select(*_CART.columns, *_LINE.columns)
            .outerjoin(CartLine, CartLine.cart_id == Cart.id)
            .where(which).order_by(CartLine.id))


_CUSTOMERS_CART = _cart_with_lines(Cart.id == (
    select(Cart.id).where(Cart.user_id == bindparam("user_id"), Cart.status == "open")
    .order_by(Cart.id.desc()).limit(1).scalar_subquery()))
_GUESTS_CART = _cart_with_lines((Cart.token_hash == bindparam("token_hash"))
                                & (Cart.status == "open"))


def open_cart(*, user_id: int | None = None, token: str | None = None,
              first_item: bool = False) -> Cart:
    """The open cart, made when there is none. A guest's new cart takes `token` (the caller
    sets the cookie). `first_item`: the caller adds an item next (`add_item`), which writes
    a new cart with its first line in one transaction instead of two, and leaves no empty
    cart behind when the item is refused."""
    cart = find_cart(user_id=user_id, token=token)
    if cart is not None:
        return cart
    if user_id is None and not _valid_token(token):
        raise ValueError("a guest cart needs a token from new_token()")
    # Known empty: its lines need no SELECT when the first is added.
    cart = Cart(user_id=user_id, token_hash=None if user_id else _hash(token), lines=[])
    if first_item:
        db.session.add(cart)
        return cart
    with transaction():
        db.session.add(cart)
        db.session.flush()
    return cart


def _line(cart: Cart, line_id: int) -> CartLine:
    line = next((line for line in cart.lines if line.id == line_id), None)
    if line is None:
        raise NotFound(_l("That item is no longer in your cart."))
    return line


def _check_quantity(quantity: int) -> None:
    if not 1 <= quantity <= MAX_QUANTITY:
        raise Invalid(_l("Enter a quantity from 1 to %(max)d.", max=MAX_QUANTITY),
                      field="quantity")


def _check_can_hold(cart: Cart, variant_id: int, slot_id: int | None, quantity: int,
                    *, except_line: int | None = None) -> None:
    """Raise unless the cart may hold `quantity` of this variant (in this slot) in all."""
    # The whole cart is priced and checked next (the answer shows it): its other items are
    # read with this one, in the same statements (kept for the request).
    in_cart = [variant_id, *(line.variant_id for line in cart.lines)]
    variant = catalog.variants_for_sale(in_cart).get(variant_id)
    if variant is None:
        raise NotFound(_l("This item is not on sale any more."), field="variant_id")
    product = variant.product
    if product.is_service:
        slots = catalog.next_free_slots(product.id, limit=1)
        if slot_id is None and slots:
            raise Invalid(_l("Choose a time for this service."), field="slot_id")
        if slot_id is not None:
            slot = catalog.slots_by_id([slot_id]).get(slot_id)
            if slot is None or slot.product_id != product.id or slot.starts_at <= utcnow():
                raise Invalid(_l("That time cannot be booked. Choose another."),
                              field="slot_id")
            if slot.free < quantity:
                raise OutOfStock({variant_id: slot.free}, _l(
                    "Only %(n)d places are left at that time.", n=max(slot.free, 0)))
        return
    if slot_id is not None:
        raise Invalid(_l("That time cannot be booked. Choose another."), field="slot_id")
    in_other_lines = sum(line.quantity for line in cart.lines
                         if line.variant_id == variant_id and line.id != except_line)
    units = inventory.available(in_cart)[variant_id]
    if in_other_lines + quantity > units:
        left = max(units - in_other_lines, 0)
        message = (_l("Sorry, this is out of stock.") if units <= 0 else
                   _l("Only %(n)d left in stock.", n=left))
        raise OutOfStock({variant_id: units}, message)


def add_item(cart: Cart, variant_id: int, quantity: int = 1, *,
             slot_id: int | None = None) -> CartLine:
    """Add to the cart (onto the same line if the item is there). Raises Invalid, NotFound
    (not on sale) or OutOfStock with a message for the shopper."""
    _check_quantity(quantity)
    with transaction():
        line = next((line for line in cart.lines
                     if line.variant_id == variant_id and line.slot_id == slot_id), None)
        total = quantity + (line.quantity if line else 0)
        if total > MAX_QUANTITY:
            raise Invalid(_l("Enter a quantity from 1 to %(max)d.", max=MAX_QUANTITY),
                          field="quantity")
        try:
            _check_can_hold(cart, variant_id, slot_id, total,
                            except_line=line.id if line else None)
        except OutOfStock as short:
            if line is None or slot_id is not None:
                raise
            units = short.short[variant_id]
            raise OutOfStock(short.short, _l(
                "Only %(n)d left in stock, and %(m)d are in your cart already.",
                n=max(units, 0), m=line.quantity)) from None
        if line is None:
            if len(cart.lines) >= MAX_LINES:
                raise Invalid(_l("Your cart is full. Check out or remove something first."))
            line = CartLine(variant_id=variant_id, slot_id=slot_id, quantity=quantity)
            cart.lines.append(line)
        else:
            line.quantity = total
        cart.updated_at = utcnow()
        db.session.flush()
    return line


def set_quantity(cart: Cart, line_id: int, quantity: int) -> CartLine | None:
    """Change a line's quantity; 0 removes it (returns None)."""
    if quantity == 0:
        remove_line(cart, line_id)
        return None
    _check_quantity(quantity)
    with transaction():
        line = _line(cart, line_id)
        if quantity > line.quantity:  # fewer never needs stock
            _check_can_hold(cart, line.variant_id, line.slot_id, quantity,
                            except_line=line.id)
        line.quantity = quantity
        cart.updated_at = utcnow()
    return line


def remove_line(cart: Cart, line_id: int) -> None:
    with transaction():
        cart.lines.remove(_line(cart, line_id))
        cart.updated_at = utcnow()


def merge_guest_cart(token: str | None, user_id: int) -> Cart | None:
    """At sign-in: move the guest cart's lines into the customer's cart. Quantities add up,
    capped by what is in stock; the guest cart is closed. Returns the customer's cart."""
    guest = find_cart(token=token)
    if guest is None or guest.user_id is not None:
        return find_cart(user_id=user_id)
    with transaction():
        mine = find_cart(user_id=user_id)
        if mine is None:
            guest.user_id, guest.token_hash = user_id, None
            return guest
        for line in list(guest.lines):
            existing = next((m for m in mine.lines if m.variant_id == line.variant_id
                             and m.slot_id == line.slot_id), None)
            wanted = min(MAX_QUANTITY, line.quantity + (existing.quantity if existing else 0))
            try:
                _check_can_hold(mine, line.variant_id, line.slot_id, wanted,
                                except_line=existing.id if existing else None)
            except (OutOfStock, Invalid, NotFound):
                continue  # not on sale or not in stock any more: the cart page shows why
            if existing:
                existing.quantity = wanted
            elif len(mine.lines) < MAX_LINES:
                mine.lines.append(CartLine(variant_id=line.variant_id, slot_id=line.slot_id,
                                           quantity=line.quantity))
        guest.status, guest.token_hash = "merged", None
        mine.updated_at = utcnow()
    return mine


def items(cart: Cart | None) -> list[pricing.Item]:
    if cart is None:
        return []
    return [pricing.Item(line.variant_id, line.quantity, line.slot_id, line.id)
            for line in cart.lines]


def priced(cart: Cart | None, *, district: str | None = None,
           delivery: DeliveryOption | None = None, customer_id: int | None = None,
           locale: str = "en", phone: str | None = None, email: str | None = None,
           orders_before=None, extra_rules: tuple = ()) -> pricing.PricedCart:
    """The cart through the pricing pipeline, with the voucher the shopper entered.
    `phone`, `email` and `orders_before` say who is buying, once checkout knows (a staff
    draft's customer is its customer_id). `extra_rules` price this cart only (a discount
    staff give)."""
    if customer_id is None and cart is not None:
        customer_id = cart.user_id or cart.customer_id
    if orders_before is None and (customer_id or phone):
        orders_before = _orders_before(customer_id, phone)
    return pricing.price(items(cart), district=district, delivery=delivery,
                         customer_id=customer_id, locale=locale,
                         voucher=cart.voucher_code if cart is not None else None,
                         phone=phone, email=email, orders_before=orders_before,
                         extra_rules=tuple(extra_rules))


MAX_CODE = 32


def _orders_before(customer_id: int | None, phone: str | None):
    """Counts the customer's earlier orders, when a first-order offer asks."""
    def count() -> int:
        return orders.orders_before(user_id=customer_id, phone=phone)
    return count


def set_voucher(cart: Cart, code: str, *, locale: str = "en",
                customer_id: int | None = None) -> pricing.VoucherState:
    """Keep `code` on the cart when it applies (or may, once checkout knows the district).
    A refused code is not kept: raises Invalid on the voucher field with the reason."""
    code = "".join((code or "").split()).upper()
    if not code:
        raise Invalid(_l("Enter a code."), field="voucher")
    if not cart.lines:
        raise Invalid(_l("Your cart is empty. Add something first, then enter the code."),
                      field="voucher")
    if len(code) > MAX_CODE:
        raise Invalid(pricing.UNKNOWN_CODE, field="voucher")
    customer_id = customer_id or cart.user_id
    priced_now = pricing.price(items(cart), customer_id=customer_id, voucher=code,
                               locale=locale,
                               orders_before=_orders_before(customer_id, None)
                               if customer_id else None)
    state = priced_now.voucher
    if state is None or state.refusal:
        raise Invalid(state.refusal if state else pricing.UNKNOWN_CODE, field="voucher")
    with transaction():
        cart.voucher_code = code
        cart.updated_at = utcnow()
    return state


def remove_voucher(cart: Cart) -> None:
    with transaction():
        cart.voucher_code = None
        cart.updated_at = utcnow()


def item_count(*, user_id: int | None = None, token: str | None = None) -> int:
    """Units in the open cart, for the header badge: one query, no cart made."""
    query = select(func.coalesce(func.sum(CartLine.quantity), 0)).join(Cart)
    if user_id is not None:
        query = query.where(Cart.user_id == user_id)
    elif _valid_token(token):
        query = query.where(Cart.token_hash == _hash(token))
    else:
        return 0
    return int(db.session.scalar(query.where(Cart.status == "open")))


def product_ids(*, user_id: int | None = None, token: str | None = None) -> set[int]:
    """The products in the open cart of a customer or of the guest holding `token` (no cart
    made)."""
    query = (select(CartLine.variant_id).join(Cart, Cart.id == CartLine.cart_id)
             .where(Cart.status == "open"))
    if user_id is not None:
        query = query.where(Cart.user_id == user_id)
    elif _valid_token(token):
        query = query.where(Cart.token_hash == _hash(token))
    else:
        return set()
    variant_ids = list(db.session.scalars(query))
    return catalog.product_ids_of_variants(variant_ids) if variant_ids else set()


CART_UNITS = "cart_units"  # its name among what accounts reads along with the user


def open_cart_units(user_id):
    """Units in the open cart of the customer `user_id` names (a column: the signed-in user's
    id: app/accounts/read_along.py reads this with the user, in one query), a scalar subquery.
    The same count as `item_count(user_id=…)`."""
    return (select(func.coalesce(func.sum(CartLine.quantity), 0))
            .join(Cart, Cart.id == CartLine.cart_id)
            .where(Cart.user_id == user_id, Cart.status == "open")
            .scalar_subquery())


def stock_problems(cart: Cart | None) -> dict[int, str]:
    """Lines that cannot be bought as they are now (line id -> why), for the cart page and
    checkout: checked again at every view because stock moves while a cart waits."""
    problems: dict[int, str] = {}
    if cart is None or not cart.lines:
        return problems
    for_sale = catalog.variants_for_sale([line.variant_id for line in cart.lines])
    units = inventory.available([line.variant_id for line in cart.lines])
    slots = catalog.slots_by_id([line.slot_id for line in cart.lines if line.slot_id])
    for line in cart.lines:
        variant = for_sale.get(line.variant_id)
        if variant is None:
            problems[line.id] = str(_l("This item is not on sale any more."))
        elif variant.product.is_service:
            slot = slots.get(line.slot_id) if line.slot_id else None
            if line.slot_id and (slot is None or slot.starts_at <= utcnow()):
                problems[line.id] = str(_l("That time cannot be booked. Choose another."))
            elif slot is not None and slot.free < line.quantity:
                problems[line.id] = str(_l("Only %(n)d places are left at that time.",
                                           n=max(slot.free, 0)))
        else:
            wanted = sum(other.quantity for other in cart.lines
                         if other.variant_id == line.variant_id)
            if units[line.variant_id] <= 0:
                problems[line.id] = str(_l("Sorry, this is out of stock."))
            elif wanted > units[line.variant_id]:
                problems[line.id] = str(_l("Only %(n)d left in stock.",
                                           n=units[line.variant_id]))
    return problems
