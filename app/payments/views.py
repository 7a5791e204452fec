"""Gateways talking to us, and the shopper's pages around PayHere's hosted checkout.

PayHere's server-to-server notification comes to /payments/payhere/notify: no session, no
CSRF token (PayHere cannot have one); its md5sig is what proves it (payments.services).

The shopper's pages: "Pay for order KD-…" (the form their browser posts to PayHere), the
return page (what the LEDGER says: paid, or still waiting for PayHere's word, polled with
htmx; it never marks anything paid itself) and the cancel page (the order stays payable
until it expires). An order is reached by its signed link token (`t`, as in the guest's
mail; PayHere sends the shopper back with it) or by its signed-in customer; anything else
is the 404 page, so order numbers cannot be probed.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.errors import Invalid, NotFound
from app.extensions import csrf, limiter
from app.orders import services as orders
from app.payments import checkout_flow, sandbox, services as payments
from app.security import characters
from app.web import redirect_to, render

bp = Blueprint("payments", __name__)
bp.register_blueprint(sandbox.bp)

POLL_SECONDS = 3
POLL_MAX = 200  # about ten minutes of polling, then the page says we will email


@bp.post("/payments/payhere/notify")
@csrf.exempt
@limiter.limit("120 per minute")
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

def _order(number: str):
    """The order, with the token to link it by (None: its signed-in customer's)."""
    token = request.args.get("t", "")
    if token and len(token) <= 200 and orders.number_from_guest_token(token) == number:
        order = orders.find_by_number(number)
        if order is not None:
            return order, token
    if current_user.is_authenticated and not current_user.is_staff:
        return orders.customer_order(number, current_user.id), None  # NotFound if not theirs
    raise NotFound()


def _order_link(order, token: str | None) -> str:
    if token is None or (current_user.is_authenticated and order.user_id == current_user.id):
        return url_for("orders.detail", number=order.number)
    return url_for("orders.guest_detail", number=order.number, t=token)


def _since() -> int | None:
    raw = request.args.get("since", "")
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 12 else None


def _form_or_none(order):
    """The hosted-checkout form, when the order can still be paid by card."""
    if not checkout_flow.payable(order):
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
    order, token = _order(number)
    link = _order_link(order, token)
    if order.payment_method != checkout_flow.METHOD:
        abort(404)
    if not checkout_flow.payable(order):
        paid = order.payment_status == "paid"
        flash(_("This order is already paid.") if paid else
              _("This order can no longer be paid."), "message" if paid else "error")
        return redirect_to(link)
    form = _form_or_none(order)
    if form is None:
        flash(_("Card payment is not available right now."), "error")
        return redirect_to(link)
    return _private(render("payments/pay.html", order=order, form=form, order_link=link,
                           local_sandbox=checkout_flow.local_sandbox_on()))


@bp.get("/payments/payhere/return")
def payhere_return():
    number = request.args.get("order_id", "")
    order, token = _order(number)
    since = _since()
    state = checkout_flow.payment_state(order, since=since)
    raw = request.args.get("n", "")
    polls = min(int(raw), POLL_MAX) if raw.isascii() and raw.isdigit() and len(raw) <= 6 else 0
    poll_url = None
    if state.state == "waiting" and polls < POLL_MAX:
        poll_url = url_for("payments.payhere_return", order_id=order.number, t=token,
                           since=since, n=polls + 1)
    form = _form_or_none(order) if state.state in ("failed", "cancelled") else None
    return _private(render(
        "payments/return.html", "payments/_return_state.html", order=order,
        state=state.state, poll_url=poll_url, poll_seconds=POLL_SECONDS,
        gave_up=state.state == "waiting" and polls >= POLL_MAX, form=form,
        labels=orders.STATUS_LABELS,
        order_link=_order_link(order, token),
        refresh_url=url_for("payments.payhere_return", order_id=order.number, t=token,
                            since=since)))


@bp.get("/payments/payhere/cancel")
def payhere_cancel():
    number = request.args.get("order_id", "")
    order, token = _order(number)
    state = checkout_flow.payment_state(order)
    return _private(render(
        "payments/cancel.html", order=order, paid=state.state == "paid",
        form=_form_or_none(order), order_link=_order_link(order, token)))
