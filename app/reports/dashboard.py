"""The figures of the staff dashboard (/staff), one function per card. Each checks the
permission its card needs, so a role sees only the cards it may (the view asks `cards_for`).

Sales cards read the reports' connection (`database.reading`); the jobs card asks Redis and
the backups card the backup service, as their own pages do.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from app.catalog.models import Product, Variant
from app.inventory.models import StockLevel
from app.orders.models import Order, OrderLine
from app.payments.models import Refund
from app.reports import days
from app.reports.days import Period, local_day
from app.reports.sales import Row, in_period, is_sale, vat_percent
from app.security.roles import Permission, can, require
from app.support.models import Ticket

# Which card each permission opens, in the order they appear.
CARDS = (
    ("sales", Permission.VIEW_REPORTS),
    ("to_do", Permission.MANAGE_ORDERS),
    ("top_products", Permission.VIEW_REPORTS),
    ("low_stock", Permission.MANAGE_INVENTORY),
    ("support", Permission.MANAGE_SUPPORT),
    ("operations", Permission.MANAGE_JOBS),
    ("offers", Permission.MANAGE_PROMOTIONS),
)
WINDOWS = (1, 7, 30)  # today, the last 7 and the last 30 days (today included)
CHART_DAYS = 30
TOP = 5


def cards_for(actor) -> list[str]:
    return [card for card, permission in CARDS if can(actor.role, permission)]


# ---- sales: today, 7 and 30 days against the period before, and a chart by day -------------

@dataclass
class Window:
    days: int
    now: Row
    before: Row

    @staticmethod
    def change(now: int, before: int) -> int | None:
        """Percent change, None when there is nothing to compare with."""
        if before == 0:
            return None
        return round((now - before) * 100 / before)

    @property
    def sales_change(self) -> int | None:
        return self.change(self.now.total_cents, self.before.total_cents)

    @property
    def orders_change(self) -> int | None:
        return self.change(self.now.orders, self.before.orders)

    @property
    def average_change(self) -> int | None:
        if self.now.average_order_cents is None or self.before.average_order_cents is None:
            return None
        return self.change(self.now.average_order_cents, self.before.average_order_cents)


@dataclass
class SalesCard:
    windows: list[Window]
    chart: list[Row]  # the last CHART_DAYS days, oldest first


def sales_card(reads: Session, *, actor, today: dt.date | None = None) -> SalesCard:
    """Sales, orders and average order for today, 7 and 30 days, each against the as many
    days before; and the last 30 days by day. Two queries over the last 60 days."""
    require(actor, Permission.VIEW_REPORTS)
    today = today or days.today()
    span = Period.ending(today, 2 * max(WINDOWS))
    by_day = _by_day(reads, span)
    percent = vat_percent()

    def summed(period: Period) -> Row:
        row = Row(key=period.first.isoformat(), label="", vat_percent=percent)
        for day in period.each_day():
            row.add(by_day.get(day.isoformat()) or Row(key="", label=""))
        return row

    windows = []
    for length in WINDOWS:
        period = Period.ending(today, length)
        windows.append(Window(length, summed(period), summed(period.before())))
    chart = [summed(Period(day, day)) for day in Period.ending(today, CHART_DAYS).each_day()]
    return SalesCard(windows, chart)


def _by_day(reads: Session, period: Period) -> dict[str, Row]:
    """Each Colombo day's orders, goods after discounts, delivery and refunds."""
    day = local_day(Order.placed_at)
    rows: dict[str, Row] = {}
    for key, orders, goods, delivery in reads.execute(
            select(day, func.count(Order.id), func.sum(Order.subtotal_cents
                                                       - Order.discount_cents),
                   func.sum(Order.delivery_fee_cents))
            .where(is_sale(), in_period(Order.placed_at, period)).group_by(day)):
        # The dashboard needs no split of gross and discounts: goods after discounts.
        rows[key] = Row(key=key, label="", orders=orders, gross_cents=int(goods or 0),
                        delivery_cents=int(delivery or 0))
    refund_day = local_day(Refund.created_at)
    for key, amount in reads.execute(
            select(refund_day, func.sum(Refund.amount_cents))
            .where(in_period(Refund.created_at, period)).group_by(refund_day)):
        rows.setdefault(key, Row(key=key, label="")).refund_cents += int(amount or 0)
    return rows


# ---- orders needing action ----------------------------------------------------------------------

