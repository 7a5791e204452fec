"""CSV export and import of the catalog. An upload starts a job; its page polls the
progress fragment every second (htmx) until the import is done or failed, then shows the
row errors. Without JavaScript, a Refresh link does the same."""

from __future__ import annotations

from flask import url_for

from app.backoffice import bp
from app.backoffice.catalog import actor, field_error
from app.backoffice.catalog_forms import ImportForm
from app.backoffice.guards import requires
from app.catalog import imports
from app.errors import DomainError
from app.security.roles import Permission
from app.web import csv_download, redirect_to, render


def _import_page(form, status=200):
    return render("staff/catalog/import.html", form=form,
                  recent=imports.recent_imports(actor=actor()), status=status)


@bp.get("/catalog/import")
@requires(Permission.MANAGE_CATALOG)
def catalog_import():
    return _import_page(ImportForm(formdata=None))


@bp.post("/catalog/import")
@requires(Permission.MANAGE_CATALOG)
def catalog_import_upload():
    form = ImportForm()
    if form.validate():
        upload = form.file.data
        try:
            record = imports.start_import(upload.filename or "", upload.read(), actor=actor())
        except DomainError as exc:
            field_error(form, exc, "file")
        else:
            return redirect_to(url_for("staff.catalog_import_detail", import_id=record.id))
    return _import_page(form, status=422)


@bp.get("/catalog/imports/<int:import_id>")
@requires(Permission.MANAGE_CATALOG)
def catalog_import_detail(import_id: int):
    record = imports.get_import(import_id, actor=actor())
    return render("staff/catalog/import_detail.html", "staff/catalog/_import_progress.html",
                  record=record)


@bp.get("/catalog/export.csv")
@requires(Permission.MANAGE_CATALOG)
def catalog_export():
    return csv_download(imports.export_catalog(actor=actor()), "kade-catalog")
