"""Checkout: from a cart and the shopper's choices to a placed order.

`place_order` is the one way in, for the web form and the API alike. In one database
transaction it claims the cart (so a double-submitted form makes one order), prices it with
the pricing pipeline, creates the order, holds its stock with a conditional update and
queues the confirmation mail. A retried request with the same idempotency key gets the first
order back; the same key with a different request is refused.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import asdict, dataclass

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from app import db
from app.accounts import addresses
from app.accounts.addresses import AddressInput
from app.accounts.districts import district_name
from app.accounts.phones import normalise_phone
from app.audit import services as audit
from app.checkout import cart as carts, delivery, pricing, staff_discount
from app.checkout.models import Cart
from app.checkout.pricing import UNKNOWN_CODE, PricedCart
from app.checkout.staff_discount import StaffDiscount
from app.db import transaction, utcnow
from app.errors import Conflict, Forbidden, Invalid, NotFound, TooManyAttempts
from app.inventory import services as inventory
from app.inventory.services import OutOfStock
from app.orders import services as orders
from app.orders.services import Order  # the type orders hands out
from app.payments import credit as store_credit, limits, methods, services as payments
from app.payments.limits import Payer
from app.security.roles import Permission, require
from app.wallet import points as loyalty, services as wallet

MAX_NAME = 120


@dataclass(frozen=True)
class Contact:
    name: str
    email: str
    phone: str  # as typed; normalised to E.164 here


@dataclass(frozen=True)
class CheckoutChoices:
    """What the shopper chose. Signed-in customers give `address_id` (from their book) or
    `address`; guests give `contact` and `address`. Orders of services only need no delivery
    option, and no address unless a service is done at the customer's address."""

    payment_method: str
    delivery_option: str | None = None
    address_id: int | None = None
    address: AddressInput | None = None
    contact: Contact | None = None
    locale: str = "en"
    # How much of their store credit a signed-in customer spends on it (at most the total).
    credit_cents: int = 0
    # How many of their loyalty points they spend on it (at most what the rest is worth).
    points: int = 0

    def fingerprint(self) -> str:
        """A digest of the request, to tell a retry from a different request. The cart is
        not part of it: after the first attempt the cart is already the order."""
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True, default=str).encode()
                              ).hexdigest()


class TooManyOrders(TooManyAttempts):
    """One mobile number (or customer) placed ORDERS_PER_PHONE_PER_HOUR orders within the
    hour: a person shopping never needs more; a script holding stock with fake orders does."""

    code = "too_many_orders"
    default_message = _l("You have placed many orders in the last hour. Please wait a while "
                         "before placing another one, or call the shop.")


class CheckoutProblem(Invalid):
    """The cart cannot be checked out as it is (empty, items gone, stock short)."""

    code = "cart_not_ready"


# ---- checking the choices --------------------------------------------------------------------

def _contact(choices: CheckoutChoices, user) -> Contact:
    if user is not None:
        return Contact(user.name or "", user.email or "", user.phone or "")
    if choices.contact is None:
        raise Invalid(_l("Enter your name, email and mobile number."), field="name")
    name = (choices.contact.name or "").strip()
    if not name or len(name) > MAX_NAME:
        raise Invalid(_l("Enter your name."), field="name")
    try:
        email = validate_email(choices.contact.email or "", check_deliverability=False
                               ).normalized
    except EmailNotValidError:
        raise Invalid(_l("Enter a valid email address."), field="email") from None
    phone = normalise_phone(choices.contact.phone or "")
    if phone is None:
        raise Invalid(_l("Enter a Sri Lankan mobile number, like 077 123 4567."),
                      field="phone")
    return Contact(name, email, phone)


