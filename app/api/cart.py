"""Routes of my cart: /cart and /cart/items, and the delivery options (/delivery-options,
public). The cart is the signed-in customer's (the same one the web pages show once they
sign in there); every change checks stock, and every amount comes from the pricing pipeline.

An out-of-stock answer (409 `out_of_stock`) adds `available`: `[{variant_id, units}]`, how
many units (for a service: places in the slot) can be had, so an app can offer that many.
"""

from __future__ import annotations

import json

from flask_babel import force_locale, lazy_gettext as _l

from app.api import problems
from app.api.auth import auth, current_customer
from app.api.blueprint import bp
from app.api.catalog_schemas import Money
from app.api.checkout_schemas import (
    AdjustmentOut,
    CartItemIn,
    CartItemOut,
    CartItemPatch,
    CartItemPath,
    CartOut,
    CartQuery,
    DeliveryOptionList,
    DeliveryOptionOut,
    DeliveryOptionsQuery,
    DeliveryRef,
    UnavailableItemOut,
    VoucherIn,
    VoucherOut,
)
from app.api.languages import api_locale
from app.api.openapi import error_responses
from app.checkout import cart as carts, delivery
from app.checkout.voucher_views import VOUCHER_LIMIT
from app.errors import Invalid, NotFound
from app.extensions import limiter
from app.inventory import services as inventory
from app.inventory.services import OutOfStock
from app.recommendations import tracking

# Delivery options are the same for everyone: the phone and shared caches may keep them a
# minute, per language (as the catalogue).
CACHING = {"Cache-Control": "public, max-age=60"}

OUT_OF_STOCK = ("Not that many are available (`out_of_stock`): `available` lists "
                "`{variant_id, units}` that can be had.")


@bp.errorhandler(OutOfStock)
def _out_of_stock(exc: OutOfStock):
    """Out of stock, with how many units can be had: the service's count, or what stock
    holds now when the service only knew the line fell short (reported as 0)."""
    response = problems.for_domain_error(exc)
    now = inventory.available(sorted(exc.short))
    body = json.loads(response.get_data())
    body["available"] = [{"variant_id": variant_id,
                          "units": max(units, now.get(variant_id, 0), 0)}
                         for variant_id, units in sorted(exc.short.items())]
    response.set_data(json.dumps(body, ensure_ascii=False))
    return response


# ---- delivery options ------------------------------------------------------------------------

@bp.get("/delivery-options")
@bp.input(DeliveryOptionsQuery, location="query", arg_name="query")
@bp.output(DeliveryOptionList)
@bp.doc(tags=["Checkout"], responses=error_responses(422, when={
    422: "`district` is missing or not one of the 25 district codes.",
}))
def list_delivery_options(query: DeliveryOptionsQuery):
    """Delivery options for a district

    The active options that deliver to `district` (or let the goods be collected), cheapest
    first, with their fee and the order value from which delivery is free. No token needed.
    """
    locale = api_locale()
    options = DeliveryOptionList(items=[DeliveryOptionOut.of(option, locale)
                                        for option in delivery.options_for(query.district)])
    return options, 200, CACHING


# ---- the cart --------------------------------------------------------------------------------

def _my_cart():
    """My open cart, or None: reading never makes one."""
    return carts.find_cart(user_id=current_customer().id)


def _line_out(cart, line_id: int, locale: str) -> CartItemOut:
    priced = carts.priced(cart, locale=locale)
    line = next(line for line in priced.lines if line.item.line_id == line_id)
    return CartItemOut.of(line, carts.stock_problems(cart).get(line_id), locale)


