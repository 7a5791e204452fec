"""Promotions: what a discount needs (conditions that must all hold), what it gives (one
benefit), how it stacks, and its limits; voucher codes; and one redemption row per order that
used a promotion, so limits are counted and a cancelled order gives its use back.

Conditions and the benefit are columns rather than a JSON blob: staff filter and report on
them, and a migration can check them. Lists of ids are JSON (a promotion names a handful).
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
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, UTCDateTime, utc_now

# Each benefit and the class it stacks as (Shopify's product / order / shipping classes).
BENEFITS = {
    "line_percent": "line",   # percent off qualifying lines
    "line_fixed": "line",     # amount off each qualifying unit
    "buy_x_get_y": "line",    # per group of X + Y qualifying units, the cheapest Y at percent off
    "tiered": "line",         # percent off qualifying lines by how many are bought
    "bundle": "line",         # a set of variants bought together for one price
    "order_percent": "order",
    "order_fixed": "order",
    "delivery": "delivery",   # percent off the delivery fee (100 = free), or an amount off
    # Not a discount: a percent of the goods paid back as store credit once the order's
    # money arrives (payments.credit), shown as a reward beside the price.
    "cashback": "reward",
}
CLASSES = ("line", "order", "delivery")


class Promotion(Base):
    __tablename__ = "promotions_promotion"
    __table_args__ = (
        CheckConstraint("percent IS NULL OR (percent >= 1 AND percent <= 100)",
                        name="percent_in_range"),
        CheckConstraint("amount_cents IS NULL OR amount_cents >= 0", name="amount_positive"),
        CheckConstraint("uses_count >= 0 AND discount_given_cents >= 0",
                        name="counters_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # What the customer reads on the cart, the order and the invoice, in each language.
    name_en: Mapped[str] = mapped_column(String(120))
    name_si: Mapped[str | None] = mapped_column(String(120))
    name_ta: Mapped[str | None] = mapped_column(String(120))
    description_en: Mapped[str | None] = mapped_column(Text)
    description_si: Mapped[str | None] = mapped_column(Text)
    description_ta: Mapped[str | None] = mapped_column(Text)
    is_public: Mapped[bool] = mapped_column(default=True)  # listed on /offers and the API
    paused: Mapped[bool] = mapped_column(default=False)
    # One customer's voucher made by the system (app/promotions/personal.py): never in the
    # running set every cart is priced against (a shop sends thousands); a cart carrying its
    # code loads it.
    personal: Mapped[bool] = mapped_column(default=False, server_default=false())
    starts_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    ends_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # exclusive
    # Higher goes first; an exclusive promotion never stacks, others stack with the classes
    # named in combines_with (both sides must allow it).
    priority: Mapped[int] = mapped_column(default=0)
    exclusive: Mapped[bool] = mapped_column(default=False)
    combines_with: Mapped[list] = mapped_column(JSON, default=list)

    benefit: Mapped[str] = mapped_column(String(20))
    percent: Mapped[int | None]
    amount_cents: Mapped[int | None]
    buy_quantity: Mapped[int | None]
    get_quantity: Mapped[int | None]
    tiers: Mapped[list] = mapped_column(JSON, default=list)  # [[min quantity, percent], …]
    bundle_variant_ids: Mapped[list] = mapped_column(JSON, default=list)

    # Conditions (all must hold). Qualifying items: any of these products, variants or
    # categories (with their sub-categories); none named means every item qualifies.
    product_ids: Mapped[list] = mapped_column(JSON, default=list)
    variant_ids: Mapped[list] = mapped_column(JSON, default=list)
    category_ids: Mapped[list] = mapped_column(JSON, default=list)
    min_subtotal_cents: Mapped[int | None]
    min_quantity: Mapped[int | None]
    districts: Mapped[list] = mapped_column(JSON, default=list)
    first_order_only: Mapped[bool] = mapped_column(default=False)
    signed_in_only: Mapped[bool] = mapped_column(default=False)
    segment_customer_ids: Mapped[list] = mapped_column(JSON, default=list)

    requires_code: Mapped[bool] = mapped_column(default=False)
    max_uses: Mapped[int | None]
    max_uses_per_customer: Mapped[int | None]
    max_discount_cents: Mapped[int | None]
    # Counted by conditional updates in the order's transaction (services.redeem).
    uses_count: Mapped[int] = mapped_column(default=0)
    discount_given_cents: Mapped[int] = mapped_column(default=0)

    created_at: Mapped[utc_now]
    updated_at: Mapped[utc_now]

    codes: Mapped[list[VoucherCode]] = relationship(
        back_populates="promotion", cascade="all, delete-orphan", order_by="VoucherCode.id")

    @property
    def benefit_class(self) -> str:
        return BENEFITS[self.benefit]

    def name(self, locale: str = "en") -> str:
        return getattr(self, f"name_{locale}", None) or self.name_en

    def status(self, now: dt.datetime) -> str:
        """scheduled, running, paused, ended or exhausted (`now` in UTC)."""
        if self.ends_at is not None and now >= self.ends_at:
            return "ended"
        if (self.max_uses is not None and self.uses_count >= self.max_uses) or (
                self.max_discount_cents is not None
                and self.discount_given_cents >= self.max_discount_cents):
            return "exhausted"
        if self.paused:
            return "paused"
        if self.starts_at is not None and now < self.starts_at:
            return "scheduled"
        return "running"

    def description(self, locale: str = "en") -> str:
        return getattr(self, f"description_{locale}", None) or self.description_en or ""


class VoucherCode(Base):
    """A code that unlocks a promotion. Stored upper-case; typed in any case."""

    __tablename__ = "promotions_voucher_code"
    __table_args__ = (
        UniqueConstraint("code"),
        CheckConstraint("uses_count >= 0", name="uses_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    promotion_id: Mapped[int] = mapped_column(
        ForeignKey("promotions_promotion.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(32))
    max_uses: Mapped[int | None]  # 1: single use; None: as many as the promotion allows
    uses_count: Mapped[int] = mapped_column(default=0)
    batch: Mapped[str | None] = mapped_column(String(40))  # bulk codes made together
    created_at: Mapped[utc_now]

    promotion: Mapped[Promotion] = relationship(back_populates="codes")


class Redemption(Base):
    """A promotion used by an order. Released when the order is cancelled; a refund keeps it
    (staff may release it by hand)."""

    __tablename__ = "promotions_redemption"
    __table_args__ = (
        Index("ix_promotions_redemption_customer", "promotion_id", "user_id"),
        Index("ix_promotions_redemption_phone", "promotion_id", "phone_index"),
        Index("ix_promotions_redemption_email", "promotion_id", "email_index"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    promotion_id: Mapped[int] = mapped_column(
        ForeignKey("promotions_promotion.id", ondelete="CASCADE"))
    code_id: Mapped[int | None] = mapped_column(
        ForeignKey("promotions_voucher_code.id", ondelete="SET NULL"))
    order_number: Mapped[str] = mapped_column(String(24), index=True)
    # Who used it: an account, and for everyone the blind indexes of the order's phone and
    # email, so a guest is counted like a customer.
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts_user.id", ondelete="SET NULL"))
    phone_index: Mapped[str | None] = mapped_column(String(64))
    email_index: Mapped[str | None] = mapped_column(String(64))
    amount_cents: Mapped[int]
    created_at: Mapped[utc_now]
    released_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
