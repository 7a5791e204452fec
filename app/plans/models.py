"""Plan tables: what a plan is and gives, who subscribes, each period's invoice, and the
service visits a period's credits paid for.

A subscription's state moves trialing -> active -> past_due (grace) -> expired, or to
cancelled (still active until the period ends, then expired). Its benefits count while it is
trialing, active, past due within the grace period, or cancelled before its period's end.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, UTCDateTime, encrypted_str, utc_now

PERIODS = ("month", "year")
# "pending": waiting for the first payment (no benefits yet).
STATES = ("pending", "trialing", "active", "past_due", "cancelled", "expired")
# While in these states a subscription is the customer's one live subscription.
LIVE = ("pending", "trialing", "active", "past_due", "cancelled")
# How a subscription is paid: PayHere's recurring charge, or an invoice each period the
# customer settles by bank transfer or cash at the shop.
PAYMENT_METHODS = ("payhere", "bank_transfer", "cash")
INVOICE_STATES = ("open", "paid", "failed", "void")


class Plan(Base):
    __tablename__ = "plans_plan"
    __table_args__ = (
        UniqueConstraint("code"),
        CheckConstraint("price_cents > 0", name="price_positive"),
        CheckConstraint("trial_days >= 0 AND trial_days <= 90", name="trial_in_range"),
        CheckConstraint("grace_days >= 0 AND grace_days <= 30", name="grace_in_range"),
        CheckConstraint("percent_off IS NULL OR (percent_off >= 1 AND percent_off <= 90)",
                        name="percent_in_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40))  # in URLs: /plans#kade-plus
    name_en: Mapped[str] = mapped_column(String(80))
    name_si: Mapped[str | None] = mapped_column(String(80))
    name_ta: Mapped[str | None] = mapped_column(String(80))
    description_en: Mapped[str | None] = mapped_column(Text)
    description_si: Mapped[str | None] = mapped_column(Text)
    description_ta: Mapped[str | None] = mapped_column(Text)
    price_cents: Mapped[int]
    period: Mapped[str] = mapped_column(String(8), default="month")
    trial_days: Mapped[int] = mapped_column(default=0)
    # Days a subscription keeps its benefits after a failed or missing payment.
    grace_days: Mapped[int] = mapped_column(default=7)
    # Benefits. Free delivery, in every district (None) or those listed (codes).
    free_delivery: Mapped[bool] = mapped_column(default=False)
    free_delivery_districts: Mapped[list | None] = mapped_column(JSON)
    # A percent off the goods of these categories (and the categories below them).
    percent_off: Mapped[int | None]
    percent_off_category_ids: Mapped[list | None] = mapped_column(JSON)
    priority_support: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(10), default="active")  # active | retired
    position: Mapped[int] = mapped_column(default=0)  # order on /plans
    created_at: Mapped[utc_now]
    updated_at: Mapped[utc_now]

    member_prices: Mapped[list[MemberPrice]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", lazy="selectin")
    service_credits: Mapped[list[ServiceCredit]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", lazy="selectin")

    def name(self, locale: str = "en") -> str:
        return getattr(self, f"name_{locale}", None) or self.name_en

    def description(self, locale: str = "en") -> str | None:
        return getattr(self, f"description_{locale}", None) or self.description_en


class MemberPrice(Base):
    """A variant's price for members of the plan."""

    __tablename__ = "plans_member_price"
    __table_args__ = (UniqueConstraint("plan_id", "variant_id", name="one_price_per_variant"),
                      CheckConstraint("price_cents >= 0", name="price_not_negative"))

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans_plan.id", ondelete="CASCADE"))
    variant_id: Mapped[int] = mapped_column(
        ForeignKey("catalog_variant.id", ondelete="CASCADE"), index=True)
    price_cents: Mapped[int]

    plan: Mapped[Plan] = relationship(back_populates="member_prices")


