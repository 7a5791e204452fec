"""One product's pages in the back office: create, edit its details, its variants, its
attributes, its pictures and (for a service) its booking slots. Each form posts to its own
route; an error shows the edit page again with that form's messages and a 422."""

from __future__ import annotations

from flask import flash, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from werkzeug.exceptions import RequestEntityTooLarge

from app.backoffice import bp
from app.backoffice.catalog import actor, field_error
from app.backoffice.catalog_forms import (
    AttributesForm,
    ImageForm,
    ProductForm,
    ProductNewForm,
    SlotForm,
    VariantForm,
)
from app.backoffice.guards import error_page, requires, staff_verified
from app.catalog import booking_slots, editing, images, inputs, pictures, staff_search
from app.errors import DomainError
from app.pages.errors import error_page as site_error_page
from app.security.roles import Permission
from app.storage import storage
from app.web import redirect_to, render

TOO_LARGE = _l("Pictures can be up to 10 MB, CSV files up to 5 MB. Choose a smaller file.")


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(exc):
    """An upload over MAX_CONTENT_LENGTH: the 413 page inside the back-office shell."""
    if staff_verified():
        return error_page(413, TOO_LARGE)
    return site_error_page(413)


DETAIL_FIELDS = ("name_en", "name_si", "name_ta", "slug", "kind", "status", "brand",
                 "is_featured", "duration_minutes", "description_en", "description_si",
                 "description_ta")


@bp.route("/catalog/products/new", methods=["GET", "POST"])
@requires(Permission.MANAGE_CATALOG)
def catalog_product_new():
    form = ProductNewForm(categories=staff_search.category_rows(actor=actor()))
    if form.validate_on_submit():
        d = form.details()
        try:
            product = editing.create_product(inputs.ProductInput(
                variants=[form.variant_input()], **vars(d)), actor=actor())
        except DomainError as exc:
            field_error(form, exc, "name_en")
        else:
            flash(_("Saved. Add pictures, more variants and attributes below."))
            return redirect_to(url_for("staff.catalog_product_edit", product_id=product.id))
    return render("staff/catalog/product_new.html", form=form,
                  status=422 if form.is_submitted() else 200)


def _details_form(product) -> ProductForm:
    data = {name: getattr(product, name) for name in DETAIL_FIELDS}
    data["category"] = product.category.slug if product.category else ""
    data["service_location"] = product.service_location or "shop"
    data["service_districts"] = list(product.service_districts or ())
    return ProductForm(formdata=None, data=data,
                       categories=staff_search.category_rows(actor=actor()))


def _attributes_form(product) -> AttributesForm:
    ordered = sorted(product.attributes, key=lambda a: (a.name, a.value))

    def translated(lang: str) -> str:
        values = {a.value: getattr(a, f"value_{lang}") for a in ordered
                  if getattr(a, f"value_{lang}")}
        return "\n".join(f"{value}={text}" for value, text in values.items())

    return AttributesForm(
        formdata=None, prefix="attr",
        attributes="\n".join(f"{a.name}={a.value}" for a in ordered),
        attributes_si=translated("si"), attributes_ta=translated("ta"))


def _edit_page(product, *, status: int = 200, details=None, variant=None, attributes=None,
               slot=None, image=None):
    """The edit page with every form; the one just submitted keeps what was typed."""
    store = storage()
    pictures = [(img, store.url(images.thumb_key(img.key))) for img in product.images]
    return render(
        "staff/catalog/product_edit.html", product=product, pictures=pictures,
        details=details or _details_form(product),
        variant_form=variant or VariantForm(formdata=None, prefix="variant"),
        attributes_form=attributes or _attributes_form(product),
        slot_form=slot or SlotForm(formdata=None, prefix="slot"),
        image_form=image or ImageForm(formdata=None, prefix="image"),
        slots=booking_slots.upcoming_slots(product.id, actor=actor()) if product.is_service else [],
        status=status)


def _back_to(product_id: int, anchor: str):
    return redirect_to(url_for("staff.catalog_product_edit", product_id=product_id) + anchor)


@bp.route("/catalog/products/<int:product_id>", methods=["GET", "POST"])
@requires(Permission.MANAGE_CATALOG)
def catalog_product_edit(product_id: int):
    product = staff_search.get_product(product_id, actor=actor())
    if request.method == "GET":
        return _edit_page(product)
    form = ProductForm(categories=staff_search.category_rows(actor=actor()))
    if form.validate():
        try:
            editing.update_product(product.id, form.details(), actor=actor())
        except DomainError as exc:
            field_error(form, exc, "name_en")
        else:
            flash(_("Saved."))
            return _back_to(product.id, "")
    return _edit_page(product, details=form, status=422)


