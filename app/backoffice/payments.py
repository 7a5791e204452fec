"""Payments in the back office (order managers and admins): the ledger with its filters, one
payment with its event history, cash collected, transfer slips to verify or reject, refunds
(whole or in part, items back to stock or not) and the cash-on-delivery limits. The payment
services check MANAGE_PAYMENTS again, write the ledger, move the order, audit and tell the
customer; these views parse and render."""

from __future__ import annotations

import json
import math

from flask import flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts import districts
from app.backoffice import bp
from app.backoffice.guards import requires
from app.backoffice.orders import staff_names
from app.backoffice.payments_forms import (
    EVENT_LABELS,
    PAYMENT_STATUS_LABELS,
    CodLimitsForm,
    CollectedForm,
    PaymentFilterForm,
    RefundForm,
    RejectSlipForm,
)
from app.catalog.inputs import rupees
from app.errors import DomainError, NotFound
from app.i18n import current_language, format_lkr
from app.orders import services as orders
from app.payments import refunds, services as payments, settings, slips, staff as ledger
from app.payments.methods import METHODS, PREPAID
from app.security.roles import Permission, Role
from app.web import private_file, redirect_to, render

MAX_PAGE = 100_000
# Fields of a gateway's payload that name a person: shown masked even to admins.
MASKED_FIELDS = ("card_holder_name", "customer_name", "first_name", "last_name", "email",
                 "phone")


def actor():
    return current_user._get_current_object()


def money(cents: int) -> str:
    """Cents with the currency, in the reader's language, as the `money` filter shows it."""
    return format_lkr(cents, current_language())


@bp.context_processor
def _payment_labels():
    return {"payment_status_labels": PAYMENT_STATUS_LABELS, "payment_event_labels": EVENT_LABELS,
            "payment_method_labels": {m.code: m.label
                                      for m in (*METHODS.values(), *PREPAID.values())},
            "refund_state_labels": refunds.STATE_LABELS,
            "slip_status_labels": slips.STATUS_LABELS}


def mask(value: str) -> str:
    """"SARAH FERNANDO" -> "S**** F*******": enough to match a call, not to copy."""
    return " ".join(word[:1] + "*" * (len(word) - 1) for word in str(value).split())


def readable_payload(raw: str | None) -> str | None:
    """The gateway's payload, pretty, with people's names masked."""
    if not raw:
        return None
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    if isinstance(data, dict):
        data = {key: mask(value) if key in MASKED_FIELDS and value else value
                for key, value in data.items()}
    return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True)


# ---- the list ----------------------------------------------------------------------------------

def _filter_args() -> dict[str, str]:
    return {k: v for k, v in request.args.items() if k != "page" and v}


@bp.get("/payments")
@requires(Permission.MANAGE_PAYMENTS)
def payment_list():
    form = PaymentFilterForm(request.args)
    result, status = None, 200
    if form.validate():
        page = min(max(request.args.get("page", 1, type=int), 1), MAX_PAGE)
        filters = ledger.PaymentFilter(
            method=form.method.data or None, status=form.status.data or None,
            flagged_only=bool(form.flagged.data), slips_waiting=bool(form.slips.data),
            created_from=form.created_from.data, created_to=form.created_to.data,
            number=form.number.data or None)
        items, total = ledger.staff_payments(filters, page=page, per_page=ledger.PER_PAGE,
                                             actor=actor())
        result = {"items": items, "total": total, "page": page,
                  "pages": max(1, math.ceil(total / ledger.PER_PAGE)),
                  "waiting": ledger.waiting_slip_counts([p.id for p in items]),
                  "bookings": orders.services_only_numbers(
                      {p.order_number for p in items if p.method == "cod"})}
    else:
        status = 422
    return render("staff/payments/list.html", "staff/payments/_results.html", form=form,
                  result=result, filter_args=_filter_args(), status=status)


# ---- one payment -------------------------------------------------------------------------------

