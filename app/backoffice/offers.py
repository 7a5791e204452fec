"""Personal offers in the back office (marketing and admins: MANAGE_PROMOTIONS): the
templates the nightly job sends from, a form to add or change one, and each one's proof
report (treated against held out). The offers service checks the permission again."""

from __future__ import annotations

import datetime as dt

from flask import flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.backoffice import bp
from app.backoffice.guards import requires
from app.backoffice.offers_forms import SOURCES, OfferTemplateForm
from app.db import utcnow
from app.errors import DomainError
from app.recommendations import offers
from app.security.roles import Permission
from app.web import redirect_to, render

# The service's field names, on the form's fields.
FIELDS = {"amount_cents": "amount"}


def actor():
    return current_user._get_current_object()


@bp.get("/offers")
@requires(Permission.MANAGE_PROMOTIONS)
def offer_list():
    since = utcnow() - dt.timedelta(days=30)
    return render("staff/offers/list.html", templates=offers.templates(actor()),
                  sources=SOURCES, last_30=offers.summary(actor(), since))


def _save(form, template_id: int | None):
    try:
        saved = offers.save_template(actor(), form.to_data(), template_id)
    except DomainError as exc:
        if exc.field is None:
            raise
        name = FIELDS.get(exc.field, exc.field)
        field = form[name] if name in form else form["name"]
        field.errors = [*field.errors, str(exc.message)]
        return None
    flash(_("Personal offer %(name)s saved.", name=saved.name))
    return redirect_to(url_for("staff.offer_list"))


@bp.route("/offers/new", methods=["GET", "POST"])
@requires(Permission.MANAGE_PROMOTIONS)
def offer_new():
    form = OfferTemplateForm()
    if form.validate_on_submit() and (done := _save(form, None)) is not None:
        return done
    return render("staff/offers/form.html", form=form, template=None,
                  status=422 if form.is_submitted() else 200)


@bp.route("/offers/<int:template_id>", methods=["GET", "POST"])
@requires(Permission.MANAGE_PROMOTIONS)
def offer_edit(template_id: int):
    template = offers.get_template(actor(), template_id)
    if request.method == "GET":
        return render("staff/offers/form.html", form=OfferTemplateForm.of(template),
                      template=template)
    form = OfferTemplateForm()
    if form.validate() and (done := _save(form, template.id)) is not None:
        return done
    return render("staff/offers/form.html", form=form, template=template, status=422)


@bp.get("/offers/<int:template_id>/report")
@requires(Permission.MANAGE_PROMOTIONS)
def offer_report(template_id: int):
    return render("staff/offers/report.html", report=offers.report(actor(), template_id),
                  sources=SOURCES)
