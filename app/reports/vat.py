"""VAT for a month, in the shape a Sri Lankan VAT return asks for it: the month's supplies
with VAT included, the VAT in them (output tax), the supplies without it, and exempt
supplies; day by day below.

Prices include VAT at SHOP_VAT_PERCENT when the shop is registered (SHOP_VAT_NUMBER set),
delivery fees too. A refund lowers the month it is made in, as a credit note would. No item
is marked exempt in Kade, so exempt supplies are nil and the page says so. Each day's VAT is
worked out on that day's total, as on the sales report; the month's on the month's total,
so the days may differ from it by a few cents of rounding. Days with neither sales nor
refunds are left out of the table.
"""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from app.orders.documents import vat_included_cents
from app.reports.days import Period
from app.reports.sales import sales, vat_percent
from app.reports.tables import Column, Table

COLUMNS = [
    Column("day", _l("Day")),
    Column("orders", _l("Orders"), "count"),
    Column("refunds", _l("Refunds"), "money"),
    Column("supplies", _l("Supplies, VAT included"), "money"),
    Column("vat", _l("VAT"), "money"),
    Column("without_vat", _l("Supplies without VAT"), "money"),
]


def month_of(day: dt.date) -> Period:
    first = day.replace(day=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    return Period(first, following - dt.timedelta(days=1))


def _vat(total: int, rate: int | None) -> int:
    if not rate:
        return 0
    share = vat_included_cents(abs(total), rate)
    return share if total >= 0 else -share


def vat_report(reads: Session, month: Period, *, locale: str = "en") -> Table:
    rate = vat_percent()
    report = sales(reads, month, dimension="time", grouping="day", locale=locale)
    rows = []
    for row in report.rows:
        if not (row.orders or row.refund_cents):
            continue  # a quiet day: nothing to declare
        vat = _vat(row.total_cents, rate)
        rows.append({"day": row.label, "key": row.key, "orders": row.orders,
                     "refunds": row.refund_cents, "supplies": row.total_cents, "vat": vat,
                     "without_vat": row.total_cents - vat})
    supplies = report.total.total_cents
    vat = _vat(supplies, rate)
    total = {"day": str(_l("Month")), "orders": report.total.orders,
             "refunds": report.total.refund_cents, "supplies": supplies, "vat": vat,
             "without_vat": supplies - vat}
    notes = [_l("Days without sales or refunds are left out."),
             _l("No item is marked exempt from VAT: exempt supplies are nil."),
             _l("Delivery fees are supplies too and carry VAT. Refunds lower the month "
                "they are made in.")]
    if rate is None:
        notes.insert(0, _l("The shop is not registered for VAT (no VAT number is set), "
                           "so prices carry no VAT."))
    return Table(COLUMNS, rows, total,
                 summary=[(_l("Supplies, VAT included"), supplies, "money"),
                          (_l("VAT (output tax)"), vat, "money"),
                          (_l("Supplies without VAT"), supplies - vat, "money"),
                          (_l("Exempt supplies"), 0, "money")],
                 notes=notes)