def _history(payment) -> list[dict]:
    names = staff_names(e.actor_id for e in payment.events)
    is_admin = current_user.role == Role.ADMIN
    rows = []
    for event in payment.events:
        if event.actor_id:
            by = names.get(event.actor_id, _("Staff"))
        elif event.raw:
            by = "PayHere"
        else:
            by = _("System")
        rows.append({"event": event, "by": by,
                     "payload": readable_payload(event.raw) if is_admin else None})
    return rows


def quick_amounts(lines, left: int) -> list[dict]:
    """One-tap starting points for the refund form: each line with units still to refund,
    at what was paid for those units (its total after its own discounts and its share of
    the order's, in proportion), and
    everything left. None of them refunds anything: the form still asks to confirm."""
    choices = []
    paid = lines[0].line.order.paid_for_lines() if lines else {}
    for entry in lines:
        line = entry.line
        if entry.units_left <= 0:
            continue
        cents = min(left, paid[line.id] * entry.units_left // line.quantity)
        if cents > 0:
            choices.append({"key": f"line-{line.id}", "line": line, "units": entry.units_left,
                            "cents": cents})
    if left > 0:
        choices.append({"key": "all", "line": None, "units": None, "cents": left})
    return choices


def _detail_page(payment, *, status: int = 200, collected_form=None, refund_form=None,
                 reject_forms=None, refund_units=None):
    order = orders.find_by_number(payment.order_number)
    # Over all the order's payments: a refund is shared with its store credit and points.
    left = refunds.left_on_order(payment.order_number) if payment.captured_cents else 0
    lines = refunds.lines_left(order) if order is not None else []
    refund_list = refunds.refunds_of(payment.order_number)
    slip_list = slips.slips_for(payment.order_number) if payment.method == "bank_transfer" else []
    people = staff_names([r.actor_id for r in refund_list] + [r.settled_by for r in refund_list]
                         + [s.reviewed_by for s in slip_list])
    quick = quick_amounts(lines, left)
    chosen = request.args.get("fill", "") if request.method == "GET" else ""
    if refund_form is None:
        # The form starts empty: a refund is a choice, never what the page suggests. A quick
        # choice (a link, so it works without JavaScript) fills it with one line's value.
        picked = next((q for q in quick if q["key"] == chosen), None)
        refund_form = RefundForm(formdata=None, amount=rupees(picked["cents"]) if picked else "",
                                 request_key=refunds.new_request_key())
        if picked and picked["line"] is not None:
            refund_units = {f"units-{picked['line'].id}": str(picked["units"])}
    return render(
        "staff/payments/detail.html", status=status, payment=payment, order=order,
        history=_history(payment), left=left, lines=lines, refunds=refund_list,
        slips=slip_list, people=people, quick_amounts=quick, quick_chosen=chosen,
        line_names={entry.line.id: entry.line.name_en for entry in lines},
        can_collect=(payment.method in payments.RECEIVED_BY_HAND
                     and payment.status not in payments.FINAL),
        can_refund=left > 0 and payment.status != "charged_back",
        collected_form=_collected_form(payment, collected_form),
        refund_form=refund_form, reject_forms=reject_forms or {},
        reject_form=RejectSlipForm(formdata=None), refund_units=refund_units or {},
        other_payments=[p for p in ledger.payments_of(payment.order_number, actor=actor())
                        if p.id != payment.id])


def _collected_form(payment, form=None) -> CollectedForm:
    """The form staff record money received with: cash at the door, or a bank transfer."""
    form = form or CollectedForm(formdata=None, amount=rupees(payment.amount_cents))
    if payment.method != "cod":
        form.amount.label.text = _("Transfer received (rupees)")
    return form


def _back(payment, anchor: str = ""):
    return redirect_to(url_for("staff.payment_detail", payment_id=payment.id) + anchor)


@bp.get("/payments/<int:payment_id>")
@requires(Permission.MANAGE_PAYMENTS)
def payment_detail(payment_id: int):
    return _detail_page(ledger.staff_payment(payment_id, actor=actor()))


@bp.get("/payments/order/<number>")
@requires(Permission.MANAGE_PAYMENTS)
def payment_for_order(number: str):
    """From an order's page: its payment (the newest, should there be two)."""
    found = ledger.payments_of(number, actor=actor())
    if not found:
        raise NotFound()
    return redirect_to(url_for("staff.payment_detail", payment_id=found[-1].id))


def _refused(exc: DomainError) -> int:
    if exc.status in (403, 404):
        raise exc
    # PayHere saying no (502 in the service) is shown on the form like any refusal.
    return exc.status if exc.status in (409, 422) else 409


@bp.post("/payments/<int:payment_id>/collected")
@requires(Permission.MANAGE_PAYMENTS)
def payment_collected(payment_id: int):
    payment = ledger.staff_payment(payment_id, actor=actor())
    form = CollectedForm()
    code = 422
    if form.validate():
        try:
            payments.mark_collected(payment.order_number, form.amount.cents, actor=actor())
        except DomainError as exc:
            code = _refused(exc)
            if exc.field == "amount" and exc.message == exc.default_message:
                form.amount.errors = [
                    _("Enter the order's total, %(amount)s: that is what the customer pays "
                      "at the door.", amount=money(payment.amount_cents))
                    if payment.method == "cod" else
                    _("Enter the order's total, %(amount)s: record a transfer when all of it "
                      "is in the shop's account.", amount=money(payment.amount_cents))]
            else:
                form.amount.errors = [str(exc.message)]
        else:
            flash(_("Cash collected: order %(number)s is paid.", number=payment.order_number)
                  if payment.method == "cod" else
                  _("Transfer received: order %(number)s is paid.", number=payment.order_number))
            return _back(payment)
    return _detail_page(ledger.staff_payment(payment_id, actor=actor()), status=code,
                        collected_form=form)


def _refund_errors(form, exc: DomainError) -> int:
    code = _refused(exc)
    if exc.field == "amount":
        form.amount.errors = [*form.amount.errors, str(exc.message)]
    elif exc.field == "reason":
        form.reason.errors = [*form.reason.errors, str(exc.message)]
    else:
        form.problems.append(str(exc.message))
    return code


@bp.post("/payments/<int:payment_id>/refund")
@requires(Permission.MANAGE_PAYMENTS)
def payment_refund(payment_id: int):
    """Two steps. The form posts here and gets back what would be refunded, to whom and
    why, with every value in hidden fields; only that page's "Confirm" (`confirm=yes`)
    refunds, after checking everything again (another refund may have come first). "Change"
    (`edit`) brings the form back filled in. The request key makes a confirmation posted
    twice one refund."""
    payment = ledger.staff_payment(payment_id, actor=actor())
    form = RefundForm()
    code, chosen = 422, {}
    if "edit" in request.form:
        form.validate()  # to show the values back, with any problem they have
        return _detail_page(payment, status=200, refund_form=form, refund_units=request.form)
    if form.validate():
        try:
            chosen = form.units(request.form)
        except ValueError:
            form.problems.append(_("Enter the units of each item as whole numbers."))
        else:
            values = {"lines": chosen, "restock": bool(form.restock.data),
                      "reason": form.reason.data, "as_credit": bool(form.as_credit.data),
                      "actor": actor()}
            confirming = request.form.get("confirm") == "yes"
            earlier = refunds.made_for_request(payment.order_number, form.request_key.data)
            if confirming and earlier is not None:
                flash(_("This refund of %(amount)s was already made; nothing more was "
                        "refunded.", amount=money(earlier.amount_cents)))
                return _back(payment, "#refunds")
            try:
                if not confirming:
                    plan = refunds.preview(payment.order_number, form.amount.cents, **values)
                    return render("staff/payments/refund_confirm.html", payment=payment,
                                  plan=plan, form=form, units=chosen)
                refund = refunds.refund(payment.order_number, form.amount.cents, **values,
                                        request_key=form.request_key.data or None)
            except DomainError as exc:
                code = _refund_errors(form, exc)
            else:
                if refund.state == "credited":
                    flash(_("%(amount)s is in the customer's store credit.",
                            amount=money(refund.amount_cents)))
                elif refund.state == "to_pay_back":
                    flash(_("Refund of %(amount)s recorded. Pay it back to the customer by "
                            "hand, then mark it paid back.", amount=money(refund.amount_cents)))
                else:
                    flash(_("PayHere refunded %(amount)s.", amount=money(refund.amount_cents)))
                return _back(payment, "#refunds")
    return _detail_page(ledger.staff_payment(payment_id, actor=actor()), status=code,
                        refund_form=form, refund_units=request.form)


@bp.post("/payments/refunds/<int:refund_id>/paid-back")
@requires(Permission.MANAGE_PAYMENTS)
def refund_paid_back(refund_id: int):
    refund = refunds.mark_paid_back(refund_id, actor=actor())
    flash(_("Marked as paid back."))
    return redirect_to(url_for("staff.payment_detail", payment_id=refund.payment_id)
                       + "#refunds")


@bp.get("/payments/slips/<int:slip_id>/file")
@requires(Permission.MANAGE_PAYMENTS)
def payment_slip_file(slip_id: int):
    slip = slips.staff_slip(slip_id, actor=actor())
    return private_file(slips.slip_file(slip), slip.content_type, slips.slip_filename(slip))


@bp.post("/payments/slips/<int:slip_id>/verify")
@requires(Permission.MANAGE_PAYMENTS)
def payment_slip_verify(slip_id: int):
    slip = slips.staff_slip(slip_id, actor=actor())
    payment = ledger.staff_payment(slip.payment_id, actor=actor())
    try:
        slips.verify_slip(slip.id, actor=actor())
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        flash(str(exc.message), "error")
    else:
        flash(_("Transfer received: order %(number)s is paid.", number=slip.order_number))
    return _back(payment, "#slips")


@bp.post("/payments/slips/<int:slip_id>/reject")
@requires(Permission.MANAGE_PAYMENTS)
def payment_slip_reject(slip_id: int):
    slip = slips.staff_slip(slip_id, actor=actor())
    form = RejectSlipForm()
    code = 422
    if form.validate():
        try:
            slips.reject_slip(slip.id, form.reason.data, actor=actor())
        except DomainError as exc:
            code = _refused(exc)
            form.reason.errors = [*form.reason.errors, str(exc.message)]
        else:
            flash(_("Slip rejected; the customer has been told why."))
            return _back(ledger.staff_payment(slip.payment_id, actor=actor()), "#slips")
    return _detail_page(ledger.staff_payment(slip.payment_id, actor=actor()), status=code,
                        reject_forms={slip.id: form})


# ---- cash on delivery limits -------------------------------------------------------------------

@bp.route("/payments/settings", methods=["GET", "POST"])
@requires(Permission.MANAGE_PAYMENTS)
def payment_settings():
    limits = settings.cod_limits()
    if request.method == "POST":
        form = CodLimitsForm()
        if form.validate():
            try:
                settings.save_cod_limits(form.cod_max.cents if form.cod_max.data else None,
                                         list(form.cod_districts.data or []), actor=actor())
            except DomainError as exc:
                if exc.status in (403, 404):
                    raise
                target = form.cod_districts if exc.field == "cod_districts" else form.cod_max
                target.errors = [*target.errors, str(exc.message)]
            else:
                flash(_("Cash on delivery limits saved."))
                return redirect_to(url_for("staff.payment_settings"))
        return render("staff/payments/settings.html", form=form, limits=limits, status=422)
    form = CodLimitsForm(formdata=None, cod_max=rupees(limits.max_cents),
                         cod_districts=sorted(limits.districts) if limits.districts is not None
                         else [code for code, _name in districts.choices()])
    return render("staff/payments/settings.html", form=form, limits=limits)
