"""Sales figures, the way a shop owner reads them (Shopify's terms):

    gross      list price × quantity of every item sold
    discounts  what promotions took off the items (line and order discounts)
    refunds    money given back, on the day it was given back
    net        gross − discounts − refunds
    delivery   delivery fees charged (after any delivery discount)
    total      net + delivery
    VAT        the VAT included in the total, when the shop is VAT-registered

An order is a sale from the Colombo day it was placed, once it is confirmed: paid, or on its
way to be paid in cash (cash on delivery). One waiting for an online payment or a bank
transfer is not a sale yet; one cancelled unpaid never was. One cancelled after it was paid
stays a sale with its refund, so a day's figures never change because of what happened later
except by a refund on the later day.

Grouped by time (day, week or month), district or payment method, the figures are an
order's; by product or category they are its lines', each line taking its share of the
order's discounts in proportion to its value (shared to the cent: the lines of an order
add up to the order), and each refund shared over the lines it returned in proportion to
their value (a refund of money alone, with no item returned, is a row of its own).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from app import csv_export
from app.accounts.districts import district_name
from app.catalog.models import Category, Product
from app.csv_export import rupees
from app.i18n import current_language
from app.orders.documents import vat_included_cents
from app.orders.history import is_sale
from app.orders.models import Order, OrderLine
from app.payments.methods import METHODS, PREPAID
from app.payments.models import Refund, RefundLine
from app.reports.days import GROUPINGS, Period, bucket, buckets, local_day

DIMENSIONS = {
    "time": _l("Date"),
    "product": _l("Product"),
    "category": _l("Category"),
    "district": _l("District"),
    "payment_method": _l("Payment method"),
}
BY_ORDER = ("time", "district", "payment_method")
NO_KEY = ""  # an order with no district (services only), a line of a product since deleted
REFUND_ONLY = "refund-only"  # refunds of money alone, by product or category


@dataclass
class Row:
    key: str
    label: str
    orders: int = 0
    units: int = 0
    gross_cents: int = 0
    discount_cents: int = 0
    refund_cents: int = 0
    delivery_cents: int = 0
    vat_percent: int | None = None

    @property
    def net_cents(self) -> int:
        return self.gross_cents - self.discount_cents - self.refund_cents

    @property
    def total_cents(self) -> int:
        return self.net_cents + self.delivery_cents

    @property
    def vat_cents(self) -> int | None:
        if self.vat_percent is None:
            return None
        total = self.total_cents
        share = vat_included_cents(abs(total), self.vat_percent)
        return share if total >= 0 else -share  # a day of refunds gives VAT back

    @property
    def average_order_cents(self) -> int | None:
        """What an order came to on average (before refunds): gross − discounts +
        delivery, over the orders."""
        if not self.orders:
            return None
        return (self.gross_cents - self.discount_cents + self.delivery_cents) // self.orders

    def add(self, other: Row) -> None:
        for name in ("orders", "units", "gross_cents", "discount_cents", "refund_cents",
                     "delivery_cents"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class SalesReport:
    period: Period
    dimension: str
    grouping: str
    rows: list[Row]
    total: Row
    vat_percent: int | None = None
    by_order: bool = field(init=False)

    def __post_init__(self):
        self.by_order = self.dimension in BY_ORDER


def vat_percent() -> int | None:
    """The VAT rate included in prices, when the shop is VAT-registered (else None)."""
    config = current_app.config
    if not (config.get("SHOP_VAT_NUMBER") or "").strip():
        return None
    return int(config.get("SHOP_VAT_PERCENT", 18))


def in_period(column, period: Period):
    return and_(column >= period.starts, column < period.ends)


def sales(reads: Session, period: Period, *, dimension: str = "time",
          grouping: str = "day", locale: str | None = None) -> SalesReport:
    """The period's sales grouped by `dimension` (DIMENSIONS); `grouping` (GROUPINGS) buckets
    time. Raises ValueError for an unknown dimension or grouping."""
    if dimension not in DIMENSIONS or grouping not in GROUPINGS:
        raise ValueError("unknown dimension or grouping")
    locale = locale or current_language()
    if dimension in BY_ORDER:
        return _report(period, dimension, grouping,
                       _by_order(reads, period, dimension, grouping, locale))
    # An order with lines in two products counts once in the total.
    return _report(period, dimension, grouping, _by_line(reads, period, dimension, locale),
                   order_count=_order_count(reads, period))


def _report(period: Period, dimension: str, grouping: str, rows: list[Row], *,
            order_count: int | None = None) -> SalesReport:
    """Rows in the report's order, with their total and the VAT rate."""
    percent = vat_percent()
    if dimension == "time":
        rows = sorted(rows, key=lambda row: row.key)
    elif dimension in BY_ORDER:
        rows = sorted(rows, key=lambda row: (-row.total_cents, row.label))
    else:
        rows = sorted(rows, key=lambda row: (row.key == REFUND_ONLY, -row.net_cents, row.label))
    total = Row(key="total", label=str(_l("Total")), vat_percent=percent)
    for row in rows:
        row.vat_percent = percent
        total.add(row)
    if dimension in BY_ORDER:
        total.units = 0  # lines are not read by order
    else:
        total.orders = order_count or 0
    return SalesReport(period, dimension, grouping, rows, total, percent)