@dataclass
class ToDo:
    to_pack: int  # paid, not confirmed yet
    to_ship: int  # confirmed, not sent yet
    unpaid_transfers: int  # bank transfers waiting for the money
    cash_to_collect: int  # cash on delivery sent or delivered, the cash not recorded yet


def to_do(reads: Session, *, actor) -> ToDo:
    require(actor, Permission.MANAGE_ORDERS)
    sent = ("shipped", "ready_for_collection", "delivered", "completed")

    def counted(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    row = reads.execute(select(
        counted(Order.status == "paid"),
        counted(Order.status == "processing"),
        counted((Order.status == "pending_payment")
                & (Order.payment_method == "bank_transfer")),
        counted((Order.payment_method == "cod") & (Order.payment_status != "paid")
                & Order.status.in_(sent)),
    ).where(Order.status.in_(("paid", "processing", "pending_payment", *sent)))).one()
    return ToDo(*(int(value) for value in row))


# ---- top products, low stock ---------------------------------------------------------------------

@dataclass
class TopProduct:
    product_id: int | None
    name: str
    units: int
    sales_cents: int


def top_products(reads: Session, *, actor, locale: str = "en",
                 today: dt.date | None = None, limit: int = TOP) -> list[TopProduct]:
    """The best sellers of the last 30 days by what they sold for (after line discounts)."""
    require(actor, Permission.VIEW_REPORTS)
    period = Period.ending(today or days.today(), CHART_DAYS)
    name = {"si": OrderLine.name_si, "ta": OrderLine.name_ta}.get(locale, OrderLine.name_en)
    sales = func.sum(OrderLine.total_cents)
    rows = reads.execute(
        select(OrderLine.product_id, func.max(func.coalesce(name, OrderLine.name_en)),
               func.sum(OrderLine.quantity), sales)
        .join(Order, Order.id == OrderLine.order_id)
        .where(is_sale(), in_period(Order.placed_at, period))
        .group_by(OrderLine.product_id).order_by(sales.desc()).limit(limit))
    return [TopProduct(product_id, name, int(units), int(cents))
            for product_id, name, units, cents in rows]


@dataclass
class LowStock:
    count: int
    items: list[tuple[str, str, int]]  # (product name, sku, units available)


def low_stock(reads: Session, *, actor, locale: str = "en", limit: int = TOP) -> LowStock:
    """Stock at or below its alert level, the emptiest first."""
    require(actor, Permission.MANAGE_INVENTORY)
    available = StockLevel.on_hand - StockLevel.reserved
    low = (StockLevel.low_stock_threshold.is_not(None)
           & (available <= StockLevel.low_stock_threshold))
    count = reads.scalar(select(func.count(StockLevel.id)).where(low)) or 0
    rows = reads.execute(
        select(Product.name_en, Product.name_si, Product.name_ta, Variant.sku, available)
        .join(Variant, Variant.id == StockLevel.variant_id)
        .join(Product, Product.id == Variant.product_id)
        .where(low).order_by(available, Variant.sku).limit(limit))
    items = [({"si": si, "ta": ta}.get(locale) or en, sku, int(units))
             for en, si, ta, sku, units in rows]
    return LowStock(count, items)


# ---- support ---------------------------------------------------------------------------------

@dataclass
class SupportCard:
    open_count: int
    oldest_waiting_since: dt.datetime | None  # the open ticket waiting longest for the shop


def support_card(reads: Session, *, actor) -> SupportCard:
    require(actor, Permission.MANAGE_SUPPORT)
    count, oldest = reads.execute(
        select(func.count(Ticket.id), func.min(Ticket.last_activity_at))
        .where(Ticket.status == "open")).one()
    if oldest is not None and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=dt.UTC)
    return SupportCard(int(count), oldest)


# ---- operations: failed jobs, the backup's age ---------------------------------------------------

@dataclass
class OperationsCard:
    failed_jobs: int | None  # None: Redis is down
    failed_messages: int
    backup_age: dt.timedelta | None  # None: no good backup yet
    backup_stale: bool


def operations_card(*, actor) -> OperationsCard:
    require(actor, Permission.MANAGE_JOBS)
    from app.ops import jobs, services as ops

    overview = jobs.overview(actor, limit=1)  # only the counts are shown
    backups = ops.backup_freshness()
    return OperationsCard(
        failed_jobs=None if overview.redis_down else overview.failed_total,
        failed_messages=overview.failed_messages_total,
        backup_age=(dt.timedelta(seconds=backups["age_seconds"])
                    if backups.get("age_seconds") is not None else None),
        backup_stale=not backups.get("ok", False))
