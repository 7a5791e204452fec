"""Reports in the back office: sales by date, product, category, district and payment
method, with a chart and a CSV download. Staff with the reports permission (admins, order
managers, marketing) read them; the figures come from app.reports, on the reports' own
connection."""

from __future__ import annotations

from flask import request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.backoffice import bp
from app.backoffice.guards import requires
from app.backoffice.reports_forms import (
    MAX_PAGE_DAYS,
    DistrictMapForm,
    MonthForm,
    PeriodForm,
    SalesReportForm,
    YearForm,
)
from app.errors import NotFound
from app.i18n import current_language
from app.reports import runs, sales, tables
from app.reports.customers import customers_report
from app.reports.database import reading
from app.reports.districts_map import district_map
from app.reports.funnel import funnel_report
from app.reports.promotions import promotions_report
from app.reports.stock import stock_report
from app.reports.vat import vat_report
from app.security.roles import Permission, require
from app.web import csv_download, private_file, redirect_to, render

CHART_BARS = 12  # a bar chart by product or district shows the first dozen; the table all
PAGE_ROWS = 50  # a table report's page shows this many rows; its CSV all of them


def _report(form, dimension: str, grouping: str = "day") -> sales.SalesReport:
    require(current_user, Permission.VIEW_REPORTS)
    with reading() as reads:
        return sales.sales(reads, form.period(), dimension=dimension, grouping=grouping,
                           locale=current_language())


def _filter_args(*names: str) -> dict:
    return {k: v for k, v in request.args.items() if k in ("first", "last", *names) and v}


@bp.get("/reports/sales")
@requires(Permission.VIEW_REPORTS)
def report_sales():
    form = SalesReportForm(request.args)
    report, points, status, too_long = None, [], 200, False
    if not form.validate():
        status = 422
    elif form.period().days > MAX_PAGE_DAYS:
        too_long = True  # the page offers to prepare it as a file
        form.show(form.period())
    else:
        report = _report(form, form.by.data, form.grouping.data)
        form.show(report.period)
        value = "total_cents" if report.by_order else "net_cents"
        points = [(row.label, getattr(row, value)) for row in report.rows]
        if report.dimension != "time":
            points = points[:CHART_BARS]
    return render("staff/reports/sales.html", form=form, report=report, chart_points=points,
                  too_long=too_long, max_page_days=MAX_PAGE_DAYS,
                  dimension_label=sales.DIMENSIONS.get(form.by.data, ""),
                  filter_args=_filter_args("by", "grouping"), status=status)


@bp.get("/reports/sales.csv")
@requires(Permission.VIEW_REPORTS)
def report_sales_export():
    form = SalesReportForm(request.args)
    if not form.validate() or form.period().days > MAX_PAGE_DAYS:
        return report_sales()  # what is wrong, or the offer to prepare it as a file
    report = _report(form, form.by.data, form.grouping.data)
    return csv_download(sales.csv_chunks(report), sales.csv_name(report))


@bp.get("/reports/districts")
@requires(Permission.VIEW_REPORTS)
def report_districts():
    """Sales or orders by district on a map of Sri Lanka, with every figure in a table."""
    form = DistrictMapForm(request.args)
    shaded, status = None, 200
    if form.validate():
        report = _report(form, "district")
        form.show(report.period)
        value = "total_cents" if form.metric.data == "sales" else "orders"
        shaded = district_map({row.key: getattr(row, value) for row in report.rows if row.key},
                              current_language())
    else:
        status = 422
    return render("staff/reports/districts.html", form=form, shaded=shaded,
                  metric=form.metric.data, filter_args=_filter_args(), status=status)


# ---- a long period, prepared as a file in the background ---------------------------------------

@bp.post("/reports/sales/runs")
@requires(Permission.VIEW_REPORTS)
def report_run_new():
    form = SalesReportForm(request.form)
    if not form.validate():
        return report_sales()
    run = runs.request_sales(form.period(), dimension=form.by.data,
                             grouping=form.grouping.data, locale=current_language(),
                             actor=current_user._get_current_object())
    return redirect_to(url_for("staff.report_run", run_id=run.id))


@bp.get("/reports/runs/<int:run_id>")
@requires(Permission.VIEW_REPORTS)
def report_run(run_id: int):
    run = runs.get_run(run_id, actor=current_user._get_current_object())
    return render("staff/reports/run.html", "staff/reports/_run_progress.html", run=run,
                  dimension_label=sales.DIMENSIONS.get(run.params["by"], ""))


@bp.get("/reports/runs/<int:run_id>.csv")
@requires(Permission.VIEW_REPORTS)
def report_run_file(run_id: int):
    data, name = runs.run_file(run_id, actor=current_user._get_current_object())
    return private_file(data, "text/csv", f"{name}.csv")


# ---- the other reports: one table each, one template, one CSV writer ---------------------------

# name → (title, the report's function, its form). Their order is the tabs'.
TABLE_REPORTS = {
    "promotions": (_l("Promotions"), promotions_report, PeriodForm),
    "customers": (_l("Customers"), customers_report, YearForm),
    "funnel": (_l("Funnel"), funnel_report, PeriodForm),
    "stock": (_l("Stock"), stock_report, PeriodForm),
    "vat": (_l("VAT"), vat_report, MonthForm),
}


@bp.context_processor
def _report_tabs():
    if not (request.endpoint or "").startswith("staff.report"):
        return {}
    return {"report_tabs": [(key, title) for key, (title, _read, _form)
                            in TABLE_REPORTS.items()]}


def _table_report(name: str):
    """(title, form, table or None) for a table report; NotFound for an unknown name."""
    if name not in TABLE_REPORTS:
        raise NotFound()
    title, read, form_class = TABLE_REPORTS[name]
    form = form_class(request.args)
    table = None
    if form.validate():
        require(current_user, Permission.VIEW_REPORTS)
        period = form.period()
        with reading() as reads:
            table = read(reads, period, locale=current_language())
        form.show(period)
    return title, form, table


@bp.get("/reports/<name>")
@requires(Permission.VIEW_REPORTS)
def report_table(name: str):
    title, form, table = _table_report(name)
    return render("staff/reports/table.html", name=name, title=title, form=form,
                  table=table, filter_args=_filter_args("month"), page_rows=PAGE_ROWS,
                  status=200 if table is not None else 422)


@bp.get("/reports/<name>.csv")
@requires(Permission.VIEW_REPORTS)
def report_table_export(name: str):
    title, form, table = _table_report(name)
    if table is None:
        return report_table(name)
    stamp = form.month.data if name == "vat" else (
        f"{form.first.data.isoformat()}-{form.last.data.isoformat()}")
    return csv_download(tables.csv_chunks(table), f"{name}-{stamp}")
