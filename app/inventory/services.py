"""Stock questions other domains ask. Writes (receipts, reservations) come with checkout."""

from __future__ import annotations

from sqlalchemy import exists, func, select

from app import db
from app.db import transaction
from app.inventory.models import StockLevel, Warehouse


def available(variant_ids: list[int]) -> dict[int, int]:
    """Units available to sell per variant, over every warehouse (0 for unknown ids).
    One query for the whole list, so a listing page asks once."""
    if not variant_ids:
        return {}
    rows = db.session.execute(
        select(StockLevel.variant_id,
               func.sum(StockLevel.on_hand - StockLevel.reserved))
        .where(StockLevel.variant_id.in_(variant_ids))
        .group_by(StockLevel.variant_id)
    ).all()
    found = {variant_id: int(units or 0) for variant_id, units in rows}
    return {variant_id: found.get(variant_id, 0) for variant_id in variant_ids}


def has_stock(variant_id_column):
    """An SQL condition for other domains' queries: the variant has a unit available."""
    return exists().where(StockLevel.variant_id == variant_id_column,
                          StockLevel.on_hand - StockLevel.reserved > 0)


def default_warehouse() -> Warehouse:
    with transaction():
        warehouse = db.session.scalar(select(Warehouse).where(Warehouse.is_default))
        if warehouse is None:
            warehouse = Warehouse(code="MAIN", name="Main warehouse", is_default=True)
            db.session.add(warehouse)
            db.session.flush()
    return warehouse


def set_on_hand(variant_id: int, units: int) -> StockLevel:
    """Set the units on hand in the default warehouse (demo data, imports). Never below the
    units already reserved."""
    with transaction():
        warehouse = default_warehouse()
        level = db.session.scalar(select(StockLevel).where(
            StockLevel.variant_id == variant_id, StockLevel.warehouse_id == warehouse.id))
        if level is None:
            level = StockLevel(variant_id=variant_id, warehouse_id=warehouse.id)
            db.session.add(level)
        level.on_hand = max(units, level.reserved or 0)
    return level
