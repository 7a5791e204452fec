"""Domain events and their handling, one row per (event, handler).

An event says what happened to which aggregate (`key`, e.g. "order:KD-2026-000042") with
ids and numbers only: never a name, an address or a phone (an event outlives an erasure).
Each handler registered for the event's name gets its own `Handling` row, so a handler that
fails is retried on its own clock while the others are done with."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, UTCDateTime, utc_now

STATUSES = ("pending", "done", "failed")


class Event(Base):
    __tablename__ = "events_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))  # "order.placed"
    key: Mapped[str] = mapped_column(String(64), index=True)  # "order:KD-2026-000042"
    data: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[utc_now]

    handlings: Mapped[list[Handling]] = relationship(back_populates="event")


class Handling(Base):
    """One handler's work on one event. `key` is the event's, copied here so that "is an
    earlier event of this aggregate still waiting for this handler?" is one index lookup."""

    __tablename__ = "events_handling"
    __table_args__ = (
        Index("ix_events_handling_due", "status", "next_attempt_at"),
        Index("ix_events_handling_order", "handler", "key", "event_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(
        ForeignKey("events_event.id", ondelete="CASCADE"), index=True)
    handler: Mapped[str] = mapped_column(String(96))  # the handler's stable name
    key: Mapped[str] = mapped_column(String(64))
    # pending -> done | failed (gave up after EVENTS_MAX_ATTEMPTS; staff may retry it)
    status: Mapped[str] = mapped_column(String(8), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[utc_now]
    leased_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))
    done_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    event: Mapped[Event] = relationship(back_populates="handlings")