def _cart_out(cart, locale: str, *, district: str | None = None,
             option=None) -> CartOut:
    priced = carts.priced(cart, district=district, delivery=option, locale=locale)
    problems_by_line = carts.stock_problems(cart)
    gone = str(_l("This item is not on sale any more."))
    quoted = priced.delivery
    return CartOut(
        items=[CartItemOut.of(line, problems_by_line.get(line.item.line_id), locale)
               for line in priced.lines],
        unavailable=[UnavailableItemOut(id=item.line_id, variant_id=item.variant_id,
                                        quantity=item.quantity,
                                        problem=problems_by_line.get(item.line_id, gone))
                     for item in priced.unavailable],
        item_count=priced.item_count, needs_delivery=priced.needs_delivery,
        needs_address=priced.needs_address,
        subtotal=Money.of(priced.subtotal_cents),
        order_discounts=[AdjustmentOut.of(a, locale) for a in priced.order_discounts],
        discount=Money.of(priced.discount_cents),
        delivery=DeliveryRef(code=quoted.code, name=quoted.name) if quoted else None,
        delivery_fee=Money.of(quoted.fee_cents) if quoted else None,
        delivery_discounts=[AdjustmentOut.of(a, locale)
                            for a in (quoted.discounts if quoted else [])],
        total=Money.of(priced.total_cents), savings=Money.of(priced.savings_cents),
        voucher=VoucherOut.of(priced.voucher), explanations=list(priced.explanations),
        nudges=list(priced.nudges),
        can_check_out=bool(priced.lines) and not priced.unavailable and not problems_by_line)


@bp.get("/cart")
@bp.auth_required(auth)
@bp.input(CartQuery, location="query", arg_name="query")
@bp.output(CartOut)
@bp.doc(tags=["Cart"], responses=error_responses(401, 422, when={
    422: "`district` is not a district code, `delivery_option` is missing beside it or "
         "does not serve it: see `errors`.",
}))
def get_cart(query: CartQuery):
    """My cart, priced

    Prices, discounts and totals come from the pricing pipeline, as at checkout. Without
    `district` and `delivery_option` the delivery fee is null; with them it is what checkout
    would charge (free over the option's threshold). Each line's `problem` says when stock
    or a booked time no longer allows it. An empty cart answers with no items.
    """
    option = None
    if query.delivery_option is not None or query.district is not None:
        if query.district is None:
            raise Invalid(_l("Choose your district to price delivery."), field="district")
        if query.delivery_option is None:
            raise Invalid(_l("Choose a delivery option for your district."),
                          field="delivery_option")
        option = delivery.get_option(query.delivery_option, query.district)
    locale = api_locale()
    with force_locale(locale):
        return _cart_out(_my_cart(), locale, district=query.district, option=option)


@bp.post("/cart/items")
@bp.auth_required(auth)
@bp.input(CartItemIn, arg_name="body")
@bp.output(CartItemOut, status_code=201,
           description="A new line. When the item was already in the cart (same variant "
                       "and slot), the quantity is added onto that line and the answer is "
                       "200 with it.")
@bp.doc(tags=["Cart"], responses={200: {
    "description": "Added onto the line already holding this item.",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CartItemOut"}}},
}} | error_responses(400, 401, 404, 409, 422, when={
    404: "The variant is not on sale (unknown, archived or a draft): `errors` on "
         "`variant_id`.",
    409: OUT_OF_STOCK,
    422: "A field is wrong (a quantity outside 1–99, also in total with the line already "
         "there; a service without `slot_id`, or a slot that is gone; more than 50 lines): "
         "see `errors`.",
}))
def add_cart_item(body: CartItemIn):
    """Add to my cart

    A product takes `variant_id` and `quantity`; a service also takes the `slot_id` of one
    of its `next_slots`. Adding an item already in the cart adds to its line (200) instead
    of making a new one (201). Stock (or the slot's free places) is checked against the
    line's new quantity: 409 `out_of_stock` when it is short. Prices are never sent: they
    come from the catalogue.
    """
    locale = api_locale()
    with force_locale(locale):
        cart = carts.open_cart(user_id=current_customer().id, first_item=True)
        before = {line.id for line in cart.lines}
        line = carts.add_item(cart, body.variant_id, body.quantity, slot_id=body.slot_id)
        customer = current_customer()
        if tracking.personalised(customer.id):  # buffered: never slows the answer
            tracking.record("cart_add", customer_id=customer.id, variant_id=body.variant_id,
                            quantity=body.quantity)
        return _line_out(cart, line.id, locale), 200 if line.id in before else 201