def in_steps(reads_for, period: Period, *, dimension: str, grouping: str, locale: str,
             months: int = 1, done=None) -> SalesReport:
    """The same report as `sales` over a long period, read a step of `months` at a time, so
    a job can say how far it is (`done(steps_done, steps)` after each) and no statement reads
    years at once. `reads_for()` gives a context manager of a reading session per step.
    Every order and refund falls in exactly one step (by its own day), so adding the steps'
    rows up gives the whole period's."""
    steps = period_steps(period, months)
    rows: dict[str, Row] = {}
    order_total = 0
    for n, step in enumerate(steps, start=1):
        with reads_for() as reads:
            part = sales(reads, step, dimension=dimension, grouping=grouping, locale=locale)
        for row in part.rows:
            if row.key in rows:
                rows[row.key].add(row)
            else:
                rows[row.key] = row
        order_total += part.total.orders
        if done is not None:
            done(n, len(steps))
    return _report(period, dimension, grouping, list(rows.values()),
                   order_count=None if dimension in BY_ORDER else order_total)


def period_steps(period: Period, months: int = 1) -> list[Period]:
    """The period cut at the first of every `months`-th month."""
    steps, first = [], period.first
    while first <= period.last:
        month = first.month - 1 + months
        following = dt.date(first.year + month // 12, month % 12 + 1, 1)
        last = min(period.last, following - dt.timedelta(days=1))
        steps.append(Period(first, last))
        first = following
    return steps


# ---- by order: time, district, payment method -------------------------------------------------

def _order_key(dimension: str):
    return {"time": local_day(Order.placed_at), "district": Order.district,
            "payment_method": Order.payment_method}[dimension]


def _line_sums():
    """Each order's list value and line discounts (its subtotal is after them)."""
    return (select(OrderLine.order_id,
                   func.sum(OrderLine.unit_cents * OrderLine.quantity).label("gross"),
                   func.sum(OrderLine.discount_cents).label("line_discounts"))
            .group_by(OrderLine.order_id).subquery())


def _by_order(reads: Session, period: Period, dimension: str, grouping: str,
              locale: str) -> list[Row]:
    key = _order_key(dimension)
    lines = _line_sums()
    sold = reads.execute(
        select(key.label("key"), func.count(Order.id),
               func.coalesce(func.sum(lines.c.gross), 0),
               func.coalesce(func.sum(lines.c.line_discounts + Order.discount_cents), 0),
               func.coalesce(func.sum(Order.delivery_fee_cents), 0))
        .join(lines, lines.c.order_id == Order.id)
        .where(is_sale(), in_period(Order.placed_at, period))
        .group_by(key)).all()
    refund_key = local_day(Refund.created_at) if dimension == "time" else key
    refunded = reads.execute(
        select(refund_key.label("key"), func.sum(Refund.amount_cents))
        .join(Order, Order.number == Refund.order_number)
        .where(in_period(Refund.created_at, period))
        .group_by(refund_key)).all()

    rows: dict[str, Row] = {}

    def row_for(raw) -> Row:
        code = _bucket_key(raw, grouping) if dimension == "time" else (raw or NO_KEY)
        if code not in rows:
            rows[code] = Row(key=code, label=_label(dimension, code, grouping, locale))
        return rows[code]

    if dimension == "time":  # every bucket, empty ones too: a chart shows the quiet days
        for first in buckets(period, grouping):
            row_for(first.isoformat())
    for raw, orders, gross, discounts, delivery in sold:
        row = row_for(raw)
        row.orders += orders
        row.gross_cents += int(gross)
        row.discount_cents += int(discounts)
        row.delivery_cents += int(delivery)
    for raw, amount in refunded:
        row_for(raw).refund_cents += int(amount or 0)
    return list(rows.values())


def _bucket_key(raw: str, grouping: str) -> str:
    return bucket(dt.date.fromisoformat(raw), grouping).isoformat()


# ---- by line: product, category -------------------------------------------------------------

@dataclass
class _Line:
    order_id: int
    key: str
    label: str
    units: int
    gross_cents: int
    line_discount_cents: int
    total_cents: int


def _by_line(reads: Session, period: Period, dimension: str, locale: str) -> list[Row]:
    rows: dict[str, Row] = {}
    orders_of: dict[str, set[int]] = defaultdict(set)

    def row_for(key: str, label: str) -> Row:
        if key not in rows:
            rows[key] = Row(key=key, label=label)
        return rows[key]

    for order_discount, lines in _orders_with_lines(reads, period, dimension, locale):
        shares = share_out(order_discount, [line.total_cents for line in lines])
        for line, share in zip(lines, shares, strict=True):
            row = row_for(line.key, line.label)
            row.units += line.units
            row.gross_cents += line.gross_cents
            row.discount_cents += line.line_discount_cents + share
            orders_of[line.key].add(line.order_id)
    for key, label, amount in _refunds_by_line(reads, period, dimension, locale):
        row_for(key, label).refund_cents += amount
    for key, row in rows.items():
        row.orders = len(orders_of.get(key, ()))
    return list(rows.values())


def _line_key_columns(dimension: str):
    if dimension == "product":
        return (func.coalesce(OrderLine.product_id, -1), OrderLine.name_en, OrderLine.name_si,
                OrderLine.name_ta)
    return (func.coalesce(Category.id, -1), Category.name_en, Category.name_si,
            Category.name_ta)


def _with_category(query, dimension: str):
    if dimension != "category":
        return query
    return (query.outerjoin(Product, Product.id == OrderLine.product_id)
            .outerjoin(Category, Category.id == Product.category_id))


def _name(locale: str, en: str | None, si: str | None, ta: str | None, fallback: str) -> str:
    return {"si": si, "ta": ta}.get(locale) or en or fallback


def _line_label(dimension: str, key: int, names, locale: str) -> tuple[str, str]:
    if key == -1:
        fallback = (str(_l("A product since deleted")) if dimension == "product"
                    else str(_l("No category")))
        return NO_KEY, _name(locale, *names, fallback) if dimension == "product" else fallback
    return str(key), _name(locale, *names, str(key))


def _orders_with_lines(reads: Session, period: Period, dimension: str,
                       locale: str) -> Iterable[tuple[int, list[_Line]]]:
    """(order discount, its lines) for each sale of the period, read in batches."""
    query = _with_category(
        select(Order.id, Order.discount_cents, OrderLine.quantity,
               OrderLine.unit_cents, OrderLine.discount_cents, OrderLine.total_cents,
               *_line_key_columns(dimension))
        .join(OrderLine, OrderLine.order_id == Order.id)
        .where(is_sale(), in_period(Order.placed_at, period)), dimension
    ).order_by(Order.id, OrderLine.id).execution_options(yield_per=2000)
    current_id, current_discount, lines = None, 0, []
    for (order_id, order_discount, quantity, unit, line_discount, total, key,
         *names) in reads.execute(query):
        if order_id != current_id:
            if lines:
                yield current_discount, lines
            current_id, current_discount, lines = order_id, order_discount, []
        code, label = _line_label(dimension, key, names, locale)
        lines.append(_Line(order_id, code, label, quantity, unit * quantity, line_discount,
                           total))
    if lines:
        yield current_discount, lines


def _refunds_by_line(reads: Session, period: Period, dimension: str,
                     locale: str) -> list[tuple[str, str, int]]:
    """(key, label, cents) parts of the period's refunds: each refund shared over the lines it
    returned in proportion to their value; one that returned no item is REFUND_ONLY."""
    refunds = reads.execute(select(Refund.id, Refund.amount_cents)
                            .where(in_period(Refund.created_at, period))).all()
    if not refunds:
        return []
    lines_of: dict[int, list] = defaultdict(list)
    query = _with_category(
        select(RefundLine.refund_id, RefundLine.units, OrderLine.quantity,
               OrderLine.total_cents, *_line_key_columns(dimension))
        .join(Refund, Refund.id == RefundLine.refund_id)
        .join(OrderLine, OrderLine.id == RefundLine.order_line_id)
        .where(in_period(Refund.created_at, period)), dimension
    ).order_by(RefundLine.refund_id, RefundLine.id)
    for refund_id, units, quantity, total, key, *names in reads.execute(query):
        code, label = _line_label(dimension, key, names, locale)
        lines_of[refund_id].append((code, label, total * units // max(quantity, 1)))
    parts = []
    alone = str(_l("Refunds with no item returned"))
    for refund_id, amount in refunds:
        lines = lines_of.get(refund_id)
        if not lines:
            parts.append((REFUND_ONLY, alone, amount))
            continue
        values = [value for _code, _label, value in lines]
        for (code, label, _value), cents in zip(lines, share_out(amount, values), strict=True):
            parts.append((code, label, cents))
    return parts


def _order_count(reads: Session, period: Period) -> int:
    return reads.scalar(select(func.count(Order.id))
                        .where(is_sale(), in_period(Order.placed_at, period))) or 0


def share_out(amount: int, weights: list[int]) -> list[int]:
    """`amount` cents shared over `weights` in proportion, to the cent (largest remainders
    first, then the earlier part): the parts add up to `amount` exactly. All-zero weights
    share equally."""
    if not weights:
        return []
    if amount == 0:
        return [0] * len(weights)
    weights = [max(w, 0) for w in weights]
    whole = sum(weights)
    if whole == 0:
        weights, whole = [1] * len(weights), len(weights)
    parts = [amount * w // whole for w in weights]
    remainders = sorted(range(len(weights)),
                        key=lambda i: (-(amount * weights[i] % whole), i))
    for i in remainders[:amount - sum(parts)]:
        parts[i] += 1
    return parts


# ---- CSV ----------------------------------------------------------------------------------------

CSV_COLUMNS = ("key", "label", "orders", "units", "gross", "discounts", "refunds", "net",
               "delivery", "total", "vat_included")


def csv_rows(report: SalesReport) -> Iterator[tuple]:
    """The report's rows, then its total, as CSV values (rupees as numbers: -1000.00)."""
    for row in [*report.rows, report.total]:
        yield (row.key, row.label, row.orders, None if report.by_order else row.units,
               rupees(row.gross_cents), rupees(row.discount_cents),
               rupees(row.refund_cents), rupees(row.net_cents),
               rupees(row.delivery_cents) if report.by_order else None,
               rupees(row.total_cents) if report.by_order else None,
               rupees(row.vat_cents))


def csv_chunks(report: SalesReport) -> Iterator[bytes]:
    return csv_export.stream(CSV_COLUMNS, csv_rows(report))


def csv_name(report: SalesReport) -> str:
    period = report.period
    return f"sales-by-{report.dimension}-{period.first.isoformat()}-{period.last.isoformat()}"


# ---- labels ------------------------------------------------------------------------------------

def method_label(code: str) -> str:
    method = METHODS.get(code) or PREPAID.get(code)
    return str(method.label) if method else code


def _label(dimension: str, code: str, grouping: str, locale: str) -> str:
    if dimension == "district":
        return district_name(code, locale) if code else str(_l("No delivery address"))
    if dimension == "payment_method":
        return method_label(code)
    return period_label(dt.date.fromisoformat(code), grouping, locale)


def period_label(first: dt.date, grouping: str, locale: str) -> str:
    """"6 Dec 2026", "week of 30 Nov 2026", "December 2026" in the reader's language."""
    from babel.dates import format_date

    from app.i18n import FORMAT_LOCALES

    babel_locale = FORMAT_LOCALES.get(locale, "en_US")
    if grouping == "month":
        return format_date(first, "LLLL y", locale=babel_locale)
    day = format_date(first, "d MMM y", locale=babel_locale)
    if grouping == "week":
        return str(_l("Week of %(day)s", day=day))
    return day
