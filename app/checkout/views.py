"""The cart and checkout pages.

Whose cart: a signed-in customer's by their id; a guest's by the random token in the
`kade_cart` cookie (httponly, SameSite=Lax, 90 days). At sign-in the guest's cart joins the
customer's (Flask-Login's `user_logged_in` signal). Staff have no cart.

Every change is a plain form post that redirects back with a message; htmx posts the same
forms and gets back the cart (or a small "added" note) with the header's cart link swapped
out of band, so the count updates without a reload.

Checkout is one page, /checkout, in steps (address, delivery, payment, review) kept on the
cart by `app.checkout.steps`; each step is a plain form that saves its choice and moves on.
The review page makes an idempotency key; `place_order` turns the same key, or the same cart
submitted twice, into one order.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    has_request_context,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user, user_logged_in

from app import db, revalidation
from app.accounts import addresses, read_along
from app.accounts.addresses import AddressInput
from app.accounts.districts import district_name
from app.accounts.phones import display_phone
from app.checkout import (
    cart as carts,
    delivery,
    services as checkout,
    signals as cart_signals,
    steps,
)
from app.checkout.forms import (
    AddToCartForm,
    CustomerAddressForm,
    DeliveryForm,
    GuestAddressForm,
    GuestContactForm,
    LineForm,
    PaymentForm,
    PlaceOrderForm,
)
from app.checkout.models import Cart
from app.checkout.shopper import (
    CART_COOKIE,
    cookie_token as _cookie_token,
    current_cart,
    customer_id as _customer_id,
    is_staff as _is_staff,
)
from app.errors import Conflict, DomainError, Invalid, NotFound, TooManyAttempts
from app.extensions import checkout_rate_limit, limiter
from app.i18n import current_language, format_lkr
from app.inventory.services import OutOfStock
from app.orders import just_placed as placed_note, services as orders
from app.payments import checkout_flow, methods
from app.payments.limits import Payer
from app.personal_pages import mark_personal
from app.wallet import points as loyalty, services as wallet
from app.web import form_status, put_error, redirect_to, render, safe_next

log = logging.getLogger(__name__)

bp = Blueprint("checkout", __name__)

CART_COOKIE_DAYS = 90
# Orders this browser placed, by idempotency key: a second submit of the review page (after
# the first one emptied the cart) goes to the order the first one made.
PLACED_KEY = "placed_orders"
PLACED_KEPT = 5

STEP_TITLES = {
    "address": _l("Address"),
    "details": _l("Your details"),
    "delivery": _l("Delivery"),
    "payment": _l("Payment"),
    "review": _l("Review"),
}


def _locale() -> str:
    return current_language()


# ---- whose cart -----------------------------------------------------------------------------

def _cart_to_fill() -> Cart:
    """The shopper's open cart, made if there is none (a guest then gets a new cookie), for
    an item added next: a new cart is written with it (carts.open_cart's `first_item`)."""
    customer_id = _customer_id()
    if customer_id is not None:
        return carts.open_cart(user_id=customer_id, first_item=True)
    cart = carts.find_cart(token=_cookie_token())
    if cart is None:
        # Always a new token: an old one may name a cart that has become an order.
        token = carts.new_token()
        cart = carts.open_cart(token=token, first_item=True)
        g.new_cart_token = token
    return cart


def _cart_count() -> int | None:
    """Units in the cart for the header (None: no cart link at all, for staff). A page asks
    more than once (its ETag, its header): a GET or HEAD, which changes no cart, counts once;
    a signed-in customer's count came with them (accounts.sessions reads it in the same
    query). A request that may have changed the cart (anything else) counts each time."""
    if request.method not in ("GET", "HEAD"):
        return _count_now(reading=False)
    found = g.get("kade_cart_count", _NOT_COUNTED)
    if found is _NOT_COUNTED:
        found = g.kade_cart_count = _count_now(reading=True)
    return found


_NOT_COUNTED = object()


def _count_now(*, reading: bool) -> int | None:
    user = current_user._get_current_object()
    if user.is_authenticated:
        if user.is_staff:
            return None
        units = read_along.read_with(user, carts.CART_UNITS) if reading else None
        if units is not None:
            return int(units)
        return carts.item_count(user_id=user.id)
    token = _cookie_token()
    if not token:
        return 0
    mark_personal()  # this visitor's own count: the page must not be kept for another
    return carts.item_count(token=token)


@bp.app_context_processor
def _cart_globals():
    return {"cart_count": _cart_count}


MAX_LINKS_KEPT = 256
_links_kept: dict[tuple, str] = {}


def cart_link_html() -> str:
    """The header's cart link, for the page cache to put in a kept page on every visit
    (app.page_cache.cart_link_from). What it shows depends only on the count, the language,
    whether this is the cart page and the address it links to, so each such link is made once
    per process rather than rendered anew for every visit."""
    count = _cart_count()
    key = (current_language(), count, request.endpoint == "checkout.cart_page",
           request.host, request.script_root)
    found = _links_kept.get(key)
    if found is None:
        found = render_template("checkout/_cart_link.html", cart_count=lambda: count)
        if len(_links_kept) < MAX_LINKS_KEPT:
            _links_kept[key] = found
    return found


@bp.after_app_request
def _cart_cookie(response):
    token = g.pop("new_cart_token", None)
    if token:
        response.set_cookie(CART_COOKIE, token, max_age=CART_COOKIE_DAYS * 86400, path="/",
                            httponly=True, samesite="Lax",
                            secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")))
    elif g.pop("forget_cart_cookie", False):
        response.delete_cookie(CART_COOKIE, path="/", httponly=True, samesite="Lax",
                               secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")))
    return response


def _merge_guest_cart(app, user, **_extra) -> None:
    """At sign-in (and registration): the guest's cart joins the customer's."""
    if not has_request_context() or getattr(user, "role", None):
        return
    token = request.cookies.get(CART_COOKIE)
    if not token:
        return
    try:
        carts.merge_guest_cart(token, user.id)
    except DomainError:
        log.warning("cart_merge_failed", extra={"user_id": user.id})
    g.forget_cart_cookie = True


@bp.record_once
def _connect_signals(state) -> None:
    user_logged_in.connect(_merge_guest_cart, state.app)
    # Every storefront page's header shows the cart's count: pages' ETags follow it.
    revalidation.add_visitor_part(state.app, _cart_count)


# ---- the cart page and its changes ----------------------------------------------------------

def _cart_context(message=None, ok: bool = True) -> dict:
    cart = current_cart()
    priced = carts.priced(cart, locale=_locale())
    return {"cart": cart, "priced": priced, "problems": carts.stock_problems(cart),
            "savings_cents": steps.you_save_cents(priced),
            "nudges": _nudges(priced),
            "message": message, "message_ok": ok, "is_staff": _is_staff()}


def _nudges(priced) -> list[str]:
    """What a little more in the cart would earn: free delivery, then promotions."""
    found = list(priced.nudges)
    if priced.needs_delivery:
        free_from = delivery.free_delivery_from()
        goods = priced.subtotal_cents - priced.discount_cents
        if free_from is not None and goods < free_from:
            found.insert(0, _("Add %(amount)s more for free delivery.",
                              amount=format_lkr(free_from - goods, _locale())))
    return found


@bp.get("/cart")
def cart_page():
    return render("checkout/cart.html", "checkout/_cart_update.html", **_cart_context())


def _after_change(message, *, ok: bool, status: int = 200, back: str | None = None):
    """Answer a cart change: htmx gets the cart (or an "added" note) and the header's cart
    link out of band; a plain post is redirected back with the message."""
    if request.htmx and not request.htmx.boosted:
        if request.htmx.target == "cart":
            return render("checkout/_cart_update.html",
                          **_cart_context(message, ok), status=status)
        return render("checkout/_added.html", message=message, ok=ok,
                      is_staff=_is_staff(), status=status)
    if message:
        flash(str(message), "message" if ok else "error")
    return redirect_to(safe_next(back, url_for("checkout.cart_page")))


def _first_error(form) -> str:
    for errors in form.errors.values():
        if errors:
            return str(errors[0])
    return _("That could not be done.")


@bp.post("/cart/items")
def add_item():
    form = AddToCartForm()
    back = form.next.data
    if _is_staff():
        return _after_change(_("Staff accounts cannot shop. Sign in as a customer."),
                             ok=False, status=403, back=back)
    if not form.validate():
        return _after_change(_first_error(form), ok=False, status=422, back=back)
    cart = _cart_to_fill()
    try:
        carts.add_item(cart, form.variant_id.data, form.quantity.data or 1,
                       slot_id=form.slot_id.data)
    except DomainError as exc:
        if cart not in db.session:  # a new cart, rolled back with its item: no cookie
            g.pop("new_cart_token", None)
        return _after_change(exc.message, ok=False, status=exc.status, back=back)
    cart_signals.item_added.send(None, variant_id=form.variant_id.data,
                                 quantity=form.quantity.data or 1)
    return _after_change(_("Added to your cart."), ok=True, back=back)


@bp.post("/cart/items/<int:line_id>")
def update_line(line_id: int):
    form = LineForm()
    if not form.validate():
        return _after_change(_first_error(form), ok=False, status=422)
    cart = current_cart()
    try:
        if cart is None:
            raise NotFound(_l("That item is no longer in your cart."))
        line = carts.set_quantity(cart, line_id, form.wanted())
    except DomainError as exc:
        return _after_change(exc.message, ok=False, status=exc.status)
    return _after_change(_("Your cart is updated.") if line else _("Removed from your cart."),
                         ok=True)


@bp.post("/cart/items/<int:line_id>/remove")
def remove_line(line_id: int):
    cart = current_cart()
    try:
        if cart is None:
            raise NotFound(_l("That item is no longer in your cart."))
        carts.remove_line(cart, line_id)
    except DomainError as exc:
        return _after_change(exc.message, ok=False, status=exc.status)
    return _after_change(_("Removed from your cart."), ok=True)


# ---- checkout -------------------------------------------------------------------------------

@dataclass
class _Checkout:
    """Where a shopper is in checkout: their cart priced, what they chose so far, the steps
    their cart needs and which of those are done."""

    cart: Cart
    data: dict = field(default_factory=dict)

    def __post_init__(self):
        self.data = steps.load(self.cart)
        self.user = current_user if _customer_id() is not None else None
        self.priced = carts.priced(self.cart, locale=_locale())
        self.needs_delivery = self.priced.needs_delivery
        # Goods to deliver, or a service done at the customer's address.
        self.needs_address = self.priced.needs_address
        self.visits = self.priced.visits
        self.saved_address = None
        if self.user is not None and self.needs_address and self.data.get("address_id"):
            try:
                self.saved_address = addresses.get_address(self.user.id,
                                                           int(self.data["address_id"]))
            except (NotFound, TypeError, ValueError):
                self.data.pop("address_id", None)

    @property
    def signed_in(self) -> bool:
        return self.user is not None

    @property
    def step_names(self) -> list[str]:
        return steps.step_names(needs_delivery=self.needs_delivery,
                                needs_address=self.needs_address, signed_in=self.signed_in)

    def facts(self) -> steps.StepFacts:
        """What the shopper gave so far, for the step rules (app.checkout.steps); the
        delivery option and the payment method are looked up only when the rules ask."""
        return steps.StepFacts(
            signed_in=self.signed_in, has_contact=self.contact is not None,
            district=self.district, in_service_area=lambda: self.area_problem() is None,
            has_delivery_option=lambda: self.option() is not None,
            has_payment_method=self._payment_offered)

    def _payment_offered(self) -> bool:
        due = self.due_cents()
        if not due:
            return True  # the store credit pays it all
        code = self.data.get("payment_method")
        return code in {m.code for m in methods.available(due, self.district, self.payer())}

    def credit_held(self) -> int:
        """The signed-in customer's store credit (0 for a guest): read once a request."""
        if self.user is None:
            return 0
        if not hasattr(self, "_credit_held"):
            self._credit_held = wallet.balance(self.user.id)
        return self._credit_held

    def points_held(self) -> int:
        """The signed-in customer's points, when the scheme is on (0 otherwise)."""
        if self.user is None or not self.scheme().enabled:
            return 0
        if not hasattr(self, "_points_held"):
            self._points_held = loyalty.balance(self.user.id)
        return self._points_held

    def scheme(self):
        if not hasattr(self, "_scheme"):
            self._scheme = loyalty.scheme()
        return self._scheme

    def prepaid(self, total_cents: int, *, use_credit: bool | None = None,
                use_points: bool | None = None) -> tuple[int, int, int]:
        """(credit, points, their value) this order would spend from the wallet: all the
        credit held (at most the total), then the points that pay what is left, when the
        customer chose them (as saved, or as now posted)."""
        if use_credit is None:
            use_credit = bool(self.data.get("use_credit"))
        if use_points is None:
            use_points = bool(self.data.get("use_points"))
        credit = min(self.credit_held(), total_cents) if use_credit else 0
        points = (min(self.points_held(), self.scheme().points_worth(total_cents - credit))
                  if use_points else 0)
        return credit, points, self.scheme().value_of(points)

    def due_cents(self) -> int:
        """What the payment method collects: the total less credit and points spent."""
        total = self.quote().total_cents
        credit, _points, points_cents = self.prepaid(total)
        return total - credit - points_cents

    @property
    def district(self) -> str | None:
        if not self.needs_address:
            return None
        if self.saved_address is not None:
            return self.saved_address.district
        address = steps.address_input(self.data)
        return address.district if address else None

    @property
    def address(self) -> dict | None:
        """The delivery address chosen, for the review page."""
        if self.saved_address is not None:
            a = self.saved_address
            return {"recipient": a.recipient, "phone": a.phone, "line1": a.line1,
                    "line2": a.line2, "city": a.city, "district": a.district,
                    "postal_code": a.postal_code}
        address = self.data.get("address")
        return address if self.needs_address and isinstance(address, dict) else None

    @property
    def contact(self):
        return steps.contact(self.data)

    def payer(self) -> Payer:
        """Who would pay: their unpaid orders decide whether bank transfer and card are
        offered (app.payments.limits)."""
        if self.user is not None:
            return Payer(user_id=self.user.id, phone=self.user.phone, place=self.address)
        contact = self.contact
        return Payer(phone=contact.phone if contact else None, place=self.address)

    def choices(self) -> checkout.CheckoutChoices:
        # Ask for all the credit and points held: checkout spends at most what pays the total.
        return steps.choices(self.data, signed_in=self.signed_in,
                             needs_delivery=self.needs_delivery,
                             needs_address=self.needs_address, locale=_locale(),
                             credit_cents=self.credit_held() if self.data.get("use_credit")
                             else 0,
                             points=self.points_held() if self.data.get("use_points") else 0)

    def quote(self):
        return checkout.quote(self.cart, self.choices(), user=self.user,
                              district=self.district)

    def option(self):
        code = self.data.get("delivery_option")
        if not self.needs_delivery or not code:
            return None
        try:
            return delivery.get_option(code, self.district)
        except Invalid:
            return None

    def area_problem(self, district: str | None = None):
        """Why a service at the customer's address cannot be done in `district` (the one
        chosen, by default), or None."""
        return checkout.service_area_problem(self.priced, district or self.district,
                                             _locale())

    def visit_areas(self) -> list[tuple]:
        """Each service done at the customer's address, with the districts it covers."""
        locale = _locale()
        return [(line, ", ".join(sorted(district_name(code, locale)
                                        for code in line.service_districts)))
                for line in self.visits]

    def next_after(self, step: str) -> str:
        return steps.next_after(self.step_names, step)


def _to_step(step: str):
    return redirect_to(url_for("checkout.checkout_page", step=step))


def _not_placing() -> bool:
    return request.form.get("step") != "place"


@bp.route("/checkout", methods=["GET", "POST"])
# Placing orders is limited per client address, with the API's POST /checkout (one count):
# each order holds stock. The steps before it are not.
@limiter.shared_limit(checkout_rate_limit, scope="checkout", methods=["POST"],
                      exempt_when=_not_placing)
def checkout_page():
    if _is_staff():
        flash(_("Staff accounts cannot shop. Sign in as a customer."), "error")
        return redirect_to(url_for("checkout.cart_page"))
    if request.method == "POST" and request.form.get("step") == "place":
        return _place_order()
    cart = current_cart()
    if cart is None or not cart.lines:
        flash(_("Your cart is empty."), "error")
        return redirect_to(url_for("checkout.cart_page"))
    state = _Checkout(cart)
    if state.priced.unavailable or carts.stock_problems(cart):
        flash(_("Some items in your cart are out of stock or no longer on sale. Check your "
                "cart."), "error")
        return redirect_to(url_for("checkout.cart_page"))
    asked = (request.form if request.method == "POST" else request.args).get("step", "")
    step, elsewhere = steps.step_to_show(state.step_names, state.facts(), asked,
                                         posted=request.method == "POST")
    return _to_step(step) if elsewhere else _STEPS[step](state)


def _step_page(state: _Checkout, step: str, status: int = 200, **context):
    return render(f"checkout/{step}.html", status=status, state=state, step=step,
                  step_titles=STEP_TITLES, **context)


def _address_step(state: _Checkout):
    if state.signed_in:
        return _customer_address_step(state)
    form_class = GuestAddressForm if state.needs_address else GuestContactForm
    step = "address" if state.needs_address else "details"
    if request.method == "POST":
        form = form_class()
    else:
        contact, address = state.contact, steps.address_input(state.data)
        prefill = {}
        if contact is not None:
            prefill.update(name=contact.name, email=contact.email,
                           phone=display_phone(contact.phone))
        if address is not None and state.needs_address:
            prefill.update(line1=address.line1, line2=address.line2, city=address.city,
                           district=address.district, postal_code=address.postal_code)
        form = form_class(formdata=None, data=prefill)
        _show_area_problem(state, form, "district")
    if request.method == "POST" and form.validate():
        address = form.address_data() if state.needs_address else None
        try:
            if address is not None:
                addresses.check_address(AddressInput(**address))
                _check_area(state, address["district"])
        except Invalid as exc:
            put_error(form, exc, "line1")
        else:
            steps.save(state.cart, contact=form.contact_data(), address=address,
                       address_id=None)
            return _to_step(state.next_after(step))
    return _step_page(state, step, status=form_status(form), form=form)


def _check_area(state: _Checkout, district: str | None, field: str = "district") -> None:
    """Raises the refusal (on `field`) when a service in the cart that is done at the
    customer's address does not cover `district`."""
    problem = state.area_problem(district)
    if problem is not None:
        problem.field = field
        raise problem


def _show_area_problem(state: _Checkout, form, field: str) -> None:
    """On the address page: the address saved earlier is in a district a service in the
    cart does not cover (changed since, or sent back from placing the order): say so."""
    problem = state.area_problem() if state.district else None
    if problem is not None:
        problem.field = field
        put_error(form, problem, field)


def _customer_address_step(state: _Checkout):
    user = state.user
    saved = addresses.list_addresses(user.id)
    if request.method == "POST":
        form = CustomerAddressForm(saved=saved)
    else:
        prefill = {"recipient": user.name, "address_phone": display_phone(user.phone)}
        if state.saved_address is not None:
            prefill["address_id"] = str(state.saved_address.id)
        elif isinstance(state.data.get("address"), dict):
            old = state.data["address"]
            prefill.update(address_id="new", recipient=old.get("recipient"),
                           address_phone=display_phone(old.get("phone") or ""),
                           **{k: old.get(k) for k in ("line1", "line2", "city", "district",
                                                      "postal_code")})
        form = CustomerAddressForm(formdata=None, data=prefill, saved=saved)
        _show_area_problem(state, form, "address_id" if state.saved_address else "district")
    if request.method == "POST" and form.validate():
        try:
            if form.wants_new:
                data = AddressInput(**form.address_data())
                _check_area(state, data.district)
                if form.save_address.data:
                    kept = addresses.add_address(user.id, data)
                    steps.save(state.cart, address_id=kept.id, address=None)
                else:
                    addresses.check_address(data)
                    steps.save(state.cart, address=form.address_data(), address_id=None)
            else:
                try:
                    kept = addresses.get_address(user.id, form.chosen_id())
                except NotFound:
                    raise Invalid(_l("Choose one of your addresses."),
                                  field="address_id") from None
                _check_area(state, kept.district, field="address_id")
                steps.save(state.cart, address_id=kept.id, address=None)
        except Invalid as exc:
            put_error(form, exc, "line1")
        else:
            return _to_step(state.next_after("address"))
    return _step_page(state, "address", status=form_status(form), form=form, saved=saved)


def _delivery_step(state: _Checkout):
    options = delivery.options_for(state.district)
    if request.method == "POST":
        form = DeliveryForm()
    else:
        form = DeliveryForm(formdata=None, data={
            "delivery_option": state.data.get("delivery_option")
            or (options[0].code if len(options) == 1 else None)})
    form.delivery_option.choices = [(o.code, o.name(_locale())) for o in options]
    if request.method == "POST" and form.validate():
        try:
            option = delivery.get_option(form.delivery_option.data, state.district)
        except Invalid as exc:
            put_error(form, exc, "delivery_option")
        else:
            steps.save(state.cart, delivery_option=option.code)
            return _to_step(state.next_after("delivery"))
    goods_cents = state.priced.subtotal_cents - state.priced.discount_cents
    return _step_page(state, "delivery", status=form_status(form), form=form,
                      options=options, goods_cents=goods_cents)


def _payment_step(state: _Checkout):
    quote = state.quote()
    payer = state.payer()
    held, points_held = state.credit_held(), state.points_held()
    if request.method == "POST":
        form = PaymentForm()
        use_credit = bool(held and form.use_credit.data)
        use_points = bool(points_held and form.use_points.data)
    else:
        use_credit = bool(held and state.data.get("use_credit"))
        use_points = bool(points_held and state.data.get("use_points"))
        form = PaymentForm(formdata=None, data={
            "payment_method": state.data.get("payment_method"), "use_credit": use_credit,
            "use_points": use_points})
    credit, _points, points_cents = state.prepaid(quote.total_cents, use_credit=use_credit,
                                                  use_points=use_points)
    due = quote.total_cents - credit - points_cents
    available = methods.available(due, state.district, payer)
    form.payment_method.choices = [(m.code, m.label) for m in available]
    if request.method == "POST" and form.validate():
        chosen = {"use_credit": use_credit or None, "use_points": use_points or None}
        if not due:
            steps.save(state.cart, payment_method=None, **chosen)
            return _to_step("review")
        try:
            method = methods.get_method(form.payment_method.data, due, state.district, payer)
        except Invalid as exc:
            put_error(form, exc, "payment_method")
        else:
            steps.save(state.cart, payment_method=method.code, **chosen)
            return _to_step("review")
    return _step_page(state, "payment", status=form_status(form), form=form,
                      methods=available, quote=quote, credit_held=held,
                      points_held=points_held, points_value=state.scheme().value_of(
                          points_held), due_cents=due,
                      refused=methods.refused(due, state.district, payer))


def _review_step(state: _Checkout):
    if request.method == "POST":
        return _to_step("review")
    form = PlaceOrderForm(formdata=None, idempotency_key=secrets.token_urlsafe(24))
    quote = state.quote()
    credit, points, points_cents = state.prepaid(quote.total_cents)
    due = quote.total_cents - credit - points_cents
    if not due and (credit or points):
        method = methods.STORE_CREDIT if credit else methods.POINTS
    else:
        method = methods.METHODS.get(state.data.get("payment_method") or "")
    return _step_page(state, "review", form=form, quote=quote, method=method,
                      credit_cents=credit, points=points, points_cents=points_cents,
                      due_cents=due,
                      option=state.option(), savings_cents=steps.you_save_cents(quote))


_STEPS = {"address": _address_step, "details": _address_step, "delivery": _delivery_step,
          "payment": _payment_step, "review": _review_step}


def _order_url(order) -> str:
    if order.user_id:
        return url_for("orders.detail", number=order.number)
    return url_for("orders.guest_detail", number=order.number,
                   t=orders.guest_token(order))


def _placed_url(order) -> str:
    """Where the shopper goes once the order is placed: its page, or, for an order to pay
    by card, the page that sends them to PayHere."""
    if checkout_flow.payable(order):
        return url_for("payments.payhere_pay", number=order.number,
                       t=None if order.user_id else checkout_flow.access_token(order))
    return _order_url(order)


def _place_order():
    form = PlaceOrderForm()
    if not form.validate():
        flash(_("Please check your order and place it again."), "error")
        return _to_step("review")
    key = form.idempotency_key.data
    placed = dict(session.get(PLACED_KEY) or {})
    if key in placed:  # submitted again after the first submit made the order
        order = orders.find_by_number(placed[key])
        if order is not None:
            return redirect_to(_placed_url(order))
    cart = current_cart()
    if cart is None or not cart.lines:
        flash(_("Your cart is empty."), "error")
        return redirect_to(url_for("checkout.cart_page"))
    state = _Checkout(cart)
    try:
        order, _created = checkout.place_order(cart, state.choices(), user=state.user,
                                               idempotency_key=key, channel="web")
    except (OutOfStock, checkout.CheckoutProblem) as exc:
        flash(str(exc.message), "error")
        return redirect_to(url_for("checkout.cart_page"))
    except Invalid as exc:
        if not isinstance(exc, checkout.OutsideServiceArea):  # the address page says it
            flash(str(exc.message), "error")
        return _to_step(steps.step_for_field(exc.field, state.step_names))
    except (Conflict, TooManyAttempts) as exc:
        flash(str(exc.message), "error")
        return _to_step("review")
    placed[key] = order.number
    session[PLACED_KEY] = dict(list(placed.items())[-PLACED_KEPT:])
    placed_note.remember(order.number)
    if order.user_id is None:
        g.forget_cart_cookie = True  # the cart is an order now; a next visit starts afresh
    log.info("order_placed_web", extra={"order_id": order.id})
    return redirect_to(_placed_url(order))
