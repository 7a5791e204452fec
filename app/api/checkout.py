"""POST /checkout: my cart becomes an order, once.

The app sends an `Idempotency-Key` header it made for this order; a retry (a timeout, a
lost answer) sends the same key and body again and gets the same order back, never a second
one. The key with another body is a 409. Everything is decided by the checkout service, as
for the web form: stock is held with a conditional update in the transaction that creates
the order, so two customers never buy the last unit twice.
"""

from __future__ import annotations

from flask_babel import force_locale, lazy_gettext as _l

from app.accounts.addresses import AddressInput
from app.api.auth import auth, current_customer
from app.api.blueprint import bp
from app.api.checkout_schemas import CheckoutHeaders, CheckoutIn, CheckoutOut, HostedCheckoutOut
from app.api.languages import api_locale
from app.api.openapi import error_responses
from app.api.orders import order_out
from app.checkout import cart as carts
from app.checkout.services import CheckoutChoices, place_order
from app.errors import Invalid
from app.extensions import checkout_rate_limit, limiter
from app.payments import checkout_flow

REPLAYED = "Idempotent-Replayed"


@bp.post("/checkout")
@bp.auth_required(auth)
@limiter.shared_limit(checkout_rate_limit, scope="checkout")
@bp.input(CheckoutHeaders, location="headers", arg_name="headers")
@bp.input(CheckoutIn, arg_name="body")
@bp.output(CheckoutOut, status_code=201,
           description="The order placed; or, for a retry with the same key and body, the "
                       f"order the first attempt placed (with `{REPLAYED}: true`). For "
                       "`payhere`, `payment` is the hosted-checkout form to post.")
@bp.doc(tags=["Checkout"], responses=error_responses(400, 401, 409, 422, 429, when={
    409: "Not enough in stock any more (`out_of_stock`, with `available`), a booked time "
         "was just taken, less store credit than `store_credit_cents` asks "
         "(`not_enough_credit`: `detail` says how much I hold), or the Idempotency-Key was "
         "used with another body (`conflict`, "
         "`errors` on `Idempotency-Key`).",
    422: "A field is wrong (`errors` says which: the Idempotency-Key header missing or "
         "over 100 characters, `address_id` not one of mine, no address or delivery option "
         "for goods or for a service done at my address, a delivery option that does not serve "
         "the district, a service at my address that does not cover the address's district "
         "(`outside_service_area`, on `district`: the message names the service and the "
         "districts it covers), `address` and "
         "`address_id` both, `payhere` when the shop has no PayHere account), or the cart "
         "cannot be checked out (`cart_not_ready`: empty, or an item no longer on sale). "
         "`payment_method` is also refused when my mobile number or the address already "
         "has UNPAID_ORDERS_PER_PHONE / UNPAID_ORDERS_PER_PLACE orders waiting for payment "
         "(bank transfer, card): pay or cancel one first, or pay on delivery.",
    429: "Too many orders: from this client address (with the web shop), or from my "
         "account or mobile number within the hour (`too_many_orders`); wait `Retry-After` "
         "seconds.",
}))
def checkout(headers: CheckoutHeaders, body: CheckoutIn):
    """Place an order from my cart

    Give the address as `address_id` (one of mine) or `address` (a new one, not saved), the
    `delivery_option` (its `code`; it must serve the address's district; services alone need
    none; a service done at my address (`service_location` `address`) needs the address, in
    a district it covers), and `payment_method`: `cod` confirms the order at once,
    `bank_transfer` waits for the money until `payment_due_at` and is then cancelled,
    `payhere` waits the same way and answers `payment`, PayHere's hosted-checkout form: post
    its `fields` to its `action` in a web view; the order is paid when PayHere tells the
    shop (GET /orders/{number}), not when the web view comes back. Prices are the pricing
    pipeline's at this moment: nothing in the body sets a price. The cart is emptied into
    the order and a confirmation is mailed.

    Send an `Idempotency-Key` header (a UUID made once per order): retrying with the same
    key and body answers the first order (201 with `Idempotent-Replayed: true`), never a
    second; the same key with another body is a 409.
    """
    if body.address is not None and body.address_id is not None:
        raise Invalid(_l("Choose one of your addresses or enter a new one, not both."),
                      field="address")
    locale = api_locale()
    customer = current_customer()
    choices = CheckoutChoices(
        payment_method=body.payment_method, delivery_option=body.delivery_option,
        address_id=body.address_id,
        address=(AddressInput(**body.address.model_dump()) if body.address else None),
        locale=body.locale or locale, credit_cents=body.store_credit_cents,
        points=body.points)
    order, created = place_order(carts.find_cart(user_id=customer.id), choices,
                                 user=customer, idempotency_key=headers.idempotency_key,
                                 channel="app")
    with force_locale(locale):
        answer = CheckoutOut(**order_out(order, locale).model_dump(), payment=_payment(order))
    return answer, 201, {} if created else {REPLAYED: "true"}


def _payment(order) -> HostedCheckoutOut | None:
    if not checkout_flow.payable(order):
        return None
    form = checkout_flow.hosted_form(order)
    return HostedCheckoutOut(action=form.action, fields=form.fields)

