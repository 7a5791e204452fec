"""The payment ledger. A payment is one way an order is paid (PayHere, cash on delivery,
bank transfer); every attempt and event on it is a row, with the gateway's raw payload kept
sealed (it names the card holder). The payment's status and amounts follow from its events;
the order's status follows from its payment."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, UTCDateTime, encrypted_str, utc_now

# initiated -> pending -> captured -> (partially_)refunded | charged_back
#           -> cancelled | failed (a later success still captures: notifications come in
#              any order)
PAYMENT_STATUSES = ("initiated", "pending", "captured", "failed", "cancelled", "charged_back",
                    "refunded", "partially_refunded")


class Payment(Base):
    __tablename__ = "payments_payment"
    __table_args__ = (
        UniqueConstraint("order_number", "method", name="one_payment_per_method"),
        CheckConstraint("amount_cents >= 0", name="amount_not_negative"),
        CheckConstraint("refunded_cents >= 0 AND refunded_cents <= captured_cents",
                        name="refunds_within_captured"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Orders are known by number: payments never write the orders' tables.
    order_number: Mapped[str] = mapped_column(String(24), index=True)
    method: Mapped[str] = mapped_column(String(16))  # payhere | cod | bank_transfer
    status: Mapped[str] = mapped_column(String(20), default="initiated", index=True)
    amount_cents: Mapped[int]  # what the order asks for
    currency: Mapped[str] = mapped_column(String(3), default="LKR")
    captured_cents: Mapped[int] = mapped_column(default=0)
    refunded_cents: Mapped[int] = mapped_column(default=0)
    provider_payment_id: Mapped[str | None] = mapped_column(String(64), index=True)
    # Something staff must look at (an amount that does not match, a capture on a cancelled
    # order): shown in the back office until cleared.
    flagged: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[utc_now]
    updated_at: Mapped[utc_now]

    events: Mapped[list[PaymentEvent]] = relationship(
        back_populates="payment", cascade="all, delete-orphan", order_by="PaymentEvent.id")


class PaymentEvent(Base):
    """One thing that happened to a payment. `dedupe_key` is unique: a notification replayed
    (PayHere retries, or a client double-posts) finds its first copy and changes nothing."""

    __tablename__ = "payments_event"
    __table_args__ = (UniqueConstraint("dedupe_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(
        ForeignKey("payments_payment.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    amount_cents: Mapped[int | None]
    dedupe_key: Mapped[str] = mapped_column(String(160))
    provider_ref: Mapped[str | None] = mapped_column(String(64))
    raw: Mapped[encrypted_str | None]  # the gateway's payload as received (JSON)
    note: Mapped[str | None] = mapped_column(String(500))
    actor_id: Mapped[int | None]
    created_at: Mapped[utc_now]
    received_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    payment: Mapped[Payment] = relationship(back_populates="events")
