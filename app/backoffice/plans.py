"""Plans in the back office: the plans (create, edit, retire), the subscription business at a
glance (monthly recurring revenue, members by state, churn, failed payments), the
subscribers with their invoices (a transfer or cash marked paid here), and the loyalty
points scheme. Marketing and admins manage plans and points; marking an invoice paid needs
the payments permission."""

from __future__ import annotations

from flask import flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.backoffice import bp
from app.backoffice.guards import requires
from app.backoffice.plans_forms import PlanForm, PointsForm
from app.catalog.inputs import rupees
from app.digits import whole_number
from app.errors import DomainError
from app.i18n import current_language
from app.plans import admin as plan_admin, services as plans
from app.plans.labels import PAYMENT_LABELS, STATE_LABELS
from app.security.roles import Permission, can
from app.wallet import points as loyalty
from app.web import put_error, redirect_to, render


def actor():
    return current_user._get_current_object()


@bp.get("/plans")
@requires(Permission.MANAGE_PROMOTIONS)
def plan_list():
    return render("staff/plans/list.html", plans=plans.plans(with_retired=True),
                  metrics=plan_admin.metrics(actor=actor()), state_labels=STATE_LABELS,
                  locale=current_language())


def _saved(form: PlanForm, plan_id: int | None):
    try:
        plan = plans.save_plan(form.plan_input(), plan_id=plan_id, actor=actor())
    except DomainError as exc:
        if exc.status == 403:
            raise
        names = {"price": "price", "percent_off_category_ids": "categories"}
        exc.field = names.get(exc.field, exc.field)
        put_error(form, exc, "code")
        return None
    flash(_("Plan %(name)s saved.", name=plan.name_en))
    return redirect_to(url_for("staff.plan_list"))


@bp.route("/plans/new", methods=["GET", "POST"])
@requires(Permission.MANAGE_PROMOTIONS)
def plan_new():
    form = PlanForm() if request.method == "POST" else PlanForm(formdata=None)
    if request.method == "POST" and form.validate():
        done = _saved(form, None)
        if done is not None:
            return done
    return render("staff/plans/form.html", form=form, plan=None,
                  status=422 if request.method == "POST" else 200)


@bp.route("/plans/<int:plan_id>", methods=["GET", "POST"])
@requires(Permission.MANAGE_PROMOTIONS)
def plan_edit(plan_id: int):
    plan = plans.get_plan(plan_id)
    form = PlanForm() if request.method == "POST" else PlanForm.of(plan)
    if request.method == "POST" and form.validate():
        done = _saved(form, plan.id)
        if done is not None:
            return done
    return render("staff/plans/form.html", form=form, plan=plan,
                  status=422 if request.method == "POST" else 200)


@bp.post("/plans/<int:plan_id>/retire")
@requires(Permission.MANAGE_PROMOTIONS)
def plan_retire(plan_id: int):
    plan = plans.retire_plan(plan_id, actor=actor())
    flash(_("%(name)s is no longer on sale; its members keep it.", name=plan.name_en))
    return redirect_to(url_for("staff.plan_list"))


@bp.get("/plans/subscribers")
@requires(Permission.MANAGE_PROMOTIONS)
def plan_subscribers():
    from app.backoffice.orders import staff_names

    state = request.args.get("state") or None
    state = state if state in STATE_LABELS else None
    raw = request.args.get("plan", "")
    plan_id = whole_number(raw, max_digits=9)
    found, total = plan_admin.subscribers(state=state, plan_id=plan_id, actor=actor())
    return render("staff/plans/subscribers.html", subscriptions=found, total=total,
                  state=state, plan_id=plan_id, plans=plans.plans(with_retired=True),
                  state_labels=STATE_LABELS, payment_labels=PAYMENT_LABELS,
                  names=staff_names([s.user_id for s in found]),
                  invoices={s.id: plan_admin.invoices_of(s.id)[:3] for s in found},
                  can_mark_paid=can(current_user.role, Permission.MANAGE_PAYMENTS),
                  can_view_customers=can(current_user.role, Permission.GIVE_CREDIT),
                  locale=current_language())


@bp.post("/plans/invoices/<int:invoice_id>/paid")
@requires(Permission.MANAGE_PAYMENTS)
def plan_invoice_paid(invoice_id: int):
    try:
        invoice = plan_admin.mark_invoice_paid(invoice_id, actor=actor())
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        flash(str(exc.message), "error")
    else:
        flash(_("Invoice %(number)s is paid.", number=invoice.number))
    return redirect_to(url_for("staff.plan_subscribers"))


@bp.route("/plans/points", methods=["GET", "POST"])
@requires(Permission.MANAGE_PROMOTIONS)
def points_scheme():
    scheme = loyalty.scheme()
    if request.method == "POST":
        form = PointsForm()
        if form.validate():
            try:
                loyalty.save_scheme(
                    enabled=bool(form.enabled.data),
                    points_per_100_rupees=form.points_per_100_rupees.data or 0,
                    point_value_cents=form.point_value.cents or 0,
                    expiry_months=form.expiry_months.data or 0,
                    reminder_days=form.reminder_days.data or 0, actor=actor())
            except DomainError as exc:
                if exc.status == 403:
                    raise
                exc.field = {"point_value_cents": "point_value"}.get(exc.field, exc.field)
                put_error(form, exc, "points_per_100_rupees")
            else:
                flash(_("The points scheme is saved."))
                return redirect_to(url_for("staff.points_scheme"))
        return render("staff/plans/points.html", form=form, status=422)
    form = PointsForm(formdata=None, enabled=scheme.enabled,
                      points_per_100_rupees=scheme.points_per_100_rupees,
                      point_value=rupees(scheme.point_value_cents),
                      expiry_months=scheme.expiry_months, reminder_days=scheme.reminder_days)
    return render("staff/plans/points.html", form=form)
