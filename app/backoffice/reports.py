"""Reports in the back office: sales by date, product, category, district and payment
method, with a chart and a CSV download. Staff with the reports permission (admins, order
managers, marketing) read them; the figures come from app.reports, on the reports' own
connection."""

from __future__ import annotations

from flask import request
from flask_login import current_user

from app import csv_export
from app.backoffice import bp
from app.backoffice.guards import requires
from app.backoffice.reports_forms import SalesReportForm
from app.csv_export import rupees
from app.i18n import current_language
from app.reports import sales
from app.reports.database import reading
from app.security.roles import Permission, require
from app.web import csv_download, render

CHART_BARS = 12  # a bar chart by product or district shows the first dozen; the table all


def _report(form: SalesReportForm):
    require(current_user, Permission.VIEW_REPORTS)
    with reading() as reads:
        return sales.sales(reads, form.period(), dimension=form.by.data,
                           grouping=form.grouping.data, locale=current_language())


def _filter_args() -> dict:
    return {k: v for k, v in request.args.items() if k in ("first", "last", "by", "grouping")
            and v}


@bp.get("/reports/sales")
@requires(Permission.VIEW_REPORTS)
def report_sales():
    form = SalesReportForm(request.args)
    report, points, status = None, [], 200
    if form.validate():
        report = _report(form)
        # The fields show the days read, the default 30 too.
        form.first.data, form.last.data = report.period.first, report.period.last
        value = "total_cents" if report.by_order else "net_cents"
        points = [(row.label, getattr(row, value)) for row in report.rows]
        if report.dimension != "time":
            points = points[:CHART_BARS]
    else:
        status = 422
    return render("staff/reports/sales.html", form=form, report=report, chart_points=points,
                  dimension_label=sales.DIMENSIONS.get(form.by.data, ""),
                  filter_args=_filter_args(), status=status)


CSV_COLUMNS = ("key", "label", "orders", "units", "gross", "discounts", "refunds", "net",
               "delivery", "total", "vat_included")


def _csv_rows(report: sales.SalesReport):
    for row in [*report.rows, report.total]:
        yield (row.key, row.label, row.orders, row.units if not report.by_order else None,
               rupees(row.gross_cents), rupees(row.discount_cents),
               rupees(row.refund_cents), rupees(row.net_cents),
               rupees(row.delivery_cents) if report.by_order else None,
               rupees(row.total_cents) if report.by_order else None,
               rupees(row.vat_cents) if row.vat_cents is not None else None)


@bp.get("/reports/sales.csv")
@requires(Permission.VIEW_REPORTS)
def report_sales_export():
    form = SalesReportForm(request.args)
    if not form.validate():
        return report_sales()  # the page says what is wrong with the choices
    report = _report(form)
    period = report.period
    name = f"sales-by-{report.dimension}-{period.first.isoformat()}-{period.last.isoformat()}"
    return csv_download(csv_export.stream(CSV_COLUMNS, _csv_rows(report)), name)
