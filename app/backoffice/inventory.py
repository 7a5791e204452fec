"""Stock in the back office (catalog managers, order managers, admins): levels per variant and
warehouse with search and filters, the CSV export, one variant's movements, and the forms
that receive goods, correct stock, set low-stock thresholds, move units between warehouses
and add a warehouse. The inventory service checks MANAGE_INVENTORY again, keeps the ledger
and writes the audit entries; these views parse and render.

Each form posts to its own route; after an error the page it came from (the list or a
variant's page) is shown again with that form's messages and a 422."""

from __future__ import annotations

import math

from flask import flash, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user

from app import csv_export
from app.backoffice import bp
from app.backoffice.guards import requires
from app.backoffice.inventory_forms import (
    AdjustForm,
    ReceiveForm,
    StockFilterForm,
    ThresholdForm,
    TransferForm,
    WarehouseForm,
)
from app.backoffice.orders import staff_names
from app.catalog import services as catalog
from app.catalog.models import Variant
from app.digits import whole_number
from app.errors import DomainError
from app.inventory import services as inventory
from app.security.roles import Permission, can
from app.web import csv_download, redirect_to, render

PER_PAGE = 50
MAX_PAGE = 100_000
CSV_BATCH = 500
CSV_COLUMNS = ("sku", "product", "warehouse", "on_hand", "reserved", "available", "threshold")
FORMS = {"receive": ReceiveForm, "adjust": AdjustForm, "threshold": ThresholdForm,
         "transfer": TransferForm, "warehouse": WarehouseForm}
MOVEMENT_LABELS = {"receipt": _l("Receipt"), "adjustment": _l("Adjustment"),
                   "sale": _l("Sale"), "return": _l("Return"), "transfer_in": _l("Transfer in"),
                   "transfer_out": _l("Transfer out")}


def actor():
    return current_user._get_current_object()


# ---- variants, by SKU or id (a read of the catalog's table; no such service exists yet) ------

def _warehouses():
    # A shop that never received stock has no warehouse yet: the default one is made then.
    return inventory.warehouses() or [inventory.default_warehouse()]


def _blank_forms(warehouses, sku: str = "") -> dict:
    data = {"sku": sku} if sku else {}
    return {name: form(formdata=None, data=data, prefix=name, warehouses=warehouses)
            if name != "warehouse" else form(formdata=None, prefix=name)
            for name, form in FORMS.items()}


# ---- the list ----------------------------------------------------------------------------------

def _list_page(forms=None, *, status: int = 200, open_form: str | None = None):
    warehouses = _warehouses()
    filters = StockFilterForm(request.args, warehouses=warehouses)
    filter_args = {k: v for k, v in request.args.items() if k != "page" and v}
    result = None
    if filters.validate():
        page = min(max(request.args.get("page", 1, type=int), 1), MAX_PAGE)
        rows, total = inventory.stock_rows(
            query=filters.q.data or "", low_only=filters.low.data,
            warehouse_id=int(filters.warehouse.data) if filters.warehouse.data else None,
            limit=PER_PAGE, offset=(page - 1) * PER_PAGE, actor=actor())
        result = {"rows": rows, "total": total, "page": page,
                  "pages": max(1, math.ceil(total / PER_PAGE))}
    elif status == 200:
        status = 422
    return render("staff/inventory/list.html", "staff/inventory/_results.html",
                  filters=filters, result=result, filter_args=filter_args,
                  forms=forms or _blank_forms(warehouses), warehouses=warehouses,
                  open_form=open_form, back="", status=status)


@bp.get("/inventory")
@requires(Permission.MANAGE_INVENTORY)
def stock_list():
    return _list_page()


def _csv_rows(query: str, low_only: bool, warehouse_id: int | None, who):
    offset = 0
    while True:
        rows, _total = inventory.stock_rows(query=query, low_only=low_only,
                                            warehouse_id=warehouse_id, limit=CSV_BATCH,
                                            offset=offset, actor=who)
        for r in rows:
            yield (r.sku, r.product_name, r.warehouse_code, r.on_hand, r.reserved, r.available,
                   r.threshold)
        if len(rows) < CSV_BATCH:
            return
        offset += CSV_BATCH


@bp.get("/inventory.csv")
@requires(Permission.MANAGE_INVENTORY)
def stock_export():
    filters = StockFilterForm(request.args, warehouses=_warehouses())
    if not filters.validate():
        return _list_page()
    rows = _csv_rows(filters.q.data or "", filters.low.data,
                     int(filters.warehouse.data) if filters.warehouse.data else None, actor())
    return csv_download(csv_export.stream(CSV_COLUMNS, rows, rows_per_chunk=CSV_BATCH),
                        "kade-stock")


# ---- one variant -------------------------------------------------------------------------------

def _variant_page(variant_id: int, forms=None, *, status: int = 200,
                  open_form: str | None = None):
    variant = catalog.variant_with_product(variant_id)
    product = variant.product
    warehouses = _warehouses()
    rows, _total = inventory.stock_rows(query=variant.sku, actor=actor())
    moves = inventory.movements(variant.id, limit=100, actor=actor())
    names = staff_names(m.actor_id for m in moves)
    codes = {w.id: w.code for w in inventory.warehouses()}
    return render("staff/inventory/variant.html", variant=variant, product=product,
                  levels=[r for r in rows if r.variant_id == variant.id], moves=moves,
                  names=names, codes=codes, movement_labels=MOVEMENT_LABELS,
                  can_orders=can(current_user.role, Permission.MANAGE_ORDERS),
                  forms=forms or _blank_forms(warehouses, variant.sku), warehouses=warehouses,
                  open_form=open_form, back=str(variant.id), status=status)