@bp.post("/catalog/products/<int:product_id>/variants")
@requires(Permission.MANAGE_CATALOG)
def catalog_variant_add(product_id: int):
    product = staff_search.get_product(product_id, actor=actor())
    form = VariantForm(prefix="variant")
    if form.validate():
        try:
            editing.add_variant(product.id, form.to_input(), actor=actor())
        except DomainError as exc:
            field_error(form, exc, "sku")
        else:
            flash(_("Variant added."))
            return _back_to(product.id, "#variants")
    return _edit_page(product, variant=form, status=422)


@bp.route("/catalog/variants/<int:variant_id>", methods=["GET", "POST"])
@requires(Permission.MANAGE_CATALOG)
def catalog_variant_edit(variant_id: int):
    variant = editing.get_variant(variant_id, actor=actor())
    if request.method == "GET":
        form = VariantForm(formdata=None, data={
            "sku": variant.sku, "price": inputs.rupees(variant.price_cents),
            "compare_at": inputs.rupees(variant.compare_at_cents),
            "cost": inputs.rupees(variant.cost_cents),
            "weight_grams": variant.weight_grams, "barcode": variant.barcode,
            "options": inputs.format_pairs(variant.options.items()),
            "options_si": inputs.format_pairs((variant.options_si or {}).items()),
            "options_ta": inputs.format_pairs((variant.options_ta or {}).items())})
        return render("staff/catalog/variant_edit.html", variant=variant, form=form)
    form = VariantForm()
    if form.validate():
        try:
            editing.update_variant(variant.id, form.to_input(), actor=actor())
        except DomainError as exc:
            field_error(form, exc, "sku")
        else:
            flash(_("Variant saved."))
            return _back_to(variant.product_id, "#variants")
    return render("staff/catalog/variant_edit.html", variant=variant, form=form, status=422)


@bp.post("/catalog/variants/<int:variant_id>/active")
@requires(Permission.MANAGE_CATALOG)
def catalog_variant_active(variant_id: int):
    active = request.form.get("active") == "yes"
    try:
        variant = editing.set_variant_active(variant_id, active, actor=actor())
    except DomainError as exc:
        if exc.status != 422:
            raise
        flash(str(exc.message), "error")
        return _back_to(editing.get_variant(variant_id, actor=actor()).product_id, "#variants")
    flash(_("Variant is on sale again.") if active else _("Variant is no longer on sale."))
    return _back_to(variant.product_id, "#variants")


@bp.post("/catalog/products/<int:product_id>/attributes")
@requires(Permission.MANAGE_CATALOG)
def catalog_attributes(product_id: int):
    product = staff_search.get_product(product_id, actor=actor())
    form = AttributesForm(prefix="attr")
    if form.validate():
        try:
            editing.set_attributes(product.id, form.pairs(),
                                   translations=form.translations(), actor=actor())
        except DomainError as exc:
            field_error(form, exc, "attributes")
        else:
            flash(_("Attributes saved."))
            return _back_to(product.id, "#attributes")
    return _edit_page(product, attributes=form, status=422)


@bp.post("/catalog/products/<int:product_id>/slots")
@requires(Permission.MANAGE_CATALOG)
def catalog_slot_add(product_id: int):
    product = staff_search.get_product(product_id, actor=actor())
    form = SlotForm(prefix="slot")
    if form.validate():
        try:
            booking_slots.add_slot(product.id, form.utc_start(), capacity=form.capacity.data,
                                   actor=actor())
        except DomainError as exc:
            field_error(form, exc, "date")
        else:
            flash(_("Slot added."))
            return _back_to(product.id, "#slots")
    return _edit_page(product, slot=form, status=422)


@bp.post("/catalog/products/<int:product_id>/images")
@requires(Permission.MANAGE_CATALOG)
def catalog_image_add(product_id: int):
    product = staff_search.get_product(product_id, actor=actor())
    form = ImageForm(prefix="image")
    if form.validate():
        try:
            pictures.add_image(product.id, form.image.data.read(), alt=form.alt.data,
                               actor=actor())
        except DomainError as exc:
            field_error(form, exc, "image")
        else:
            flash(_("Picture added."))
            return _back_to(product.id, "#pictures")
    return _edit_page(product, image=form, status=422)


@bp.post("/catalog/images/<int:image_id>/move")
@requires(Permission.MANAGE_CATALOG)
def catalog_image_move(image_id: int):
    offset = -1 if request.form.get("direction") == "up" else 1
    image = pictures.move_image(image_id, offset, actor=actor())
    return _back_to(image.product_id, "#pictures")


@bp.post("/catalog/images/<int:image_id>/delete")
@requires(Permission.MANAGE_CATALOG)
def catalog_image_delete(image_id: int):
    product_id = pictures.delete_image(image_id, actor=actor())
    flash(_("Picture deleted."))
    return _back_to(product_id, "#pictures")
