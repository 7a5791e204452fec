"""The payment ledger. A payment is one way an order is paid (PayHere, cash on delivery,
bank transfer); every attempt and event on it is a row, with the gateway's raw payload kept
sealed (it names the card holder). The payment's status and amounts follow from its events;
the order's status follows from its payment."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, UTCDateTime, encrypted_str, utc_now, utcnow

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


# ---- refunds, transfer slips and staff settings -----------------------------------------------

# How a refund's money goes back: through the gateway at once ("gateway"), or by staff by hand
# (cash, a bank transfer, or PayHere's own portal when we have no API credentials).
REFUND_STATES = ("done", "credited", "to_pay_back", "paid_back")


class Refund(Base):
    """Money given back on a payment, whole or in part. The payment's `refunded_cents` is
    the sum of its refunds; `lines` says which items (and how many) the refund was for."""

    __tablename__ = "payments_refund"
    __table_args__ = (
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        # A form posted twice (a double click, a retry) makes one refund, not two.
        UniqueConstraint("payment_id", "request_key", name="one_refund_per_request"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(
        ForeignKey("payments_payment.id", ondelete="CASCADE"), index=True)
    order_number: Mapped[str] = mapped_column(String(24), index=True)
    amount_cents: Mapped[int]
    reason: Mapped[str] = mapped_column(String(500))
    mode: Mapped[str] = mapped_column(String(10))  # gateway | manual | credit
    state: Mapped[str] = mapped_column(String(12))  # done | credited | to_pay_back | paid_back
    restock: Mapped[bool] = mapped_column(default=False)
    provider_ref: Mapped[str | None] = mapped_column(String(64))  # PayHere's refund id
    request_key: Mapped[str | None] = mapped_column(String(64))
    actor_id: Mapped[int | None]
    # Indexed for reports: a refund counts on the day it was made.
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # When staff said the money of a manual refund went back, and who.
    settled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    settled_by: Mapped[int | None]

    lines: Mapped[list[RefundLine]] = relationship(
        back_populates="refund", cascade="all, delete-orphan", order_by="RefundLine.id")


class RefundLine(Base):
    """Units of one order line a refund was for, and how many of them went back on the
    shelf (never more than were sent, never twice)."""

    __tablename__ = "payments_refund_line"
    __table_args__ = (
        CheckConstraint("units > 0", name="units_positive"),
        CheckConstraint("restocked_units >= 0 AND restocked_units <= units",
                        name="restocked_within_units"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    refund_id: Mapped[int] = mapped_column(
        ForeignKey("payments_refund.id", ondelete="CASCADE"), index=True)
    # Orders are reached by number and line id, never by a foreign key (see Payment).
    order_line_id: Mapped[int] = mapped_column(index=True)
    units: Mapped[int]
    restocked_units: Mapped[int] = mapped_column(default=0)

    refund: Mapped[Refund] = relationship(back_populates="lines")


SLIP_STATES = ("pending", "verified", "rejected")


class TransferSlip(Base):
    """A customer's proof of a bank transfer: a picture (re-encoded, no metadata) or a PDF
    (rebuilt without actions), sealed with the PII keys, kept in the media store under a key
    nobody can guess and served only through the order's own pages. `size_bytes` is the
    unsealed file's."""

    __tablename__ = "payments_transfer_slip"

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(
        ForeignKey("payments_payment.id", ondelete="CASCADE"), index=True)
    order_number: Mapped[str] = mapped_column(String(24), index=True)
    storage_key: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(40))  # image/webp | application/pdf
    size_bytes: Mapped[int]
    status: Mapped[str] = mapped_column(String(10), default="pending", index=True)
    uploaded_by: Mapped[int | None]  # the customer's id; None for a guest
    created_at: Mapped[utc_now]
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    reviewed_by: Mapped[int | None]
    # Why it was rejected, in words the customer reads in their mail.
    review_note: Mapped[str | None] = mapped_column(String(500))


class PaymentSettings(Base):
    """Staff-set rules for the payment methods; one row (id 1). Cash on delivery: the
    largest order it may pay (None: no limit) and the districts it is offered in
    (None: every district; otherwise district codes joined by commas)."""

    __tablename__ = "payments_settings"
    __table_args__ = (CheckConstraint("cod_max_cents IS NULL OR cod_max_cents >= 0",
                                      name="cod_max_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cod_max_cents: Mapped[int | None]
    cod_districts: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[utc_now]
    updated_by: Mapped[int | None]
