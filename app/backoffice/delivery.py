"""Delivery options in the back office (order managers and admins): the list, and a form to
add or change one (fee, free-delivery threshold, districts served, days, pickup). The
delivery service checks MANAGE_ORDERS again and writes the audit entry."""

from __future__ import annotations

from flask import flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.backoffice import bp
from app.backoffice.delivery_forms import DeliveryOptionForm
from app.backoffice.guards import requires
from app.catalog.inputs import rupees
from app.checkout import delivery as delivery_options
from app.errors import DomainError, NotFound
from app.security.roles import Permission
from app.web import redirect_to, render

# The service's field names, on the form's fields.
FIELDS = {"fee_cents": "fee", "free_over_cents": "free_over"}


def actor():
    return current_user._get_current_object()


def _option(option_id: int):
    found = next((o for o in delivery_options.all_options(actor=actor()) if o.id == option_id),
                 None)
    if found is None:
        raise NotFound()
    return found


def _refused(form, exc: DomainError) -> int:
    if exc.status == 403 or (exc.status == 404 and exc.field is None):
        raise exc
    name = FIELDS.get(exc.field, exc.field)
    field = form[name] if name in form else form["code"]
    field.errors = [*field.errors, str(exc.message)]
    return 409 if exc.status == 409 else 422


@bp.get("/delivery")
@requires(Permission.MANAGE_ORDERS)
def delivery_list():
    return render("staff/delivery/list.html",
                  options=delivery_options.all_options(actor=actor()))


def _save(form, option=None):
    """Save a valid form; returns a response, or the status to show the form again with."""
    try:
        saved = delivery_options.save_option(form.to_input(),
                                             option_id=option.id if option else None,
                                             actor=actor())
    except DomainError as exc:
        return None, _refused(form, exc)
    flash(_("Delivery option %(name)s saved.", name=saved.name_en))
    return redirect_to(url_for("staff.delivery_list")), None


@bp.route("/delivery/new", methods=["GET", "POST"])
@requires(Permission.MANAGE_ORDERS)
def delivery_new():
    form = DeliveryOptionForm()
    status = 200
    if form.validate_on_submit():
        response, status = _save(form)
        if response is not None:
            return response
    elif form.is_submitted():
        status = 422
    return render("staff/delivery/form.html", form=form, option=None, status=status)


@bp.route("/delivery/<int:option_id>", methods=["GET", "POST"])
@requires(Permission.MANAGE_ORDERS)
def delivery_edit(option_id: int):
    option = _option(option_id)
    if request.method == "GET":
        form = DeliveryOptionForm(formdata=None, data={
            "code": option.code, "name_en": option.name_en, "name_si": option.name_si,
            "name_ta": option.name_ta, "fee": rupees(option.fee_cents),
            "free_over": rupees(option.free_over_cents), "districts": list(option.districts),
            "min_days": option.min_days, "max_days": option.max_days,
            "is_pickup": option.is_pickup, "is_active": option.is_active,
            "position": option.position})
        return render("staff/delivery/form.html", form=form, option=option)
    form = DeliveryOptionForm()
    status = 422
    if form.validate():
        response, status = _save(form, option)
        if response is not None:
            return response
    return render("staff/delivery/form.html", form=form, option=option, status=status)
