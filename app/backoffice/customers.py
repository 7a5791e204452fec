"""Customers in the back office: find one by email or mobile number, see their store credit
and its ledger, give goodwill credit, correct a wallet. Every change needs its permission
and a reason, and is audited (app.wallet.services)."""

from __future__ import annotations

import secrets

from flask import flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts import services as accounts
from app.backoffice import bp
from app.backoffice.customers_forms import (
    AdjustmentForm,
    FindCustomerForm,
    GoodwillForm,
    PointsAdjustmentForm,
)
from app.backoffice.guards import requires
from app.backoffice.orders import staff_names
from app.errors import DomainError, Invalid
from app.i18n import format_lkr
from app.plans import services as plans
from app.security.roles import Permission, can
from app.wallet import points as loyalty, services as wallet
from app.wallet.labels import KIND_LABELS
from app.web import put_error, redirect_to, render


def actor():
    return current_user._get_current_object()


@bp.get("/customers")
@requires(Permission.GIVE_CREDIT)
def customer_list():
    form = FindCustomerForm(request.args)
    found, status = None, 200
    if request.args.get("q") is not None:
        if form.validate():
            try:
                found = accounts.customers_matching(form.q.data, actor=actor())
            except Invalid as exc:
                put_error(form, exc, "q")
                status = 422
        else:
            status = 422
    return render("staff/customers/list.html", form=form, found=found, status=status)


def new_request_key() -> str:
    """For a credit form: the same form posted twice gives once."""
    return secrets.token_urlsafe(24)


def _page(customer, *, goodwill=None, adjustment=None, points_form=None, status: int = 200):
    entries = wallet.history(customer.id)
    points_entries = wallet.history(customer.id, loyalty.UNIT)
    adjusts = can(current_user.role, Permission.ADJUST_WALLETS)
    held, lapsing = wallet.summary(customer.id)
    return render(
        "staff/customers/detail.html", status=status, customer=customer,
        balance=held, expiring=lapsing,
        entries=entries, labels=KIND_LABELS,
        people=staff_names([e.actor_id for e in entries + points_entries]),
        points=loyalty.balance(customer.id), points_entries=points_entries,
        plan=plans.live_subscription(customer.id),
        points_form=(points_form or PointsAdjustmentForm(
            formdata=None, prefix=PointsAdjustmentForm.PREFIX, request_key=new_request_key())
            if adjusts else None),
        goodwill=goodwill or GoodwillForm(formdata=None, prefix=GoodwillForm.PREFIX,
                                          request_key=new_request_key()),
        adjustment=(adjustment or AdjustmentForm(formdata=None, prefix=AdjustmentForm.PREFIX,
                                                 request_key=new_request_key())
                    if adjusts else None))


@bp.get("/customers/<int:customer_id>")
@requires(Permission.GIVE_CREDIT)
def customer_detail(customer_id: int):
    return _page(accounts.customer_for_staff(customer_id, actor=actor()))


def _posted(customer, form, change, anchor: str, form_name: str):
    """Run `change(form)` for a posted wallet form (it returns what to tell staff): back to
    the customer's page at `anchor`, or the page again with the problem on its field."""
    if form.validate():
        try:
            done = change(form)
        except DomainError as exc:
            if exc.status == 403:
                raise
            if exc.field == "expires_at":
                exc.field = "expires_on"  # the form asks for a day
            put_error(form, exc, "amount")
        else:
            flash(done)
            return redirect_to(url_for("staff.customer_detail", customer_id=customer.id)
                               + anchor)
    return _page(customer, status=422, **{form_name: form})


@bp.post("/customers/<int:customer_id>/credit")
@requires(Permission.GIVE_CREDIT)
def customer_credit(customer_id: int):
    customer = accounts.customer_for_staff(customer_id, actor=actor())
    form = GoodwillForm(prefix=GoodwillForm.PREFIX)

    def give(form):
        entry = wallet.give_goodwill(customer.id, form.amount.cents, form.reason.data,
                                     actor=actor(), expires_at=form.expires_at,
                                     request_key=form.request_key.data or None)
        return _("%(amount)s of store credit given to %(name)s.",
                 amount=format_lkr(entry.amount), name=customer.name)

    return _posted(customer, form, give, "#credit-history", "goodwill")


@bp.post("/customers/<int:customer_id>/adjust")
@requires(Permission.ADJUST_WALLETS)
def customer_adjust(customer_id: int):
    customer = accounts.customer_for_staff(customer_id, actor=actor())
    form = AdjustmentForm(prefix=AdjustmentForm.PREFIX)

    def correct(form):
        wallet.adjust(customer.id, form.amount.cents, form.reason.data, actor=actor(),
                      request_key=form.request_key.data or None)
        return _("The store credit of %(name)s is corrected.", name=customer.name)

    return _posted(customer, form, correct, "#credit-history", "adjustment")


@bp.post("/customers/<int:customer_id>/adjust-points")
@requires(Permission.ADJUST_WALLETS)
def customer_adjust_points(customer_id: int):
    customer = accounts.customer_for_staff(customer_id, actor=actor())
    form = PointsAdjustmentForm(prefix=PointsAdjustmentForm.PREFIX)

    def correct(form):
        if form.points is None:
            raise Invalid(_("Enter a whole number of points, with a minus to take points "
                            "off."), field="amount")
        wallet.adjust(customer.id, form.points, form.reason.data, actor=actor(),
                      request_key=form.request_key.data or None, unit=loyalty.UNIT)
        return _("The points of %(name)s are corrected.", name=customer.name)

    return _posted(customer, form, correct, "#points-history", "points_form")