def _address(choices: CheckoutChoices, user) -> dict:
    """The delivery address as the order keeps it. Another customer's address is NotFound
    (reported on the field, so the form says what is wrong)."""
    if choices.address_id is not None:
        if user is None:
            raise Invalid(_l("Enter your delivery address."), field="address_id")
        try:
            saved = addresses.get_address(user.id, choices.address_id)
        except NotFound:
            raise Invalid(_l("Choose one of your addresses."), field="address_id") from None
        data = AddressInput(saved.recipient, saved.phone, saved.line1, saved.city,
                            saved.district, saved.line2, saved.postal_code)
    elif choices.address is not None:
        phone = normalise_phone(choices.address.phone or "", mobile_only=False)
        if phone is None:
            raise Invalid(_l("Enter a Sri Lankan phone number, like 077 123 4567."),
                          field="address_phone")
        data = addresses.check_address(AddressInput(**{**asdict(choices.address),
                                                       "phone": phone}))
        for name, limit in (("recipient", 120), ("line1", 200), ("city", 80)):
            value = getattr(data, name)
            if not value or not value.strip() or len(value) > limit:
                raise Invalid(_l("Fill in the address."), field=name)
    else:
        raise Invalid(_l("Enter your delivery address."), field="address_id")
    return asdict(data)


class OutsideServiceArea(Invalid):
    """A service done at the customer's address does not cover the address's district."""

    code = "outside_service_area"


def service_area_problem(priced: PricedCart, district: str | None,
                         locale: str = "en") -> OutsideServiceArea | None:
    """The refusal for the first service at the customer's address that does not cover
    `district` (naming the service and the districts it serves), or None when all do."""
    for line in priced.visits:
        if district in line.service_districts:
            continue
        served = sorted(district_name(code, locale) for code in line.service_districts)
        if not served:
            return OutsideServiceArea(
                _l("%(service)s cannot be booked at an address just now. Please call the shop.",
                   service=line.name(locale)), field="district")
        return OutsideServiceArea(
            _l("%(service)s is not offered in %(district)s. It covers: %(districts)s. Choose "
               "an address in one of these districts, or remove it from your cart.",
               service=line.name(locale), district=district_name(district or "", locale),
               districts=", ".join(served)), field="district")
    return None


def check_service_area(priced: PricedCart, district: str | None, locale: str = "en") -> None:
    """Raises OutsideServiceArea (on the district field) when a service at the customer's
    address in `priced` does not cover `district`."""
    problem = service_area_problem(priced, district, locale)
    if problem is not None:
        raise problem


def _buyer(choices: CheckoutChoices | None, user) -> dict:
    """Who is buying, as far as known, for promotions' customer conditions: the account's
    or the guest's phone and email (carts.priced counts their earlier orders from these,
    when a first-order offer asks)."""
    if user is not None:
        phone, email = user.phone or None, user.email or None
    elif choices is not None and choices.contact is not None:
        phone = normalise_phone(choices.contact.phone or "")
        email = (choices.contact.email or "").strip() or None
    else:
        phone = email = None
    return {"customer_id": user.id if user else None, "phone": phone, "email": email}


def quote(cart: Cart | None, choices: CheckoutChoices | None = None, *, user=None,
          district: str | None = None) -> PricedCart:
    """The cart priced with the delivery option chosen so far (review page, API)."""
    option = None
    if choices is not None and choices.delivery_option:
        try:
            option = delivery.get_option(choices.delivery_option, district)
        except Invalid:
            option = None
    return carts.priced(cart, district=district, delivery=option,
                        locale=choices.locale if choices else "en", **_buyer(choices, user))


def check_voucher(priced: PricedCart) -> None:
    """Raises Invalid on the voucher field when the code on the cart does not apply: the
    shopper removes it or changes what stops it, and never pays a total they were not
    shown."""
    state = priced.voucher
    if state is not None and not state.applied:
        raise Invalid(state.refusal or state.note or UNKNOWN_CODE, field="voucher")


# ---- placing ---------------------------------------------------------------------------------

PACE_WINDOW = dt.timedelta(hours=1)


