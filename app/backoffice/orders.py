"""Orders in the back office (order managers and admins): the list with its filters and CSV
export, and one order's page: its lines, timeline, status changes, shipments, notes and
documents. The order services check MANAGE_ORDERS again, move the order on, write the
timeline and the audit entries and queue the customer's mail; these views parse and render."""

from __future__ import annotations

import math

from flask import Response, flash, request, url_for
from flask_babel import gettext as _, ngettext
from flask_login import current_user

from app import csv_export
from app.accounts import services as accounts
from app.backoffice import bp
from app.backoffice.guards import requires
from app.backoffice.orders_forms import (
    FulfilForm,
    NoteForm,
    OrderFilterForm,
    ResendLinkForm,
    StatusForm,
    order_payment_label,
    payment_label,
)
from app.catalog.inputs import rupees
from app.errors import DomainError, NotFound
from app.i18n import local_time
from app.orders import services as orders
from app.payments import checkout_flow, links as payment_links
from app.promotions import vouchers
from app.security.roles import Permission, can
from app.web import csv_download, redirect_to, render

PER_PAGE = 50
MAX_PAGE = 100_000
CSV_COLUMNS = ("number", "placed_at", "status", "payment_method", "payment_status",
               "district", "delivery", "subtotal", "discount", "delivery_fee", "total",
               "item_count", "customer_email", "channel")


def actor():
    return current_user._get_current_object()


def staff_names(ids) -> dict[int, str]:
    """Names of the people behind actor ids (timeline, stock movements), for staff eyes."""
    names = {}
    for user_id in {i for i in ids if i}:
        try:
            user = accounts.get_user(user_id)
        except NotFound:
            names[user_id] = _("Former user #%(id)d", id=user_id)
        else:
            names[user_id] = user.name or user.email or f"#{user_id}"
    return names


@bp.context_processor
def _order_labels():
    return {"order_status_labels": orders.STATUS_LABELS, "payment_label": payment_label,
            "order_channel_labels": orders.CHANNEL_LABELS,
            "order_payment_label": order_payment_label}


# ---- the list ----------------------------------------------------------------------------------

def _filter_args() -> dict[str, str]:
    return {k: v for k, v in request.args.items() if k != "page" and v}


@bp.get("/orders")
@requires(Permission.MANAGE_ORDERS)
def order_list():
    form = OrderFilterForm(request.args)
    result, status = None, 200
    if form.validate():
        page = min(max(request.args.get("page", 1, type=int), 1), MAX_PAGE)
        items, total = orders.staff_orders(form.to_filter(), page=page, per_page=PER_PAGE,
                                           actor=actor())
        result = {"items": items, "total": total, "page": page,
                  "pages": max(1, math.ceil(total / PER_PAGE)),
                  "services_only": orders.services_only_ids([o.id for o in items])}
    else:
        status = 422
    return render("staff/orders/list.html", "staff/orders/_results.html", form=form,
                  result=result, filter_args=_filter_args(), status=status)


def _csv_rows(filters):
    for order in orders.staff_orders_all(filters, actor=actor()):
        yield (order.number, order.placed_at.isoformat(), order.status, order.payment_method,
               order.payment_status, order.district, order.delivery_code,
               rupees(order.subtotal_cents), rupees(order.discount_cents),
               rupees(order.delivery_fee_cents), rupees(order.total_cents),
               sum(line.quantity for line in order.lines), order.contact_email, order.channel)


@bp.get("/orders.csv")
@requires(Permission.MANAGE_ORDERS)
def order_export():
    form = OrderFilterForm(request.args)
    if not form.validate():
        return order_list()  # the list page says what is wrong with the filters
    return csv_download(csv_export.stream(CSV_COLUMNS, _csv_rows(form.to_filter())),
                        "kade-orders")


# ---- one order ---------------------------------------------------------------------------------

def _timeline(order) -> list[dict]:
    names = staff_names(e.actor_id for e in order.events if e.actor_kind == "staff")
    who = {"customer": _("Customer"), "guest": _("Guest"), "system": _("System")}
    rows = []
    for event in order.events:
        if event.actor_kind == "staff" and event.actor_id:
            by = names.get(event.actor_id, _("Staff"))
        else:
            by = who.get(event.actor_kind, event.actor_kind)
        rows.append({"event": event, "by": by})
    return rows


def _to_send(order) -> list:
    """Product lines with units still to send, when the order may be shipped at all."""
    if order.status not in orders.UNSENT_STATUSES:
        return []
    return [line for line in order.lines
            if line.kind == "product" and line.fulfilled_quantity < line.quantity]


# Refunded orders (whole or in part) are those whose promotions' uses staff may give back.
GIVE_BACK_STATUSES = orders.REFUND_STATUSES


def _detail_page(order, *, status: int = 200, status_form=None, fulfil_form=None,
                 note_form=None, sending=None):
    redemptions = vouchers.redemptions_of(order.number)
    return render(
        "staff/orders/detail.html", order=order, timeline=_timeline(order),
        redemptions=redemptions,
        can_see_promotions=can(current_user.role, Permission.MANAGE_PROMOTIONS),
        can_give_back=order.status in GIVE_BACK_STATUSES
        and any(r.released_at is None for r in redemptions),
        status_form=status_form or StatusForm(formdata=None, order=order),
        fulfil_form=fulfil_form or FulfilForm(formdata=None),
        note_form=note_form or NoteForm(formdata=None), to_send=_to_send(order),
        sending=sending or {}, status=status,
        can_send_payment_link=order.status == "pending_payment"
        and order.payment_method == checkout_flow.METHOD)


