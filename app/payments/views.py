"""Gateways talking to us, and the shopper's pages around PayHere's hosted checkout.

PayHere's server-to-server notification comes to /payments/payhere/notify: no session, no
CSRF token (PayHere cannot have one); its md5sig is what proves it (payments.services).

The shopper's pages: "Pay for order KD-…" (the form their browser posts to PayHere), the
return page (what the LEDGER says: paid, or still waiting for PayHere's word, polled with
htmx; it never marks anything paid itself) and the cancel page (the order stays payable
until it expires). An order is reached by a guest's signed link token (`t`, as in their
mail) or by its signed-in customer. PayHere sends the shopper back with a return token
(`r`) instead, which shows the payment's state only; with it, the guest's browser that
left from the pay page is shown its order's link again (the session remembers), anyone
else is pointed to "Find your order". Anything else is the 404 page, so order numbers
cannot be probed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import Blueprint, abort, flash, g, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.errors import Invalid, NotFound
from app.extensions import csrf, limiter
from app.orders import services as orders
from app.payments import checkout_flow, link_views, sandbox, services as payments
from app.security import characters
from app.web import redirect_to, render

bp = Blueprint("payments", __name__)
bp.register_blueprint(sandbox.bp)

POLL_SECONDS = 3
POLL_MAX = 200  # about ten minutes of polling, then the page says we will email


# A notification PayHere signed is never limited: a payment must not be lost because someone
# else flooded the address. What is not signed (a forger, a scanner) is limited per sender and
# over all senders together; each one that gets through writes an audit row, so the overall
# limit is also the most refusal rows the audit log can gain in an hour.
UNSIGNED_PER_SENDER = "10 per minute"
UNSIGNED_OVERALL = "100 per hour"


def _signed_by_payhere() -> bool:
    # Asked by both limits: checked once a request.
    if "payhere_signed" not in g:
        g.payhere_signed = payments.is_signed_by_payhere(request.form.to_dict())
    return g.payhere_signed


@bp.post("/payments/payhere/notify")
@csrf.exempt
@limiter.limit(UNSIGNED_PER_SENDER, exempt_when=_signed_by_payhere)
@limiter.shared_limit(UNSIGNED_OVERALL, scope="payhere-unsigned", key_func=lambda: "everyone",
                      exempt_when=_signed_by_payhere)
def payhere_notify():
    fields = request.form.to_dict()
    if any(characters.has_forbidden_characters(name + value, multiline=True)
           for name, value in fields.items()):
        # Not from PayHere, which sends plain text: refused before it is checked, recorded or
        # audited, so the junk is stored nowhere. (NUL never gets here: app/request_guard.py.)
        abort(400)
    payments.record_payhere_notification(fields)
    # The same answer whatever happened: a forger learns nothing from it. PayHere retries
    # only on network failure, and every outcome is already recorded or logged.
    return "OK", 200, {"Content-Type": "text/plain; charset=utf-8"}


# ---- the shopper's pages ---------------------------------------------------------------------

@dataclass(frozen=True)
class _Access:
    """How this request reached the order. `full`: its guest link (`link_token`), its
    signed-in customer, or the browser that went to PayHere from the pay page; else only
    PayHere's return token, which shows the payment's state and no personal details.
    `args`: what this page's own links (refresh, polling) carry along."""

    order: object
    full: bool
    link_token: str | None = None
    args: dict = field(default_factory=dict)


def _access(number: str) -> _Access:
    token = request.args.get("t", "")
    if token:
        try:
            order = orders.guest_order(number, token)
        except NotFound:
            pass
        else:
            return _Access(order, True, token, {"t": token})
    if current_user.is_authenticated and not current_user.is_staff:
        try:
            return _Access(orders.customer_order(number, current_user.id), True)
        except NotFound:
            pass
    back = request.args.get("r", "")
    order = checkout_flow.order_for_return_token(number, back)
    if order is None:
        raise NotFound()
    if order.user_id is None and _went_to_payhere_from_here(order):
        return _Access(order, True, orders.guest_token(order), {"r": back})
    return _Access(order, False, None, {"r": back})