class ServiceCredit(Base):
    """`visits` of a service each period, priced at zero while they last."""

    __tablename__ = "plans_service_credit"
    __table_args__ = (UniqueConstraint("plan_id", "product_id", name="one_credit_per_service"),
                      CheckConstraint("visits >= 1 AND visits <= 100", name="visits_in_range"))

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans_plan.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(
        ForeignKey("catalog_product.id", ondelete="CASCADE"), index=True)
    visits: Mapped[int]

    plan: Mapped[Plan] = relationship(back_populates="service_credits")


class Subscription(Base):
    __tablename__ = "plans_subscription"
    __table_args__ = (
        Index("ix_plans_subscription_user_state", "user_id", "state"),
        # One live subscription per customer, whatever two requests do at once.
        Index("uq_plans_subscription_live", "user_id", unique=True,
              postgresql_where=text("state <> 'expired'"),
              sqlite_where=text("state <> 'expired'")),
        Index("ix_plans_subscription_period_end", "period_end"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("accounts_user.id", ondelete="CASCADE"))
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans_plan.id"))
    # A change of plan waits for the next period.
    next_plan_id: Mapped[int | None] = mapped_column(ForeignKey("plans_plan.id"))
    state: Mapped[str] = mapped_column(String(10), index=True)
    payment_method: Mapped[str] = mapped_column(String(16))
    period_start: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    period_end: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    # Past due: benefits last until then; after it, the subscription expires.
    grace_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    cancel_at_period_end: Mapped[bool] = mapped_column(default=False)
    payhere_subscription_id: Mapped[str | None] = mapped_column(String(64), index=True)
    renewal_reminded_for: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[utc_now]
    updated_at: Mapped[utc_now]
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    plan: Mapped[Plan] = relationship(foreign_keys=[plan_id])
    next_plan: Mapped[Plan | None] = relationship(foreign_keys=[next_plan_id])


class Invoice(Base):
    """What one period costs, and whether it was paid. A PayHere instalment or the
    customer's transfer settles it; `dedupe_key` keeps a replayed notification from
    settling it twice."""

    __tablename__ = "plans_invoice"
    __table_args__ = (
        UniqueConstraint("subscription_id", "period_start", name="one_invoice_per_period"),
        UniqueConstraint("number"),
        CheckConstraint("amount_cents >= 0", name="amount_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(24))
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("plans_subscription.id", ondelete="CASCADE"), index=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans_plan.id"))
    period_start: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    period_end: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    amount_cents: Mapped[int]
    state: Mapped[str] = mapped_column(String(8), default="open", index=True)
    payment_ref: Mapped[str | None] = mapped_column(String(64))  # PayHere's payment_id
    paid_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[utc_now]


class CreditUse(Base):
    """Service visits an order booked on a subscription's credits, in one period."""

    __tablename__ = "plans_credit_use"
    __table_args__ = (Index("ix_plans_credit_use_period", "subscription_id", "period_start",
                            "product_id"),
                      CheckConstraint("visits > 0", name="visits_positive"))

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("plans_subscription.id", ondelete="CASCADE"))
    period_start: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    product_id: Mapped[int]
    order_number: Mapped[str] = mapped_column(String(24), index=True)
    visits: Mapped[int]
    created_at: Mapped[utc_now]


class PlanPaymentEvent(Base):
    """A PayHere notification about a subscription, kept once (`dedupe_key`: its payment id,
    status and message type), with the payload sealed (it names the card holder)."""

    __tablename__ = "plans_payment_event"
    __table_args__ = (UniqueConstraint("dedupe_key", name="one_event_per_notification"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("plans_subscription.id", ondelete="CASCADE"), index=True)
    invoice_id: Mapped[int | None]
    kind: Mapped[str] = mapped_column(String(40))  # PayHere's message type
    amount_cents: Mapped[int | None]
    dedupe_key: Mapped[str] = mapped_column(String(160))
    payment_ref: Mapped[str | None] = mapped_column(String(64))
    raw: Mapped[encrypted_str | None]
    created_at: Mapped[utc_now]