def _refused(form, field: str, exc: DomainError):
    """A rule the service refused, shown on the form that asked (a missing order is 404)."""
    if exc.status in (403, 404):
        raise exc
    form[field].errors = [*form[field].errors, str(exc.message)]
    return exc.status if exc.status in (409, 422) else 422


@bp.get("/orders/<number>")
@requires(Permission.MANAGE_ORDERS)
def order_detail(number: str):
    return _detail_page(orders.staff_order(number, actor=actor()))


@bp.post("/orders/<number>/status")
@requires(Permission.MANAGE_ORDERS)
def order_status(number: str):
    order = orders.staff_order(number, actor=actor())
    form = StatusForm(order=order)
    code = 422
    if form.validate():
        try:
            orders.change_status(order.number, form.status.data, note=form.note.data,
                                 actor=actor())
        except DomainError as exc:
            code = _refused(form, "status", exc)
        else:
            flash(_("The order is now %(status)s.",
                    status=orders.STATUS_LABELS[form.status.data]))
            return redirect_to(url_for("staff.order_detail", number=order.number))
    order = orders.staff_order(number, actor=actor())  # as it is now, after a refusal
    return _detail_page(order, status_form=form, status=code)


@bp.post("/orders/<number>/fulfil")
@requires(Permission.MANAGE_ORDERS)
def order_fulfil(number: str):
    order = orders.staff_order(number, actor=actor())
    form = FulfilForm()
    code, sending = 422, {}
    if form.validate():
        try:
            sending = form.quantities(request.form)
        except ValueError:
            form.problems.append(_("Enter the units to send as whole numbers."))
        else:
            try:
                orders.fulfil(order.number, sending, note=form.note.data, actor=actor())
            except DomainError as exc:
                if exc.status in (403, 404):
                    raise
                form.problems.append(str(exc.message))
                code = exc.status if exc.status == 409 else 422
            else:
                flash(_("Shipment recorded."))
                return redirect_to(url_for("staff.order_detail", number=order.number))
    order = orders.staff_order(number, actor=actor())
    return _detail_page(order, fulfil_form=form, sending=sending, status=code)


@bp.post("/orders/<number>/notes")
@requires(Permission.MANAGE_ORDERS)
def order_note(number: str):
    order = orders.staff_order(number, actor=actor())
    form = NoteForm()
    code = 422
    if form.validate():
        try:
            orders.add_note(order.number, form.note.data, public=form.public.data,
                            actor=actor())
        except DomainError as exc:
            code = _refused(form, "note", exc)
        else:
            flash(_("Note added."))
            return redirect_to(url_for("staff.order_detail", number=order.number)
                               + "#timeline")
    return _detail_page(order, note_form=form, status=code)


@bp.post("/orders/<number>/link")
@requires(Permission.MANAGE_ORDERS)
def order_resend_link(number: str):
    order = orders.staff_order(number, actor=actor())
    form = ResendLinkForm()
    if form.validate():
        try:
            orders.staff_resend_link(order.number, actor=actor())
        except DomainError as exc:
            if exc.status in (403, 404):
                raise
            flash(str(exc.message), "error")
        else:
            flash(_("A new link is on its way to the customer; older links no longer work."))
    return redirect_to(url_for("staff.order_detail", number=order.number))


@bp.post("/orders/<number>/payment-link")
@requires(Permission.MANAGE_ORDERS)
def order_payment_link(number: str):
    """Send the customer a link that opens PayHere's checkout for this order on their own
    phone (a phone order paid by link, or a web order whose payment did not go through)."""
    order = orders.staff_order(number, actor=actor())
    form = ResendLinkForm()  # nothing but the CSRF token
    if form.validate():
        try:
            sent = payment_links.send_payment_link(order.number, actor=actor())
        except DomainError as exc:
            if exc.status in (403, 404):
                raise
            flash(str(exc.message), "error")
        else:
            flash(_("Payment link sent by %(channels)s; it works until %(when)s.",
                    channels=_channels_text(sent.channels),
                    when=local_time(sent.expires_at)))
    return redirect_to(url_for("staff.order_detail", number=order.number))


def _channels_text(channels: tuple[str, ...]) -> str:
    if len(channels) == 2:
        return _("email and SMS")
    return _("email") if channels == ("email",) else _("SMS")


@bp.post("/orders/<number>/promotions/give-back")
@requires(Permission.MANAGE_ORDERS)
def order_give_back(number: str):
    """A refunded order's promotion uses go back to the promotions (codes may be used
    again); a cancelled order's go back by themselves."""
    order = orders.staff_order(number, actor=actor())
    form = ResendLinkForm()  # nothing but the CSRF token
    if form.validate() and order.status in GIVE_BACK_STATUSES:
        count = vouchers.give_back(order.number, actor=actor())
        flash(ngettext("The use of %(num)d promotion is given back.",
                       "The uses of %(num)d promotions are given back.", count)
              if count else _("Nothing to give back."))
    else:
        flash(_("Only a refunded order's promotions can be given back."), "error")
    return redirect_to(url_for("staff.order_detail", number=order.number))


def _pdf(data: bytes, name: str) -> Response:
    return Response(data, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{name}"'})


@bp.get("/orders/<number>/packing-slip.pdf")
@requires(Permission.MANAGE_ORDERS)
def order_packing_slip(number: str):
    from app.orders import documents

    order = orders.staff_order(number, actor=actor())
    return _pdf(documents.packing_slip_pdf(order), f"{order.number}-packing-slip.pdf")


@bp.get("/orders/<number>/invoice.pdf")
@requires(Permission.MANAGE_ORDERS)
def order_invoice(number: str):
    from app.orders import documents

    order = orders.staff_order(number, actor=actor())
    return _pdf(documents.invoice_pdf(order), f"{order.number}-invoice.pdf")