@bp.get("/inventory/<int:variant_id>")
@requires(Permission.MANAGE_INVENTORY)
def stock_variant(variant_id: int):
    return _variant_page(variant_id)


# ---- changing stock ----------------------------------------------------------------------------

def _back_variant_id() -> int | None:
    back = request.form.get("back", "")
    return whole_number(back, max_digits=9)


def _submitted(name: str):
    """The posted form `name`, and the other forms blank, for the page it came from."""
    warehouses = _warehouses()
    forms = _blank_forms(warehouses)
    form = FORMS[name](prefix=name, **({} if name == "warehouse" else
                                       {"warehouses": warehouses}))
    forms[name] = form
    return form, forms


def _again(name: str, forms, exc: DomainError | None = None, field: str = "sku"):
    """Show the page the form came from with its errors (a service's refusal on `field`)."""
    status = 422
    if exc is not None:
        if exc.status == 403:
            raise exc
        status = 409 if exc.status == 409 else 422
        target = forms[name][exc.field] if exc.field in forms[name] else forms[name][field]
        target.errors = [*target.errors, str(exc.message)]
    variant_id = _back_variant_id()
    if variant_id is not None:
        return _variant_page(variant_id, forms, status=status, open_form=name)
    return _list_page(forms, status=status, open_form=name)


def _done(message: str):
    flash(message)
    back = _back_variant_id()
    if back is not None:
        return redirect_to(url_for("staff.stock_variant", variant_id=back))
    return redirect_to(url_for("staff.stock_list"))


def _sku_variant(form) -> Variant | None:
    variant = catalog.variant_by_sku(form.sku.data)
    if variant is None:
        form.sku.errors = [*form.sku.errors, _("No product variant has the SKU %(sku)s.",
                                                 sku=form.sku.data)]
    return variant


def _level_words(level) -> str:
    return _("%(on_hand)d on hand, %(available)d available.", on_hand=level.on_hand,
             available=level.available)


@bp.post("/inventory/receive")
@requires(Permission.MANAGE_INVENTORY)
def stock_receive():
    form, forms = _submitted("receive")
    if not form.validate() or (variant := _sku_variant(form)) is None:
        return _again("receive", forms)
    try:
        level = inventory.receive(variant.id, form.units.data, warehouse_id=form.warehouse_id,
                                  reference=form.reference.data, actor=actor())
    except DomainError as exc:
        return _again("receive", forms, exc, "units")
    return _done(_("Received %(units)d × %(sku)s.", units=form.units.data, sku=variant.sku)
                 + " " + _level_words(level))


@bp.post("/inventory/adjust")
@requires(Permission.MANAGE_INVENTORY)
def stock_adjust():
    form, forms = _submitted("adjust")
    if not form.validate() or (variant := _sku_variant(form)) is None:
        return _again("adjust", forms)
    try:
        level = inventory.adjust(variant.id, form.change.data, reason=form.reason.data,
                                 warehouse_id=form.warehouse_id, actor=actor())
    except DomainError as exc:
        return _again("adjust", forms, exc, "change")
    return _done(_("Stock of %(sku)s corrected by %(change)+d.", sku=variant.sku,
                   change=form.change.data) + " " + _level_words(level))


@bp.post("/inventory/threshold")
@requires(Permission.MANAGE_INVENTORY)
def stock_threshold():
    form, forms = _submitted("threshold")
    if not form.validate() or (variant := _sku_variant(form)) is None:
        return _again("threshold", forms)
    try:
        inventory.set_threshold(variant.id, form.threshold.data,
                                warehouse_id=form.warehouse_id, actor=actor())
    except DomainError as exc:
        return _again("threshold", forms, exc, "threshold")
    if form.threshold.data is None:
        return _done(_("%(sku)s has no low-stock threshold now.", sku=variant.sku))
    return _done(_("Staff are told when %(sku)s falls to %(n)d available.", sku=variant.sku,
                   n=form.threshold.data))


@bp.post("/inventory/transfer")
@requires(Permission.MANAGE_INVENTORY)
def stock_transfer():
    form, forms = _submitted("transfer")
    if not form.validate() or (variant := _sku_variant(form)) is None:
        return _again("transfer", forms)
    try:
        inventory.transfer(variant.id, form.units.data, from_warehouse_id=int(form.source.data),
                           to_warehouse_id=int(form.target.data), actor=actor())
    except DomainError as exc:
        return _again("transfer", forms, exc, "units")
    return _done(_("Moved %(units)d × %(sku)s.", units=form.units.data, sku=variant.sku))


@bp.post("/inventory/warehouses")
@requires(Permission.MANAGE_INVENTORY)
def stock_warehouse_add():
    form, forms = _submitted("warehouse")
    if not form.validate():
        return _again("warehouse", forms)
    try:
        warehouse = inventory.add_warehouse(form.code.data, form.name.data, actor=actor())
    except DomainError as exc:
        return _again("warehouse", forms, exc, "code")
    return _done(_("Warehouse %(code)s added.", code=warehouse.code))
