from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime, utc_now


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
    # Set when staff were told this level ran low; cleared when it rises above the threshold
    # again, so one shortage sends one alert.
    low_stock_alerted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[utc_now]
    # The last change of the units available made while FEW_UNITS or fewer were available,
    # before or after (services._few_left_changed): the only changes a product card can show
    # ("Only 3 left", "Sold out"). Listings' ETags read the newest (an index), so a sale of
    # one of fifty units does not make every listing stale. None: no such change yet.
    low_changed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


MOVEMENT_KINDS = ("receipt", "adjustment", "sale", "return", "transfer_in", "transfer_out")


class StockMovement(Base):
    """One change of the units on hand; `quantity` is signed (a sale is negative)."""

    __tablename__ = "inventory_stock_movement"
    __table_args__ = (CheckConstraint("quantity <> 0", name="quantity_not_zero"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    variant_id: Mapped[int] = mapped_column(
        ForeignKey("catalog_variant.id", ondelete="CASCADE"), index=True)
    warehouse_id: Mapped[int] = mapped_column(
        ForeignKey("inventory_warehouse.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    quantity: Mapped[int]
    reason: Mapped[str | None] = mapped_column(String(200))
    # What caused it: an order number, a receipt reference, a transfer's pair.
    reference: Mapped[str | None] = mapped_column(String(64), index=True)
    actor_id: Mapped[int | None]
    created_at: Mapped[utc_now]


class Reservation(Base):
    """Units held for an order. `state` goes held -> sold (shipped) or held -> released
    (cancelled, expired); never back, so releasing or selling twice changes nothing."""

    __tablename__ = "inventory_reservation"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The order's number: inventory knows orders only by reference, not by table.
    reference: Mapped[str] = mapped_column(String(64), index=True)
    variant_id: Mapped[int] = mapped_column(
        ForeignKey("catalog_variant.id", ondelete="CASCADE"), index=True)
    warehouse_id: Mapped[int] = mapped_column(
        ForeignKey("inventory_warehouse.id", ondelete="RESTRICT"))
    quantity: Mapped[int]
    state: Mapped[str] = mapped_column(String(10), default="held", index=True)
    created_at: Mapped[utc_now]
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