# The guest orders this browser opened the pay page of (by their link), so that coming
# back from PayHere with only the return token still shows them their order's link.
PAYING_KEY = "paying_orders"
PAYING_KEPT = 5


def _paying_mark(order) -> str:
    return f"{order.number}:{order.link_version}"


def _remember_paying(order) -> None:
    kept = [mark for mark in session.get(PAYING_KEY, []) if mark != _paying_mark(order)]
    session[PAYING_KEY] = [*kept, _paying_mark(order)][-PAYING_KEPT:]


def _went_to_payhere_from_here(order) -> bool:
    return _paying_mark(order) in session.get(PAYING_KEY, [])


def _order_link(access: _Access) -> str:
    order = access.order
    if order.user_id is not None:
        return url_for("orders.detail", number=order.number)  # opens once signed in as them
    if access.link_token:
        return url_for("orders.guest_detail", number=order.number, t=access.link_token)
    return url_for("orders.order_link", number=order.number)  # "Find your order"


def _since() -> int | None:
    raw = request.args.get("since", "")
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 15 else None


def _form_or_none(access: _Access):
    """The hosted-checkout form, when the order can still be paid by card (and this request
    may see the customer's details it carries)."""
    order = access.order
    if not access.full or not checkout_flow.payable(order):
        return None
    try:
        return checkout_flow.hosted_form(order)
    except Invalid:
        return None  # PayHere is not configured any more


def _private(response):
    response.headers["Cache-Control"] = "private, no-store"  # the form names the customer
    return response


@bp.get("/payments/payhere/<number>/pay")
def payhere_pay(number: str):
    access = _access(number)
    order = access.order
    if not access.full or order.payment_method != checkout_flow.METHOD:
        abort(404)
    link = _order_link(access)
    if not checkout_flow.payable(order):
        paid = order.payment_status == "paid"
        flash(_("This order is already paid.") if paid else
              _("This order can no longer be paid."), "message" if paid else "error")
        return redirect_to(link)
    form = _form_or_none(access)
    if form is None:
        flash(_("Card payment is not available right now."), "error")
        return redirect_to(link)
    if access.link_token:
        _remember_paying(order)
    return _private(render("payments/pay.html", order=order, form=form, order_link=link,
                           local_sandbox=checkout_flow.local_sandbox_on()))


@bp.get("/payments/payhere/return")
def payhere_return():
    number = request.args.get("order_id", "")
    access = _access(number)
    order = access.order
    since = _since()
    state = checkout_flow.payment_state(order, since=since)
    raw = request.args.get("n", "")
    polls = min(int(raw), POLL_MAX) if raw.isascii() and raw.isdigit() and len(raw) <= 6 else 0
    poll_url = None
    if state.state == "waiting" and polls < POLL_MAX:
        poll_url = url_for("payments.payhere_return", order_id=order.number, **access.args,
                           since=since, n=polls + 1)
    form = _form_or_none(access) if state.state in ("failed", "cancelled") else None
    return _private(render(
        "payments/return.html", "payments/_return_state.html", order=order,
        state=state.state, poll_url=poll_url, poll_seconds=POLL_SECONDS,
        gave_up=state.state == "waiting" and polls >= POLL_MAX, form=form,
        labels=orders.STATUS_LABELS, full=access.full,
        order_link=_order_link(access), pay_link=link_views.remembered_page(order),
        refresh_url=url_for("payments.payhere_return", order_id=order.number, **access.args,
                            since=since)))


@bp.get("/payments/payhere/cancel")
def payhere_cancel():
    number = request.args.get("order_id", "")
    access = _access(number)
    state = checkout_flow.payment_state(access.order)
    return _private(render(
        "payments/cancel.html", order=access.order, paid=state.state == "paid",
        form=_form_or_none(access), full=access.full, order_link=_order_link(access),
        pay_link=link_views.remembered_page(access.order)))
