from __future__ import annotations

import datetime as dt

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime, encrypted_str, utc_now


class OutboxMessage(Base):
    """A message waiting to be delivered. The recipient address is sealed like all PII;
    `dedupe_key` travels with the message (Message-ID) so a duplicate is recognisable."""

    __tablename__ = "notifications_outbox"
    __table_args__ = (UniqueConstraint("dedupe_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(8))  # email | sms
    template: Mapped[str] = mapped_column(String(64))
    recipient: Mapped[encrypted_str]
    user_id: Mapped[int | None] = mapped_column(index=True)
    locale: Mapped[str] = mapped_column(String(5), default="en")
    # Template data: links and ids, sealed because a link can carry a token.
    data: Mapped[encrypted_str]
    dedupe_key: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(10), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[utc_now]
    leased_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[utc_now]


