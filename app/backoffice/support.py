"""Support tickets in the back office (support agents and admins): the list with its status
filter and search by number or subject, and one ticket's page: the thread with staff notes,
the customer and their order, a reply (public, or an internal note), close and reopen. The
support services check MANAGE_SUPPORT again, apply the status rules, write the audit log and
queue the customer's mail; these views parse and render. The forms live here too: they are
the back office's alone."""

from __future__ import annotations

import math

from flask import flash, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from app.accounts import services as accounts
from app.backoffice import bp
from app.backoffice.guards import requires
from app.backoffice.orders import staff_names
from app.errors import DomainError, NotFound
from app.forms import Form
from app.orders import services as orders
from app.plans import services as plans
from app.security.roles import Permission, can
from app.support import services as support
from app.support.models import MAX_BODY, MAX_SUBJECT
from app.web import redirect_to, render

PER_PAGE = 50


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class TicketFilterForm(Form):
    """Read from the query string (GET), so no CSRF token."""

    class Meta:
        csrf = False

    q = StringField(_l("Number or subject"), filters=[_strip],
                    validators=[Optional(), Length(max=MAX_SUBJECT)],
                    render_kw={"placeholder": _l("#42, or words from the subject"),
                               "spellcheck": "false"})
    status = SelectField(_l("Status"), validators=[Optional()], choices=[
        SelectChoice("", _l("Any status")),
        *(SelectChoice(code, label) for code, label in support.STATUS_LABELS.items())])

    def to_filter(self) -> support.TicketFilter:
        return support.TicketFilter(status=self.status.data or None, query=self.q.data or None)


class StaffReplyForm(Form):
    body = TextAreaField(_l("Message"), filters=[_strip], render_kw={"rows": 6}, validators=[
        DataRequired(_l("Write your message.")),
        Length(max=MAX_BODY, message=_l("Keep the message to %(max)d characters or fewer."))])
    note = BooleanField(_l("Internal note: only staff see it, the customer is not told"))


class TicketActionForm(Form):
    """Close or reopen: only the CSRF token."""


def actor():
    return current_user._get_current_object()


@bp.context_processor
def _support_labels():
    return {"support_status_labels": support.STATUS_LABELS}


# ---- the list ----------------------------------------------------------------------------------

@bp.get("/support")
@requires(Permission.MANAGE_SUPPORT)
def support_list():
    form = TicketFilterForm(request.args)
    filter_args = {k: v for k, v in request.args.items() if k != "page" and v}
    result, status = None, 200
    if form.validate():
        page = max(1, min(request.args.get("page", 1, type=int), support.MAX_PAGE))
        items, total = support.staff_tickets(form.to_filter(), page=page, per_page=PER_PAGE,
                                             actor=actor())
        # Members whose plan gives priority support go first on the page, with a badge.
        priority = plans.priority_customers(t.user_id for t in items)
        items = sorted(items, key=lambda t: t.user_id not in priority)
        result = {"items": items, "total": total, "page": page,
                  "pages": max(1, math.ceil(total / PER_PAGE)), "priority": priority,
                  "customers": _customer_names(t.user_id for t in items
                                               if t.user_id is not None)}
    else:
        status = 422
    return render("staff/support/list.html", "staff/support/_results.html", form=form,
                  result=result, filter_args=filter_args, status=status)


def _customer_names(ids) -> dict[int, str]:
    names = {}
    for user_id in set(ids):
        try:
            user = accounts.get_user(user_id)
        except NotFound:
            names[user_id] = _("Erased account")
        else:
            names[user_id] = user.name or _("Customer #%(id)d", id=user_id)
    return names


# ---- one ticket --------------------------------------------------------------------------------

def _detail_page(ticket, *, reply_form=None, status: int = 200):
    customer = guest = None
    if ticket.user_id is None:  # a guest's question from their order's page
        guest = orders.find_by_number(ticket.order_number or "")
    else:
        try:
            customer = accounts.get_user(ticket.user_id)
        except NotFound:
            customer = None
    authors = staff_names(m.author_id for m in ticket.messages if m.author_kind == "staff")
    return render(
        "staff/support/detail.html", status=status, ticket=ticket, customer=customer,
        guest=guest,
        authors=authors, reply_form=reply_form or StaffReplyForm(formdata=None),
        action_form=TicketActionForm(formdata=None),
        can_see_orders=can(current_user.role, Permission.MANAGE_ORDERS))


def _back(ticket_id: int, anchor: str = ""):
    return redirect_to(url_for("staff.support_detail", ticket_id=ticket_id) + anchor)


@bp.get("/support/<int:ticket_id>")
@requires(Permission.MANAGE_SUPPORT)
def support_detail(ticket_id: int):
    return _detail_page(support.staff_ticket(ticket_id, actor=actor()))


@bp.post("/support/<int:ticket_id>/reply")
@requires(Permission.MANAGE_SUPPORT)
def support_reply(ticket_id: int):
    ticket = support.staff_ticket(ticket_id, actor=actor())
    form = StaffReplyForm()
    code = 422
    if form.validate():
        try:
            support.staff_reply(ticket.id, form.body.data, note=form.note.data, actor=actor())
        except DomainError as exc:
            if exc.status in (403, 404):
                raise
            form.body.errors = [*form.body.errors, str(exc.message)]
        else:
            sent = _("Reply sent. The customer is told by email and, where they take texts, "
                     "by SMS.")
            flash(_("Note added.") if form.note.data else sent)
            return _back(ticket.id, "#latest")
    return _detail_page(support.staff_ticket(ticket_id, actor=actor()), reply_form=form,
                        status=code)


def _change(ticket_id: int, change, done_message: str):
    form = TicketActionForm()
    if form.validate():
        try:
            change(ticket_id, actor=actor())
        except DomainError as exc:
            if exc.status in (403, 404):
                raise
            flash(str(exc.message), "error")
        else:
            flash(done_message)
    return _back(ticket_id)


@bp.post("/support/<int:ticket_id>/close")
@requires(Permission.MANAGE_SUPPORT)
def support_close(ticket_id: int):
    return _change(ticket_id, support.close, _("Ticket closed."))


@bp.post("/support/<int:ticket_id>/reopen")
@requires(Permission.MANAGE_SUPPORT)
def support_reopen(ticket_id: int):
    return _change(ticket_id, support.reopen, _("Ticket reopened."))