def _my_line(path: CartItemPath):
    cart = _my_cart()
    if cart is None or not any(line.id == path.item_id for line in cart.lines):
        raise NotFound(_l("That item is no longer in your cart."))
    return cart


@bp.patch("/cart/items/<int:item_id>")
@bp.auth_required(auth)
@bp.input(CartItemPath, location="path", arg_name="path")
@bp.input(CartItemPatch, arg_name="body")
@bp.output(CartItemOut)
@bp.doc(tags=["Cart"], responses=error_responses(400, 401, 404, 409, 422, when={
    404: "No such line in my cart (also: another customer's line).",
    409: OUT_OF_STOCK,
    422: "The quantity is not a whole number from 1 to 99 (remove a line with DELETE).",
}))
def change_cart_item(item_id: int, path: CartItemPath, body: CartItemPatch):
    """Change a line's quantity

    From 1 to 99; 0 is refused (422): remove a line with DELETE. More units are checked
    against stock (409 `out_of_stock`); fewer always succeed.
    """
    locale = api_locale()
    with force_locale(locale):
        cart = _my_line(path)
        carts.set_quantity(cart, path.item_id, body.quantity)
        return _line_out(cart, path.item_id, locale)


@bp.delete("/cart/items/<int:item_id>")
@bp.auth_required(auth)
@bp.input(CartItemPath, location="path", arg_name="path")
@bp.doc(tags=["Cart"], responses={204: "Removed."} | error_responses(401, 404, 422, when={
    404: "No such line in my cart (also: another customer's line).",
}))
def remove_cart_item(item_id: int, path: CartItemPath):
    """Remove a line"""
    carts.remove_line(_my_line(path), path.item_id)
    return "", 204


# ---- the voucher -----------------------------------------------------------------------------

@bp.put("/cart/voucher")
@bp.auth_required(auth)
@limiter.limit(VOUCHER_LIMIT)
@bp.input(VoucherIn, arg_name="body")
@bp.output(CartOut)
@bp.doc(tags=["Cart"], responses=error_responses(400, 401, 422, 429, when={
    422: "The code does not apply: `errors` on `code` says why, in the language of "
         "Accept-Language (not valid; not started or ended; minimum spend not reached, with "
         "the amount missing; not for the district; already used; first order only; limit "
         "reached; the cart is empty). The cart keeps no refused code.",
    429: "Too many codes tried: wait (`Retry-After`).",
}))
def put_voucher(body: VoucherIn):
    """Enter a voucher code

    Keeps the code on my cart when it applies, or may once checkout knows more (a code for
    some districts only: `voucher.message` says so). The cart comes back priced with it.
    A code entered replaces the one before.
    """
    locale = api_locale()
    with force_locale(locale):
        cart = _my_cart()
        if cart is None:
            raise Invalid(_l("Your cart is empty. Add something first, then enter the code."),
                          field="code")
        try:
            carts.set_voucher(cart, body.code, locale=locale,
                              customer_id=current_customer().id)
        except Invalid as refused:
            raise Invalid(refused.message, field="code") from None
        return _cart_out(cart, locale)


@bp.delete("/cart/voucher")
@bp.auth_required(auth)
@bp.output(CartOut)
@bp.doc(tags=["Cart"], responses=error_responses(401))
def delete_voucher():
    """Remove the voucher code

    Takes the code off my cart (nothing happens if there is none) and returns the cart.
    """
    locale = api_locale()
    with force_locale(locale):
        cart = _my_cart()
        if cart is not None and cart.voucher_code:
            carts.remove_voucher(cart)
        return _cart_out(cart, locale)
