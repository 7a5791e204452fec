"""What promotions, vouchers and plan benefits earned in a period: for each, the orders that
used it, how many of those came with a voucher code, the discount it gave (line, order and
delivery discounts), the cashback it promised, and the revenue of those orders (their totals:
what the customers paid, all goods of the order included).

Read from the discounts as each order recorded them (`OrderAdjustment`: a copy of the
promotion's name at the time), so a promotion edited or deleted since still reports under
the name the customers saw. Only sales count (`sales.is_sale`), on the Colombo day the order
was placed.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, distinct, func, select
from sqlalchemy.orm import Session

from app.orders.models import Order, OrderAdjustment
from app.reports.days import Period
from app.reports.sales import in_period, is_sale
from app.reports.tables import Column, Table

COLUMNS = [
    Column("promotion", _l("Promotion")),
    Column("orders", _l("Orders"), "count"),
    Column("voucher_orders", _l("With a voucher code"), "count"),
    Column("discount", _l("Discount given"), "money"),
    Column("cashback", _l("Cashback promised"), "money"),
    Column("revenue", _l("Revenue of these orders"), "money"),
]


def promotions_report(reads: Session, period: Period, *, locale: str = "en") -> Table:
    label = {"si": OrderAdjustment.label_si, "ta": OrderAdjustment.label_ta}.get(
        locale, OrderAdjustment.label_en)
    is_cashback = OrderAdjustment.kind == "cashback"
    per_rule = (
        select(OrderAdjustment.rule, OrderAdjustment.order_id,
               func.max(func.coalesce(label, OrderAdjustment.label_en)).label("label"),
               func.max(OrderAdjustment.voucher).label("voucher"),
               func.sum(case((is_cashback, 0), else_=OrderAdjustment.amount_cents))
               .label("discount"),
               func.sum(case((is_cashback, OrderAdjustment.amount_cents), else_=0))
               .label("cashback"))
        .join(Order, Order.id == OrderAdjustment.order_id)
        .where(is_sale(), in_period(Order.placed_at, period))
        .group_by(OrderAdjustment.rule, OrderAdjustment.order_id)).subquery()
    rows = reads.execute(
        select(per_rule.c.rule, func.max(per_rule.c.label), func.count(distinct(Order.id)),
               func.count(per_rule.c.voucher), func.sum(per_rule.c.discount),
               func.sum(per_rule.c.cashback), func.sum(Order.total_cents))
        .join(Order, Order.id == per_rule.c.order_id)
        .group_by(per_rule.c.rule)).all()
    table_rows = sorted(
        ({"rule": rule, "promotion": name, "orders": orders, "voucher_orders": vouchers,
          "discount": int(discount or 0), "cashback": int(cashback or 0),
          "revenue": int(revenue or 0)}
         for rule, name, orders, vouchers, discount, cashback, revenue in rows),
        key=lambda row: (-row["revenue"], row["promotion"]))
    total = {"promotion": str(_l("Total")),
             "orders": _orders_with_any(reads, period),
             "voucher_orders": None,
             "discount": sum(row["discount"] for row in table_rows),
             "cashback": sum(row["cashback"] for row in table_rows),
             "revenue": None}
    return Table(COLUMNS, table_rows, total,
                 chart=[(row["promotion"], row["discount"]) for row in table_rows[:12]],
                 chart_caption=_l("Discount given by each promotion"),
                 notes=[_l("An order that used two promotions counts in both; the total "
                           "counts it once. Revenue is the whole order's total.")])


def _orders_with_any(reads: Session, period: Period) -> int:
    return reads.scalar(
        select(func.count(distinct(OrderAdjustment.order_id)))
        .join(Order, Order.id == OrderAdjustment.order_id)
        .where(is_sale(), in_period(Order.placed_at, period))) or 0
