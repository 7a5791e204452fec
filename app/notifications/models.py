from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime, encrypted_str, utc_now

PURPOSES = ("transactional", "marketing")


class OutboxMessage(Base):
    """A message waiting to be delivered. The recipient address is sealed like all PII;
    `dedupe_key` travels with the message (Message-ID, the SMS gateway's reference) so a
    duplicate is recognisable. The row is the truth: a job only carries its id."""

    __tablename__ = "notifications_outbox"
    __table_args__ = (UniqueConstraint("dedupe_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(8))  # email | sms
    # transactional (orders, passwords: always sent) | marketing (only to those who opted in)
    purpose: Mapped[str] = mapped_column(String(16), default="transactional")
    template: Mapped[str] = mapped_column(String(64))
    recipient: Mapped[encrypted_str]
    user_id: Mapped[int | None] = mapped_column(index=True)
    locale: Mapped[str] = mapped_column(String(5), default="en")
    # Template data: links and ids, sealed because a link can carry a token.
    data: Mapped[encrypted_str]
    dedupe_key: Mapped[str] = mapped_column(String(128))
    # pending -> sent | failed (gave up) | skipped (opted out by the time it was due)
    status: Mapped[str] = mapped_column(String(10), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[utc_now]
    leased_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    provider_ref: Mapped[str | None] = mapped_column(String(64))  # the gateway's message id
    segments: Mapped[int | None]  # SMS parts billed
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[utc_now]


class Preference(Base):
    """How a customer wants to hear from the shop. No row: the defaults (transactional SMS
    on, marketing off on both channels). Transactional mail cannot be switched off: a
    customer must hear that their order shipped or their password changed."""

    __tablename__ = "notifications_preference"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("accounts_user.id", ondelete="CASCADE"), primary_key=True)
    sms_updates: Mapped[bool] = mapped_column(default=True)
    marketing_email: Mapped[bool] = mapped_column(default=False)
    marketing_sms: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[utc_now]
