"""The shopper's plan pages: /plans compares the plans on sale; /account/plan shows the
customer's subscription, what it gives, what is due, and lets them pay, change or cancel it
in one click."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.accounts import addresses
from app.errors import DomainError
from app.i18n import current_language
from app.payments import checkout_flow
from app.plans import payhere_flow, services as plans
from app.plans.labels import PAYMENT_LABELS, STATE_LABELS
from app.web import redirect_to, render

bp = Blueprint("plans", __name__)

def _customer_fields() -> dict[str, str]:
    """PayHere asks for the payer's address and city: their first saved address, or the
    city alone (Colombo) when they have none."""
    first, last = checkout_flow.split_name(current_user.name or "")
    saved = next(iter(addresses.list_addresses(current_user.id)), None)
    return {"first_name": first, "last_name": last or first, "email": current_user.email or "",
            "phone": current_user.phone or "",
            "address": saved.line1 if saved else "Colombo",
            "city": saved.city if saved else "Colombo"}


@bp.get("/plans")
def plan_list():
    mine = plans.live_subscription(current_user.id) if current_user.is_authenticated else None
    return render("plans/list.html", plans=plans.plans(), mine=mine,
                  payment_labels=PAYMENT_LABELS, locale=current_language(),
                  card_ok=checkout_flow.configured())


@bp.post("/plans/<code>/subscribe")
@login_required
def subscribe(code: str):
    method = request.form.get("payment_method", "")
    try:
        plans.subscribe(current_user.id, code, method)
    except DomainError as exc:
        if exc.status == 404:
            raise
        flash(str(exc.message), "error")
        return redirect_to(url_for("plans.plan_list"))
    return redirect_to(url_for("plans.my_plan"))


@bp.get("/account/plan")
@login_required
def my_plan():
    subscription = plans.live_subscription(current_user.id)
    invoice = plans.open_invoice(subscription.id) if subscription is not None else None
    form = None
    if invoice is not None and subscription.payment_method == "payhere" \
            and checkout_flow.configured():
        form = payhere_flow.hosted_form(invoice, _customer_fields())
    return render("plans/mine.html", subscription=subscription, invoice=invoice,
                  form=form, state_labels=STATE_LABELS, payment_labels=PAYMENT_LABELS,
                  others=plans.plans(), locale=current_language(),
                  bank_details=[item.strip() for item in (
                      current_app.config.get("SHOP_BANK_DETAILS") or "").split("|")
                      if item.strip()])


@bp.post("/account/plan/cancel")
@login_required
def cancel():
    try:
        subscription, _stopped = payhere_flow.cancel(current_user.id)
    except DomainError as exc:
        flash(str(exc.message), "error")
        return redirect_to(url_for("plans.my_plan"))
    if subscription.state == "cancelled":
        flash(_("Your plan is cancelled. Its benefits last until the end of the period you "
                "paid for; nothing more will be charged."))
    else:
        flash(_("Your plan is cancelled."))
    return redirect_to(url_for("plans.my_plan"))


@bp.post("/account/plan/change")
@login_required
def change():
    try:
        subscription = plans.change_plan(current_user.id, request.form.get("plan", ""))
    except DomainError as exc:
        flash(str(exc.message), "error")
    else:
        if subscription.next_plan_id:
            flash(_("Your new plan starts with your next period."))
        else:
            flash(_("You stay on your plan."))
    return redirect_to(url_for("plans.my_plan"))
