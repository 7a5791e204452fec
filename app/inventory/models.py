from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utc_now


class Warehouse(Base):
    __tablename__ = "inventory_warehouse"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    is_default: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[utc_now]


class StockLevel(Base):
    """On hand and reserved units of one variant in one warehouse; available is the
    difference, and a conditional update keeps it from going below zero."""

    __tablename__ = "inventory_stock_level"
    __table_args__ = (
        UniqueConstraint("variant_id", "warehouse_id", name="one_level_per_place"),
        CheckConstraint("on_hand >= 0", name="on_hand_not_negative"),
        CheckConstraint("reserved >= 0 AND reserved <= on_hand", name="reserved_within_on_hand"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The variant lives in the catalog domain; the foreign key keeps the data honest.
    variant_id: Mapped[int] = mapped_column(
        ForeignKey("catalog_variant.id", ondelete="CASCADE"), index=True)
    warehouse_id: Mapped[int] = mapped_column(
        ForeignKey("inventory_warehouse.id", ondelete="RESTRICT"), index=True)
    on_hand: Mapped[int] = mapped_column(default=0)
    reserved: Mapped[int] = mapped_column(default=0)
    low_stock_threshold: Mapped[int | None]
    updated_at: Mapped[utc_now]

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved
