"""Promotions in the back office (marketing and admins: MANAGE_PROMOTIONS): the list with each
one's status, the form to add or change one (with a preview of a sample cart), and a
promotion's page: pause, resume, duplicate, its voucher codes and what it did. The
promotions service checks the permission again, validates and writes the audit entry."""

from __future__ import annotations

from flask import flash, request, url_for
from flask_babel import gettext as _, ngettext
from flask_login import current_user

from app.backoffice import bp
from app.backoffice.guards import requires
from app.backoffice.promotions_forms import (
    FIELDS,
    AddCodeForm,
    GenerateCodesForm,
    PromotionForm,
    StatusFilterForm,
)
from app.db import utcnow
from app.errors import DomainError
from app.promotions import admin as promotions
from app.security.roles import Permission
from app.web import csv_download, redirect_to, render

CODES_SHOWN = 20


def actor():
    return current_user._get_current_object()


def _put_error(form, exc: DomainError, fields: dict | None = None) -> int:
    """Show a service error on its field; a refusal or a missing promotion is no form error."""
    if exc.status == 403 or (exc.status == 404 and exc.field is None):
        raise exc
    name = (fields or FIELDS).get(exc.field, exc.field)
    field = form[name] if name and name in form else next(iter(f for f in form
                                                               if f.name != "csrf_token"))
    field.errors = [*field.errors, str(exc.message)]
    return 409 if exc.status == 409 else 422


@bp.context_processor
def _promotion_labels():
    return {"promotion_status_labels": promotions.STATUS_LABELS,
            "benefit_labels": promotions.BENEFIT_LABELS}


# ---- the list --------------------------------------------------------------------------------

@bp.get("/promotions")
@requires(Permission.MANAGE_PROMOTIONS)
def promotion_list():
    filters = StatusFilterForm(request.args)
    rows, status = None, 200
    if filters.validate():
        rows = promotions.list_promotions(actor(), status=filters.status.data or None,
                                          q=filters.q.data or None)
    else:
        status = 422
    return render("staff/promotions/list.html", "staff/promotions/_results.html",
                  filters=filters, rows=rows, status=status)


# ---- adding and changing ---------------------------------------------------------------------

def _form_page(form, promotion=None, *, status: int = 200, priced=None):
    return render("staff/promotions/form.html", form=form, promotion=promotion,
                  status=status, priced=priced)


def _save(form, promotion=None):
    try:
        data = form.to_data()
        if promotion is None:
            saved = promotions.create_promotion(actor(), data)
        else:
            saved = promotions.update_promotion(actor(), promotion.id, data)
    except DomainError as exc:
        return None, _put_error(form, exc)
    flash(_("Promotion “%(name)s” saved.", name=saved.name_en))
    return redirect_to(url_for("staff.promotion_detail", promotion_id=saved.id)), None


@bp.route("/promotions/new", methods=["GET", "POST"])
@requires(Permission.MANAGE_PROMOTIONS)
def promotion_new():
    form = PromotionForm()
    status = 200
    if form.validate_on_submit():
        response, status = _save(form)
        if response is not None:
            return response
    elif form.is_submitted():
        status = 422
    return _form_page(form, status=status)


@bp.route("/promotions/<int:promotion_id>/edit", methods=["GET", "POST"])
@requires(Permission.MANAGE_PROMOTIONS)
def promotion_edit(promotion_id: int):
    promotion = promotions.get_promotion(actor(), promotion_id)
    if request.method == "GET":
        return _form_page(PromotionForm.for_promotion(promotion), promotion)
    form = PromotionForm()
    status = 422
    if form.validate():
        response, status = _save(form, promotion)
        if response is not None:
            return response
    return _form_page(form, promotion, status=status)


@bp.post("/promotions/new/preview", defaults={"promotion_id": None})
@bp.post("/promotions/<int:promotion_id>/preview")
@requires(Permission.MANAGE_PROMOTIONS)
def promotion_preview(promotion_id: int | None):
    """The form as it stands (saved or not) priced on the sample cart; nothing is saved."""
    promotion = (promotions.get_promotion(actor(), promotion_id)
                 if promotion_id is not None else None)
    form = PromotionForm()
    priced, status = None, 422
    if form.validate():
        try:
            items = promotions.sample_items(form.sample.data)
            priced = promotions.preview(actor(), form.to_data(), items,
                                        promotion_id=promotion_id,
                                        district=form.preview_district.data or None,
                                        delivery_code=form.preview_delivery.data or None,
                                        locale="en")
            status = 200
        except DomainError as exc:
            status = _put_error(form, exc)
    if request.htmx and not request.htmx.boosted:
        return render("staff/promotions/_preview.html", form=form, priced=priced,
                      promotion=promotion, status=status)
    return _form_page(form, promotion, status=status, priced=priced)


