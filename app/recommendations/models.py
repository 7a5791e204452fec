"""What shoppers did, for recommendations: product views, searches, cart adds and purchases
(one row each), and each customer's choice about personalisation.

An event holds nothing personal beyond the customer's id: a signed-out visitor is a random
first-party id (the `kade_visitor` cookie), joined to the customer when they sign in. A
search keeps its words only when they cannot be a person's details (see tracking.py).
Events are kept 13 months, then deleted by a job.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime, utc_now

KINDS = ("view", "search", "cart_add", "purchase")


class ShopperEvent(Base):
    __tablename__ = "recommendations_event"
    __table_args__ = (
        CheckConstraint("kind IN ('view', 'search', 'cart_add', 'purchase')",
                        name="kind_known"),
        CheckConstraint("customer_id IS NOT NULL OR visitor_id IS NOT NULL", name="someone"),
        Index("ix_recommendations_event_customer", "customer_id", "created_at"),
    )

    # Many rows: 64 bits on PostgreSQL; SQLite's rowid is already 64-bit, and only INTEGER
    # spelt so is its auto-numbered key.
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                    primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    customer_id: Mapped[int | None]
    visitor_id: Mapped[str | None] = mapped_column(String(32), index=True)
    product_id: Mapped[int | None]
    # A cart add knows the variant; the recommender maps it to its product when it reads.
    variant_id: Mapped[int | None]
    quantity: Mapped[int | None]
    query: Mapped[str | None] = mapped_column(String(64))  # a search's words, made plain
    found: Mapped[bool | None]  # a search: did it find anything
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)


class PersonalisationChoice(Base):
    """A customer who said no to personalisation (PDPA's right not to be subject to
    automated decisions). No row: yes, the default."""

    __tablename__ = "recommendations_choice"

    customer_id: Mapped[int] = mapped_column(
        ForeignKey("accounts_user.id", ondelete="CASCADE"), primary_key=True)
    personalised: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[utc_now]
