"""Wallet tables: one account per customer and unit, and its ledger.

A ledger entry is never edited nor deleted. A credit with an expiry date is a "lot": what
is left of it at that date expires by a new entry (kind "expired", `lot_id` naming it).
What is left of each lot is worked out by replaying the ledger (services.lots_left): spends
take from the lot that expires first.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime, utc_now

# "credit": store credit in cents of LKR; "points": loyalty points.
UNITS = ("credit", "points")

# What an entry is. Positive: refund (a refund the customer took as credit), goodwill (from
# staff, with a reason), cashback (a promotion), earned (points for an order paid), returned
# (an order that spent it was cancelled), adjustment (staff, either sign). Negative: spent
# (on an order), taken_back (points of an order cancelled or refunded), expired.
KINDS = ("refund", "goodwill", "cashback", "earned", "returned", "adjustment", "spent",
         "taken_back", "expired")


class WalletAccount(Base):
    __tablename__ = "wallet_account"
    __table_args__ = (
        UniqueConstraint("user_id", "unit", name="one_account_per_unit"),
        # The last line of defence: a spend that would go below zero fails in the database.
        CheckConstraint("balance >= 0", name="balance_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("accounts_user.id", ondelete="CASCADE"))
    unit: Mapped[str] = mapped_column(String(8))
    balance: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[utc_now]
    updated_at: Mapped[utc_now]


class WalletEntry(Base):
    __tablename__ = "wallet_entry"
    __table_args__ = (
        CheckConstraint("amount <> 0", name="amount_not_zero"),
        CheckConstraint("balance_after >= 0", name="balance_after_not_negative"),
        # A retried operation (a form posted twice, an event handled twice) writes once.
        UniqueConstraint("dedupe_key", name="one_entry_per_key"),
        Index("ix_wallet_entry_account_id", "account_id", "id"),
        Index("ix_wallet_entry_expiring", "expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("wallet_account.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(12))
    amount: Mapped[int]  # signed: cents of LKR or points
    balance_after: Mapped[int]
    # Why, in words the customer may read (goodwill, adjustments); staff write it.
    reason: Mapped[str | None] = mapped_column(String(300))
    order_number: Mapped[str | None] = mapped_column(String(24), index=True)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    lot_id: Mapped[int | None]  # an "expired" entry: the credit it expires
    dedupe_key: Mapped[str | None] = mapped_column(String(160))
    actor_id: Mapped[int | None]  # staff who gave or adjusted it
    created_at: Mapped[utc_now]


class PointsSettings(Base):
    """The loyalty scheme, set by staff; one row (id 1). Points are earned on the money a
    customer paid for an order (not on store credit or points spent), spent at checkout at
    `point_value_cents` each, and lapse `expiry_months` after they were earned, with a
    reminder `reminder_days` before."""

    __tablename__ = "wallet_points_settings"
    __table_args__ = (
        CheckConstraint("points_per_100_rupees >= 0 AND points_per_100_rupees <= 100",
                        name="earn_rate_in_range"),
        CheckConstraint("point_value_cents >= 1 AND point_value_cents <= 10000",
                        name="point_value_in_range"),
        CheckConstraint("expiry_months >= 1 AND expiry_months <= 60",
                        name="expiry_in_range"),
        CheckConstraint("reminder_days >= 0 AND reminder_days <= 90",
                        name="reminder_in_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enabled: Mapped[bool] = mapped_column(default=True)
    points_per_100_rupees: Mapped[int] = mapped_column(default=1)
    point_value_cents: Mapped[int] = mapped_column(default=100)
    expiry_months: Mapped[int] = mapped_column(default=12)
    reminder_days: Mapped[int] = mapped_column(default=30)
    updated_at: Mapped[utc_now]
    updated_by: Mapped[int | None]
