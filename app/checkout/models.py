"""Carts and delivery options.

A cart belongs to a signed-in customer or, for a guest, to the random token in a cookie
(stored here only as its SHA-256, like every other bearer secret). The choices made during
checkout (address or guest contact, delivery option, payment method) wait on the cart until
the order is placed, sealed like all personal data.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, UTCDateTime, encrypted_str, utc_now


class Cart(Base):
    __tablename__ = "checkout_cart"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts_user.id", ondelete="CASCADE"), index=True)
    # "cart": a shopper's. "draft": an order staff are taking for a customer (by phone), kept
    # until they place it; it reserves nothing, like any cart. A draft has no user_id or token
    # (no shopper's cart page ever finds it): customer_id is who it is for, if they have an
    # account, and staff_id who started it.
    kind: Mapped[str] = mapped_column(String(8), default="cart", server_default="cart",
                                      index=True)
    staff_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts_user.id", ondelete="SET NULL"))
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts_user.id", ondelete="SET NULL"))
    # open -> ordered (the order it became) or merged (into the customer's cart at sign-in)
    status: Mapped[str] = mapped_column(String(10), default="open", index=True)
    checkout: Mapped[encrypted_str | None]  # JSON of the checkout choices so far
    order_number: Mapped[str | None] = mapped_column(String(24))
    # The voucher code the shopper entered, as typed (upper-cased); checked at every pricing.
    voucher_code: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[utc_now]
    updated_at: Mapped[utc_now]

    lines: Mapped[list[CartLine]] = relationship(
        back_populates="cart", cascade="all, delete-orphan", order_by="CartLine.id")


class CartLine(Base):
    __tablename__ = "checkout_cart_line"
    __table_args__ = (
        UniqueConstraint("cart_id", "variant_id", "slot_id", name="one_line_per_item"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cart_id: Mapped[int] = mapped_column(ForeignKey("checkout_cart.id", ondelete="CASCADE"),
                                         index=True)
    variant_id: Mapped[int] = mapped_column(
        ForeignKey("catalog_variant.id", ondelete="CASCADE"), index=True)
    # A service booked for a time: the slot it takes (capacity is held at checkout).
    slot_id: Mapped[int | None] = mapped_column(
        ForeignKey("catalog_service_slot.id", ondelete="CASCADE"))
    quantity: Mapped[int]
    added_at: Mapped[utc_now]

    cart: Mapped[Cart] = relationship(back_populates="lines")


class DeliveryOption(Base):
    """A way goods reach a district: its fee and the order value above which it is free.
    `districts` empty means island-wide."""

    __tablename__ = "checkout_delivery_option"
    __table_args__ = (
        CheckConstraint("fee_cents >= 0", name="fee_not_negative"),
        UniqueConstraint("code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32))
    name_en: Mapped[str] = mapped_column(String(80))
    name_si: Mapped[str | None] = mapped_column(String(80))
    name_ta: Mapped[str | None] = mapped_column(String(80))
    districts: Mapped[list] = mapped_column(JSON, default=list)
    fee_cents: Mapped[int] = mapped_column(default=0)
    free_over_cents: Mapped[int | None]
    min_days: Mapped[int] = mapped_column(default=0)
    max_days: Mapped[int] = mapped_column(default=0)
    # Collect from the shop: no address needed, the order becomes "ready for collection".
    is_pickup: Mapped[bool] = mapped_column(default=False)
    is_active: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[utc_now]
    updated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    def name(self, locale: str = "en") -> str:
        return getattr(self, f"name_{locale}", None) or self.name_en

    def serves(self, district: str | None) -> bool:
        return not self.districts or (district is not None and district in self.districts)
