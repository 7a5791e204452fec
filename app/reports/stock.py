"""Stock: what is on the shelves, what it is worth at cost (where staff gave a variant its
cost) and at price, how fast it sells, and how many days it lasts at that pace.

Sold is the units of the period's sales (default: the last 30 days); days of cover are the
units available divided by the units sold a day in that period (none sold: no figure, and
the item is a slow mover). Services are not stocked and not listed.
"""

from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.catalog.models import Product, Variant
from app.inventory.models import StockLevel
from app.orders.models import Order, OrderLine
from app.reports.days import Period
from app.reports.sales import in_period, is_sale
from app.reports.tables import Column, Table

COLUMNS = [
    Column("product", _l("Product")),
    Column("sku", _l("SKU")),
    Column("on_hand", _l("On hand"), "count"),
    Column("available", _l("Available"), "count"),
    Column("cost", _l("Cost a unit"), "money"),
    Column("value_at_cost", _l("Value at cost"), "money"),
    Column("value_at_price", _l("Value at price"), "money"),
    Column("sold", _l("Sold in the period"), "count"),
    Column("days_of_cover", _l("Days of cover"), "ratio"),
]
SLOW = "slow"  # a row's flag: stock on hand, nothing sold in the period


def stock_report(reads: Session, period: Period, *, locale: str = "en") -> Table:
    sold = dict(reads.execute(
        select(OrderLine.variant_id, func.sum(OrderLine.quantity))
        .join(Order, Order.id == OrderLine.order_id)
        .where(is_sale(), in_period(Order.placed_at, period), OrderLine.variant_id.is_not(None))
        .group_by(OrderLine.variant_id)).all())
    levels = reads.execute(
        select(Variant.id, Variant.sku, Variant.price_cents, Variant.cost_cents,
               Product.name_en, Product.name_si, Product.name_ta,
               func.sum(StockLevel.on_hand), func.sum(StockLevel.on_hand - StockLevel.reserved))
        .join(StockLevel, StockLevel.variant_id == Variant.id)
        .join(Product, Product.id == Variant.product_id)
        .where(Product.kind == "product")
        .group_by(Variant.id, Variant.sku, Variant.price_cents, Variant.cost_cents,
                  Product.name_en, Product.name_si, Product.name_ta)).all()
    rows = []
    for (variant_id, sku, price, cost, en, si, ta, on_hand, available) in levels:
        on_hand, available = int(on_hand or 0), int(available or 0)
        units = int(sold.get(variant_id) or 0)
        per_day = Decimal(units) / period.days
        rows.append({
            "product": {"si": si, "ta": ta}.get(locale) or en, "sku": sku,
            "on_hand": on_hand, "available": available, "cost": cost,
            "value_at_cost": on_hand * cost if cost is not None else None,
            "value_at_price": on_hand * price, "sold": units,
            "days_of_cover": ((Decimal(max(available, 0)) / per_day).quantize(Decimal("0.1"))
                              if units else None),
            "flag": SLOW if on_hand > 0 and not units else None})
    rows.sort(key=lambda row: (-(row["value_at_cost"] or 0), -row["value_at_price"],
                               row["sku"]))
    known = [row for row in rows if row["cost"] is not None]
    at_cost = sum(row["value_at_cost"] for row in known)
    at_price = sum(row["value_at_price"] for row in rows)
    slow = [row for row in rows if row["flag"] == SLOW]
    total = {"product": str(_l("Total")), "sku": None,
             "on_hand": sum(row["on_hand"] for row in rows),
             "available": sum(row["available"] for row in rows), "cost": None,
             "value_at_cost": at_cost, "value_at_price": at_price,
             "sold": sum(row["sold"] for row in rows), "days_of_cover": None}
    return Table(
        COLUMNS, rows, total,
        chart=[(f'{row["product"]} · {row["sku"]}', row["value_at_cost"])
               for row in known[:12]],
        chart_caption=_l("The stock worth most at cost"),
        summary=[(_l("Stock value at cost"), at_cost, "money"),
                 (_l("Items without a cost"), len(rows) - len(known), "count"),
                 (_l("Stock value at price"), at_price, "money"),
                 (_l("Slow movers (nothing sold in the period)"), len(slow), "count")],
        notes=[_l("Value at cost counts only the items whose cost is known; give a variant "
                  "its cost price in the catalogue to include it.")])