def _check_pace(counts: orders.PayerOrders, now: dt.datetime) -> None:
    """Raises TooManyOrders when this customer or mobile number is over the hour's orders
    (`counts` since PACE_WINDOW before `now`). Counted in the database, so every web
    process and the API share the count."""
    if counts.placed >= current_app.config["ORDERS_PER_PHONE_PER_HOUR"]:
        first = counts.first_placed_at
        wait = (first + PACE_WINDOW - now).total_seconds() if first else PACE_WINDOW.seconds
        raise TooManyOrders(retry_after=max(1, int(wait) + 1))


def place_order(cart: Cart | None, choices: CheckoutChoices, *, user=None,
                idempotency_key: str | None = None, channel: str = "web", actor=None,
                discount: StaffDiscount | None = None,
                notes: tuple[str, ...] = ()) -> tuple[Order, bool]:
    """Place the order for `cart`, from any channel. Returns (order, created): created is
    False when this was a retry and the first attempt's order is returned.

    `user` is the customer's account (None: a guest, whose contact is in `choices`).
    `channel` is where the order comes from (orders.models.CHANNELS). `actor` is who places
    it: None for the customer themselves (or the system, on a plan's renewal), else a staff
    member taking it for the customer (a phone order from a draft): they need the orders
    permission, may give a `discount` (with the orders.discount permission; audited with
    its reason) and leave staff-only `notes`; the per-phone pace and unpaid-order limits,
    which stop scripts holding stock, do not apply to them.

    Raises Invalid (a choice is wrong: the field says which), CheckoutProblem (the cart is
    empty or has items no longer on sale), OutOfStock (stock ran out since the cart was
    filled), Conflict (the same idempotency key with a different request), Forbidden.
    """
    if channel not in orders.CHANNELS:
        raise ValueError(f"unknown order channel {channel!r}")
    by_staff = actor is not None and actor.role is not None
    if by_staff:
        require(actor, Permission.MANAGE_ORDERS)
    if discount is not None:
        if not by_staff:
            raise Forbidden()
        require(actor, Permission.DISCOUNT_ORDERS)
        discount = discount.check()
    if user is None and cart is None:
        raise CheckoutProblem(_l("Your cart is empty."))
    scope = f"user:{user.id}" if user is not None and not by_staff else f"cart:{cart.id}"
    key = f"{scope}:{idempotency_key}"[:160] if idempotency_key else None
    fingerprint = choices.fingerprint()
    if key:
        earlier = orders.find_by_idempotency_key(key)
        if earlier is not None:
            return _replayed(earlier, fingerprint)
    if cart is None or not cart.lines:
        raise CheckoutProblem(_l("Your cart is empty."))
    if cart.status == "ordered" and cart.order_number:
        return orders.find_by_number(cart.order_number), False

    contact = _contact(choices, user)
    extra_rules = (discount,) if discount is not None else ()
    priced_now = carts.priced(cart, customer_id=user.id if user else None,
                              locale=choices.locale, extra_rules=extra_rules)
    if not priced_now.lines or priced_now.unavailable:
        raise CheckoutProblem(_l("Your cart is empty.") if not cart.lines else
                              _l("Some items in your cart are no longer on sale. Remove them "
                                 "to continue."))
    problems = carts.stock_problems(cart)
    if problems:
        short = [line.variant_id for line in cart.lines if line.id in problems]
        raise OutOfStock(inventory.available(short),
                         _l("Sorry, some items in your cart are out of stock or not "
                            "available in the quantity you chose. Check your cart."))

    address, district, option = None, None, None
    if priced_now.needs_address:
        # Goods to deliver, or a service done at the customer's address: both need one,
        # and each such service must cover its district.
        address = _address(choices, user)
        district = address["district"]
        check_service_area(priced_now, district, choices.locale)
    if priced_now.needs_delivery:
        option = delivery.get_option(choices.delivery_option or "", district)
        if option.is_pickup and not priced_now.visits:
            address = None
    priced = carts.priced(cart, district=district, delivery=option, locale=choices.locale,
                          extra_rules=extra_rules, **_buyer(choices, user))
    check_voucher(priced)
    payer = Payer(user_id=user.id if user else None, phone=contact.phone, place=address)
    credit = _credit(choices, user, priced.total_cents)
    points, points_cents = _points(choices, user, priced.total_cents - credit)
    due = priced.total_cents - credit - points_cents
    if not due and (credit or points):
        method = methods.STORE_CREDIT if credit else methods.POINTS
    else:
        # Without the payer: their unpaid orders are counted once, in the transaction below,
        # under the lock that makes the count hold (and not for staff taking the order).
        method = methods.get_method(choices.payment_method, due, district)
    now = utcnow()
    draft = orders.OrderDraft(
        user_id=user.id if user else None, locale=choices.locale,
        contact_name=contact.name, contact_email=contact.email, contact_phone=contact.phone,
        payment_method=method.code, status=method.initial_status,
        payment_due_at=methods.payment_due(method, now, orders.unpaid_hours()),
        subtotal_cents=priced.subtotal_cents, discount_cents=priced.discount_cents,
        delivery_fee_cents=priced.delivery_fee_cents, total_cents=priced.total_cents,
        credit_cents=credit, points_cents=points_cents,
        lines=[orders.LineDraft(
            product_id=line.product_id, variant_id=line.item.variant_id, kind=line.kind,
            sku=line.sku, names=line.names, options=line.options,
            translated_options=line.translated_options, unit_cents=line.unit_cents,
            quantity=line.quantity,
            discount_cents=line.discount_cents, total_cents=line.total_cents,
            slot_id=line.item.slot_id, slot_starts_at=line.slot_starts_at,
            service_location=line.service_location)
            for line in priced.lines],
        address=address, district=district,
        delivery_code=option.code if option else None,
        delivery_name=option.name_en if option else None,
        delivery_names={"si": option.name_si, "ta": option.name_ta} if option else {},
        idempotency_key=key, request_fingerprint=fingerprint,
        adjustments=_adjustments(priced), channel=channel,
        placed_by=actor if by_staff else None,
        notes=[*notes, *([_discount_note(discount)] if discount else [])])
    try:
        with transaction():
            # Claim the cart first: a second submit of the same form waits here for the
            # first to finish, then finds the cart ordered.
            claimed = db.session.execute(_CLAIM_CART, {"cart": cart.id, "at": now}).rowcount
            if claimed != 1:
                raise _AlreadyOrdered()
            # Counted now that this payer's other checkouts wait for this one: two placed
            # at the same moment must not both slip under the limits.
            limits.hold(payer, place=method.waits_for_payment)
            if not by_staff:
                # The pace and the unpaid orders, counted in one statement.
                counts = orders.payer_orders(
                    user_id=payer.user_id, phone=payer.phone,
                    place=payer.place if method.waits_for_payment else None,
                    since=now - PACE_WINDOW)
                _check_pace(counts, now)
                if method.waits_for_payment:
                    reason = limits.unpaid_refusal(payer, counts)
                    if reason is not None:
                        raise Invalid(reason, field="payment_method")
            order = orders.create_order(draft)
            if discount is not None:
                audit.record("orders.discount", actor_id=actor.id, target_type="order",
                             target_id=order.number, reason=discount.reason,
                             amount_cents=_given(priced))
            pricing.redeem(priced, order.number)
            # Refused here, with the balance, when another checkout spent it meanwhile.
            if credit:
                store_credit.pay_with_credit(order.number, user.id, credit)
            if points:
                store_credit.pay_with_points(order.number, user.id, points, points_cents)
            if method.code not in methods.PREPAID:
                payments.open_payment(order.number, method.code, order.due_cents)
            db.session.execute(_CART_ORDERED, {"cart": cart.id, "number": order.number})
    except _AlreadyOrdered:
        db.session.refresh(cart)
        earlier = orders.find_by_number(cart.order_number or "")
        if earlier is None:
            raise CheckoutProblem(_l("Your cart is empty.")) from None
        return earlier, False
    except IntegrityError:
        # The same idempotency key committed by a concurrent request a moment ago.
        earlier = orders.find_by_idempotency_key(key) if key else None
        if earlier is None:
            raise
        return _replayed(earlier, fingerprint)
    # The cart's two UPDATEs bypassed the session: tell the cart what they wrote rather
    # than read it back.
    for name, value in (("status", "ordered"), ("order_number", order.number),
                        ("updated_at", now)):
        set_committed_value(cart, name, value)
    return order, True