# ---- one promotion ---------------------------------------------------------------------------

def _detail_page(promotion, *, add_form=None, generate_form=None, status: int = 200,
                 generated=None):
    report = promotions.report(actor(), promotion.id)
    return render("staff/promotions/detail.html", promotion=promotion,
                  state=promotion.status(utcnow()), report=report,
                  codes=promotions.codes(actor(), promotion.id, limit=CODES_SHOWN),
                  code_count=promotions.code_count(actor(), promotion.id),
                  add_form=add_form or AddCodeForm(formdata=None),
                  generate_form=generate_form or GenerateCodesForm(formdata=None),
                  skus=promotions.skus_of(promotion.variant_ids),
                  bundle_skus=promotions.skus_of(promotion.bundle_variant_ids),
                  slugs=promotions.slugs_of(promotion.product_ids),
                  category_names=dict(promotions.category_choices()),
                  generated=generated, status=status)


@bp.get("/promotions/<int:promotion_id>")
@requires(Permission.MANAGE_PROMOTIONS)
def promotion_detail(promotion_id: int):
    return _detail_page(promotions.get_promotion(actor(), promotion_id))


@bp.post("/promotions/<int:promotion_id>/pause")
@requires(Permission.MANAGE_PROMOTIONS)
def promotion_pause(promotion_id: int):
    promotion = promotions.pause(actor(), promotion_id)
    flash(_("“%(name)s” is paused.", name=promotion.name_en))
    return redirect_to(url_for("staff.promotion_detail", promotion_id=promotion.id))


@bp.post("/promotions/<int:promotion_id>/resume")
@requires(Permission.MANAGE_PROMOTIONS)
def promotion_resume(promotion_id: int):
    promotion = promotions.resume(actor(), promotion_id)
    flash(_("“%(name)s” is on again.", name=promotion.name_en))
    return redirect_to(url_for("staff.promotion_detail", promotion_id=promotion.id))


@bp.post("/promotions/<int:promotion_id>/duplicate")
@requires(Permission.MANAGE_PROMOTIONS)
def promotion_duplicate(promotion_id: int):
    copy = promotions.duplicate(actor(), promotion_id)
    flash(_("Copied as “%(name)s”, paused. Check it, then resume it.", name=copy.name_en))
    return redirect_to(url_for("staff.promotion_detail", promotion_id=copy.id))


@bp.post("/promotions/<int:promotion_id>/codes")
@requires(Permission.MANAGE_PROMOTIONS)
def promotion_code_add(promotion_id: int):
    promotion = promotions.get_promotion(actor(), promotion_id)
    form = AddCodeForm()
    status = 422
    if form.validate():
        try:
            code = promotions.add_code(actor(), promotion.id, form.code.data,
                                       form.max_uses.data)
        except DomainError as exc:
            status = _put_error(form, exc)
        else:
            flash(_("Code %(code)s added.", code=code.code))
            return redirect_to(url_for("staff.promotion_detail", promotion_id=promotion.id)
                               + "#codes")
    return _detail_page(promotion, add_form=form, status=status)


@bp.post("/promotions/<int:promotion_id>/codes/generate")
@requires(Permission.MANAGE_PROMOTIONS)
def promotion_codes_generate(promotion_id: int):
    promotion = promotions.get_promotion(actor(), promotion_id)
    form = GenerateCodesForm()
    status = 422
    if form.validate():
        try:
            made = promotions.generate_codes(
                actor(), promotion.id, form.count.data, max_uses=form.uses_each.data,
                prefix=form.prefix.data or "", length=form.length.data,
                batch=form.batch.data or None)
        except DomainError as exc:
            status = _put_error(form, exc, {"max_uses": "uses_each"})
        else:
            flash(ngettext("%(num)d code made in batch %(batch)s.",
                           "%(num)d codes made in batch %(batch)s.", len(made.codes),
                           batch=made.batch))
            return redirect_to(url_for("staff.promotion_detail", promotion_id=promotion.id)
                               + "#codes")
    return _detail_page(promotion, generate_form=form, status=status)


@bp.get("/promotions/<int:promotion_id>/codes.csv")
@requires(Permission.MANAGE_PROMOTIONS)
def promotion_codes_export(promotion_id: int):
    return csv_download(promotions.export_codes(actor(), promotion_id),
                        f"kade-promotion-{promotion_id}-codes")
