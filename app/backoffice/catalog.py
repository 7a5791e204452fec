"""The catalog area of the back office: the product list with its filters and bulk actions,
and the category tree. Products' own pages are in catalog_products.py, CSV import and export
in catalog_imports.py. The catalog services check MANAGE_CATALOG again and write the audit
entries; these views parse and render."""

from __future__ import annotations

from flask import flash, request, url_for
from flask_babel import gettext as _, ngettext
from flask_login import current_user

from app.backoffice import bp
from app.backoffice.catalog_forms import (
    KIND_LABELS,
    STATUS_LABELS,
    BulkForm,
    CategoryForm,
    ProductFilterForm,
)
from app.backoffice.guards import requires
from app.catalog import editing, staff_search
from app.errors import DomainError
from app.security.roles import Permission
from app.web import redirect_to, render, safe_next

MAX_PAGE = 100_000


def actor():
    return current_user._get_current_object()


def field_error(form, exc: DomainError, default_field: str) -> None:
    """A rule a service refused goes on the field it names (or `default_field`); a
    permission refused or a record missing is an error page instead."""
    if exc.status == 403 or (exc.status == 404 and exc.field is None):
        raise exc
    name = exc.field if exc.field in form else default_field
    field = form[name]
    field.errors = [*field.errors, str(exc.message)]


@bp.context_processor
def _catalog_labels():
    return {"status_labels": STATUS_LABELS, "kind_labels": KIND_LABELS}


@bp.get("/catalog")
@requires(Permission.MANAGE_CATALOG)
def catalog_list():
    categories = staff_search.category_rows(actor=actor())
    form = ProductFilterForm(request.args, categories=categories)
    filter_args = {k: v for k, v in request.args.items() if k != "page" and v}
    result, status = None, 200
    if form.validate():
        page = min(max(request.args.get("page", 1, type=int), 1), MAX_PAGE)
        result = staff_search.find_products(form.to_query(), page=page, actor=actor())
    else:
        status = 422
    return render("staff/catalog/products.html", "staff/catalog/_product_results.html",
                  form=form, result=result, filter_args=filter_args, bulk=BulkForm(formdata=None),
                  status=status)


@bp.post("/catalog/bulk")
@requires(Permission.MANAGE_CATALOG)
def catalog_bulk():
    form = BulkForm()
    back = safe_next(request.form.get("next"), url_for("staff.catalog_list"))
    if not form.validate():
        errors = [*form.ids.errors, *form.action.errors]
        flash(" ".join(str(e) for e in errors), "error")
        return redirect_to(back)
    changed = editing.set_status(form.ids.data, form.action.data, actor=actor())
    flash(ngettext("%(num)d product changed.", "%(num)d products changed.", changed))
    return redirect_to(back)


# ---- categories --------------------------------------------------------------------------------

@bp.get("/catalog/categories")
@requires(Permission.MANAGE_CATALOG)
def catalog_categories():
    return render("staff/catalog/categories.html", rows=staff_search.category_rows(actor=actor()))


def _category_page(form, category=None, status=200):
    return render("staff/catalog/category_form.html", form=form, category=category,
                  status=status)


def _parents(category=None):
    """Where a category may go: anywhere but inside itself."""
    rows = staff_search.category_rows(actor=actor())
    if category is None:
        return rows
    inside, depth_of_self = False, 0
    allowed = []
    for row, depth in rows:
        if row.id == category.id:
            inside, depth_of_self = True, depth
            continue
        if inside and depth > depth_of_self:
            continue
        inside = False
        allowed.append((row, depth))
    return allowed


@bp.route("/catalog/categories/new", methods=["GET", "POST"])
@requires(Permission.MANAGE_CATALOG)
def catalog_category_new():
    form = CategoryForm(parents=_parents())
    if form.validate_on_submit():
        try:
            editing.save_category(form.to_input(), actor=actor())
        except DomainError as exc:
            field_error(form, exc, "name_en")
        else:
            flash(_("Category added."))
            return redirect_to(url_for("staff.catalog_categories"))
    return _category_page(form, status=422 if form.is_submitted() else 200)


@bp.route("/catalog/categories/<int:category_id>", methods=["GET", "POST"])
@requires(Permission.MANAGE_CATALOG)
def catalog_category_edit(category_id: int):
    category = staff_search.get_category(category_id, actor=actor())
    if request.method == "GET":
        form = CategoryForm(formdata=None, parents=_parents(category), data={
            "name_en": category.name_en, "name_si": category.name_si,
            "name_ta": category.name_ta, "slug": category.slug,
            "parent": category.parent.slug if category.parent else "",
            "position": category.position})
        return _category_page(form, category)
    form = CategoryForm(parents=_parents(category))
    if form.validate():
        try:
            editing.save_category(form.to_input(), category_id=category.id, actor=actor())
        except DomainError as exc:
            field_error(form, exc, "name_en")
        else:
            flash(_("Category saved."))
            return redirect_to(url_for("staff.catalog_categories"))
    return _category_page(form, category, status=422)
