"""The customer's order pages: the list, an order with its timeline, cancelling, asking for a
return and the invoice; and the same order for a guest through the signed link in their mail
(/orders/<number>?t=<token>).

Another customer's order, a wrong token and an unknown number are all the 404 page (the
services raise NotFound), so order numbers cannot be probed.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.errors import DomainError
from app.extensions import limiter
from app.orders import just_placed as placed_note, services as orders
from app.orders.forms import CancelForm, OrderLinkForm, ReturnForm
from app.orders.models import Order
from app.web import form_status, redirect_to, render

bp = Blueprint("orders", __name__)

# Asking for a fresh order link: per client, and per order number whoever asks (so a
# guest's inbox is not flooded from many addresses).
LINK_LIMIT = "5 per 15 minutes; 20 per day"
LINK_PER_ORDER_LIMIT = "3 per hour"
# A short code is 72 bits of HMAC: the limit only keeps a prober from costing us much.
SHORT_LINK_LIMIT = "30 per minute; 300 per day"

MAX_PAGE = 10_000

# What other domains show on a guest's order page, next to the order: functions of the order
# giving template context, added when the app is built (support adds the guest's question
# thread and its form: app/support/order_questions.py). Orders never import them.
guest_page_panels: list = []


def _customer_order(number: str) -> Order:
    return orders.customer_order(number, current_user.id)  # NotFound -> the 404 page


def guest_order_of(number: str) -> tuple[Order, str]:
    token = request.values.get("t", "")
    if not token or len(token) > 200:
        abort(404)
    return orders.guest_order(number, token), token


def page_links(order: Order, token: str | None) -> dict:
    """Where this order's forms and links go: the account's routes, or the guest's with
    their token."""
    if token is None:
        return {"self": url_for("orders.detail", number=order.number),
                "cancel": url_for("orders.cancel", number=order.number),
                "return_request": url_for("orders.request_return", number=order.number),
                "invoice": url_for("orders.invoice", number=order.number)}
    return {"self": url_for("orders.guest_detail", number=order.number, t=token),
            "cancel": url_for("orders.guest_cancel", number=order.number),
            "return_request": url_for("orders.guest_request_return", number=order.number),
            "invoice": url_for("orders.guest_invoice", number=order.number, t=token),
            # The token in the address, as on the page itself (a second hidden field would
            # be one more copy of it in the page).
            "ask": url_for("orders.guest_ask", number=order.number, t=token)}


def _can_return(order: Order) -> bool:
    return order.status in orders.RETURNABLE and not order.is_services_only and not any(
        event.kind == "return_request" for event in order.events)


def detail_page(order: Order, token: str | None, *, cancel_form=None, return_form=None,
                status: int = 200, **panel_context):
    """The order's page. A guest's (with `token`) shows the other domains' panels too;
    `panel_context` overrides what a panel gave (a form shown again with its errors)."""
    just_placed = placed_note.take(order.number)
    method_label = orders.payment_method_label(order.payment_method)
    panels = {}
    if token:
        for panel in guest_page_panels:
            panels.update(panel(order))
    panels.update(panel_context)
    response = render(
        "orders/detail.html", status=status, order=order, token=token,
        links=page_links(order, token), events=orders.public_events(order),
        labels=orders.STATUS_LABELS, method_label=method_label, just_placed=just_placed,
        can_cancel=orders.can_cancel(order), can_return=_can_return(order),
        cancel_form=cancel_form or CancelForm(formdata=None),
        return_form=return_form or ReturnForm(formdata=None), **panels)
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _cancel(order: Order, token: str | None):
    form = CancelForm()
    if form.validate():
        try:
            orders.cancel_by_customer(order, reason=form.reason.data or None)
        except DomainError as exc:
            flash(str(exc.message), "error")
        else:
            flash(_("Your order %(number)s is cancelled.", number=order.number))
        return redirect_to(page_links(order, token)["self"])
    return detail_page(order, token, cancel_form=form, status=422)


def _return(order: Order, token: str | None):
    form = ReturnForm()
    if form.validate():
        try:
            orders.request_return(order, form.reason.data)
        except DomainError as exc:
            if exc.field == "reason":
                form.reason.errors = [str(exc.message)]
                return detail_page(order, token, return_form=form, status=exc.status)
            flash(str(exc.message), "error")
        else:
            flash(_("We have your request and will reply by email."))
        return redirect_to(page_links(order, token)["self"])
    return detail_page(order, token, return_form=form, status=422)


def _invoice(order: Order) -> Response:
    from app.orders import documents  # helper D's module; imported here so pages load without it

    return Response(documents.invoice_pdf(order), mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="invoice-{order.number}.pdf"',
        "Cache-Control": "private, no-store"})


# ---- customers ------------------------------------------------------------------------------

@bp.get("/account/orders")
@login_required
def order_list():
    raw = request.args.get("page", "1")
    page = min(int(raw), MAX_PAGE) if raw.isascii() and raw.isdigit() and len(raw) < 6 else 1
    page = max(page, 1)
    found, total = orders.customer_orders(current_user.id, page=page)
    pages = max(1, -(-total // orders.PER_PAGE))
    return render("orders/list.html", orders=found, total=total, page=page, pages=pages,
                  labels=orders.STATUS_LABELS)


@bp.get("/account/orders/<number>")
@login_required
def detail(number: str):
    return detail_page(_customer_order(number), None)


@bp.post("/account/orders/<number>/cancel")
@login_required
def cancel(number: str):
    return _cancel(_customer_order(number), None)


@bp.post("/account/orders/<number>/return")
@login_required
def request_return(number: str):
    return _return(_customer_order(number), None)


@bp.get("/account/orders/<number>/invoice.pdf")
@login_required
def invoice(number: str):
    return _invoice(_customer_order(number))


# ---- guests, through the link in their mail -------------------------------------------------

@bp.get("/orders/<number>")
def guest_detail(number: str):
    return detail_page(*guest_order_of(number))


@bp.post("/orders/<number>/cancel")
def guest_cancel(number: str):
    return _cancel(*guest_order_of(number))


@bp.post("/orders/<number>/return")
def guest_request_return(number: str):
    return _return(*guest_order_of(number))


@bp.get("/orders/<number>/invoice.pdf")
def guest_invoice(number: str):
    order, _token = guest_order_of(number)
    return _invoice(order)


# ---- the short link in an SMS -------------------------------------------------------------

@bp.get("/o/<code>")
@limiter.limit(SHORT_LINK_LIMIT)
def short_link(code: str):
    """Opens the order's full link; a wrong, old or revoked code is the 404 page."""
    response = redirect(orders.order_link(orders.order_by_short_code(code)), 303)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


# ---- a guest who lost their link ------------------------------------------------------------

def _asked_number() -> str:
    return "order-link:" + request.form.get("number", "").strip().upper()[:24]


@bp.route("/order-link", methods=["GET", "POST"])
@limiter.limit(LINK_LIMIT, methods=["POST"])
@limiter.limit(LINK_PER_ORDER_LIMIT, methods=["POST"], key_func=_asked_number)
def order_link():
    form = OrderLinkForm(number=request.args.get("number", "")[:24] or None) \
        if request.method == "GET" else OrderLinkForm()
    if form.validate_on_submit():
        orders.resend_link(form.number.data, form.contact.data)
        # The same answer whether or not an order matched: numbers and contacts stay secret.
        flash(_("If that order was placed with that email or mobile number, we have sent "
                "it a new link. Links sent before no longer work."))
        return redirect_to(url_for("orders.order_link"))
    return render("orders/order_link.html", form=form, status=form_status(form))
