"""What shoppers did, for recommendations: product views, searches, cart adds and purchases
(one row each), and each customer's choice about personalisation.

An event holds nothing personal beyond the customer's id: a signed-out visitor is a random
first-party id (the `kade_visitor` cookie), joined to the customer when they sign in. A
search keeps its words only when they cannot be a person's details (see tracking.py).
Events are kept 13 months, then deleted by a job.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
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


class StoredList(Base):
    """One recommendation list, as the nightly job left it: a page reads its lists in one
    query. `kind` says whose (LIST_KINDS); `owner` is the customer's id, the product's id, a
    district's code, a category's id, or "shop". `items` is JSON, best first:
    [[product id, reason product id or null], ...], at most 50."""

    __tablename__ = "recommendations_list"

    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    owner: Mapped[str] = mapped_column(String(40), primary_key=True)
    items: Mapped[str] = mapped_column(Text)
    computed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


LIST_KINDS = ("buy_again", "for_you", "together", "popular", "popular_district",
              "popular_category")
PERSONAL_KINDS = ("buy_again", "for_you")  # made about one customer


OFFER_SOURCES = ("for_you", "buy_again")


class OfferTemplate(Base):
    """A personal offer staff define ("10 % off one 'for you' item"): each night, eligible
    customers get a single-use voucher for the first item of their `source` list, or are held
    out (`holdout_percent` of them, at random) to measure what the offer changes."""

    __tablename__ = "recommendations_offer_template"
    __table_args__ = (
        CheckConstraint("source IN ('for_you', 'buy_again')", name="source_known"),
        CheckConstraint("(percent IS NULL) <> (amount_cents IS NULL)", name="one_benefit"),
        CheckConstraint("percent IS NULL OR (percent >= 1 AND percent <= 90)",
                        name="percent_in_range"),
        CheckConstraint("amount_cents IS NULL OR amount_cents > 0", name="amount_positive"),
        CheckConstraint("holdout_percent >= 0 AND holdout_percent <= 50",
                        name="holdout_in_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))  # staff's name for it
    source: Mapped[str] = mapped_column(String(20))
    percent: Mapped[int | None]
    amount_cents: Mapped[int | None]
    valid_days: Mapped[int] = mapped_column(default=14)  # the voucher's life
    holdout_percent: Mapped[int] = mapped_column(default=10)
    measure_days: Mapped[int] = mapped_column(default=14)  # the report's window after a send
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[utc_now]
    updated_at: Mapped[utc_now]


class OfferSend(Base):
    """One night's decision for one customer and template: a voucher sent, or held out.
    One per template, customer and Colombo week, so a second run of the job changes nothing."""

    __tablename__ = "recommendations_offer_send"
    __table_args__ = (
        UniqueConstraint("template_id", "customer_id", "week", name="once_a_week"),
        Index("ix_recommendations_offer_send_customer", "customer_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(
        ForeignKey("recommendations_offer_template.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("accounts_user.id", ondelete="CASCADE"))
    week: Mapped[str] = mapped_column(String(8))  # ISO week in Colombo, 2026-W49
    held_out: Mapped[bool]
    product_id: Mapped[int | None]
    promotion_id: Mapped[int | None]  # the voucher's promotion (None: held out)
    code: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
