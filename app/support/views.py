"""The customer's help pages: their questions (/support), asking a new one (/support/new,
optionally about one of their orders) and one thread (/support/<number>), where they read
our replies and write back.

Guests are sent to sign in and come back here. Another customer's ticket, like an unknown
number, is the 404 page (the services raise NotFound). Asking and writing are rate limited
per customer (app.support.limits): past the limit, the 429 page with Retry-After.
"""

from __future__ import annotations

from flask import Blueprint, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.errors import DomainError, NotFound
from app.extensions import limiter
from app.orders import services as orders
from app.support import limits, services as support
from app.support.forms import ReplyForm, TicketForm
from app.web import form_status, put_error, redirect_to, render

bp = Blueprint("support", __name__)

ORDER_CHOICES = 50  # the latest orders offered in the select; a linked order is added


def _page_number() -> int:
    raw = request.args.get("page", "1")
    page = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 6 else 1
    return max(page, 1)


def _order_numbers(wanted: str | None) -> list[str]:
    """The customer's orders for the select: the latest ones, plus the one the order page
    linked here if it is older (and theirs)."""
    found, _total = orders.customer_orders(current_user.id, per_page=ORDER_CHOICES)
    numbers = [order.number for order in found]
    if wanted and wanted not in numbers:
        try:
            numbers.append(orders.customer_order(wanted, current_user.id).number)
        except NotFound:
            pass
    return numbers


def _this_customer() -> str:
    return limits.customer_key(current_user.id)


def _no_store(response):
    response.headers["Cache-Control"] = "private, no-store"  # a customer's messages
    return response


@bp.get("/support")
@login_required
def ticket_list():
    page = _page_number()
    tickets, total = support.customer_tickets(current_user.id, page=page)
    pages = max(1, -(-total // support.PER_PAGE))
    return _no_store(render(
        "support/list.html", tickets=tickets, total=total, page=page, pages=pages,
        labels=support.CUSTOMER_STATUS_LABELS, unread=support.unread_replies))


@bp.route("/support/new", methods=["GET", "POST"])
@login_required
@limiter.shared_limit(limits.OPEN_LIMIT, limits.OPEN_SCOPE, key_func=_this_customer,
                      methods=["POST"])
def new_ticket():
    wanted = request.args.get("order", "")[:24] or None
    form = TicketForm(order_number=wanted) if request.method == "GET" else TicketForm()
    form.set_orders(_order_numbers(wanted or form.order_number.data))
    if form.validate_on_submit():
        try:
            ticket = support.open_ticket(current_user.id, subject=form.subject.data,
                                         body=form.body.data,
                                         order_number=form.order_number.data or None)
        except DomainError as exc:
            if exc.status == 404:
                raise
            put_error(form, exc, "body")
        else:
            flash(_("Thank you. We have your question and will reply here and by email."))
            return redirect_to(url_for("support.ticket_detail", ticket_id=ticket.id))
    return _no_store(render("support/new.html", form=form, status=form_status(form)))


def _detail_page(ticket, form=None, status: int = 200):
    return _no_store(render(
        "support/detail.html", "support/_thread.html", status=status, ticket=ticket,
        messages=support.public_messages(ticket), labels=support.CUSTOMER_STATUS_LABELS,
        form=form or ReplyForm(formdata=None)))


@bp.get("/support/<int:ticket_id>")
@login_required
def ticket_detail(ticket_id: int):
    ticket = support.customer_ticket(ticket_id, current_user.id)
    if support.unread_replies(ticket):  # a write only when there is something to mark
        support.mark_read(ticket.id, current_user.id)
    return _detail_page(ticket)


@bp.post("/support/<int:ticket_id>/reply")
@login_required
@limiter.shared_limit(limits.REPLY_LIMIT, limits.REPLY_SCOPE, key_func=_this_customer)
def ticket_reply(ticket_id: int):
    ticket = support.customer_ticket(ticket_id, current_user.id)
    form = ReplyForm()
    if form.validate():
        try:
            support.customer_reply(ticket.id, current_user.id, form.body.data)
        except DomainError as exc:
            if exc.status == 404:
                raise
            put_error(form, exc, "body")
        else:
            flash(_("Your message is sent. We will reply here and by email."))
            return redirect_to(url_for("support.ticket_detail", ticket_id=ticket.id)
                               + "#latest")
    return _detail_page(support.customer_ticket(ticket_id, current_user.id), form,
                        status=422)