# Built once (every order sends both): the cart claimed, then told its order's number.
_CLAIM_CART = (update(Cart).where(Cart.id == bindparam("cart"), Cart.status == "open")
               .values(status="ordered",
                       updated_at=bindparam("at", type_=Cart.updated_at.type))
               .execution_options(synchronize_session=False))
_CART_ORDERED = (update(Cart).where(Cart.id == bindparam("cart"))
                 .values(order_number=bindparam("number"))
                 .execution_options(synchronize_session=False))


def _credit(choices: CheckoutChoices, user, total_cents: int) -> int:
    """The store credit to spend: what the customer asked for, at most the total. Raises
    NotEnoughCredit (with the balance) when they hold less; checked again, under the
    wallet's lock, when the order is written."""
    if not choices.credit_cents:
        return 0
    if user is None or choices.credit_cents < 0:
        raise Invalid(_l("Sign in to pay with store credit."), field="credit")
    credit = min(choices.credit_cents, total_cents)
    held = wallet.balance(user.id)
    if credit > held:
        raise wallet.NotEnoughCredit(balance=held, field="credit")
    return credit


def _points(choices: CheckoutChoices, user, left_cents: int) -> tuple[int, int]:
    """(points, their value) to spend: what the customer asked for, at most what pays the
    rest of the total. Raises NotEnoughCredit (with the points held) when they hold
    fewer; checked again under the wallet's lock."""
    if not choices.points:
        return 0, 0
    if user is None or choices.points < 0:
        raise Invalid(_l("Sign in to pay with points."), field="points")
    scheme = loyalty.scheme()
    if not scheme.enabled:
        raise Invalid(_l("Points cannot be spent right now."), field="points")
    points = min(choices.points, scheme.points_worth(left_cents))
    held = loyalty.balance(user.id)
    if points > held:
        raise wallet.NotEnoughCredit(balance=held, field="points", unit="points")
    return points, scheme.value_of(points)


def _adjustments(priced: PricedCart) -> list[orders.AdjustmentDraft]:
    position = {id(line): i for i, line in enumerate(priced.lines)}
    return [orders.AdjustmentDraft(
        kind=kind, rule=a.code, labels=a.labels or {"en": a.label}, amount_cents=a.amount_cents,
        line_index=position[id(line)] if line is not None else None,
        promotion_id=a.promotion_id, voucher=a.voucher)
        for kind, line, a in priced.adjustments]


def _given(priced: PricedCart) -> int:
    return sum(a.amount_cents for kind, _line, a in priced.adjustments
               if a.code == staff_discount.CODE)


def _discount_note(discount: StaffDiscount) -> str:
    cents = discount.amount_cents
    size = f"{discount.percent}%" if discount.percent else f"Rs {cents // 100:,}.{cents % 100:02d}"
    return f"Discount from the shop ({size}): {discount.reason}"


class _AlreadyOrdered(Exception):
    pass


def _replayed(order: Order, fingerprint: str) -> tuple[Order, bool]:
    if order.request_fingerprint and order.request_fingerprint != fingerprint:
        raise Conflict(_l("This Idempotency-Key was used for a different request."),
                       field="Idempotency-Key")
    return order, False
