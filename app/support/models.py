"""Support tickets and their messages.

A ticket belongs to one customer and may name one of their orders (kept as the order's
number, as payments keep it: the orders domain owns the order row). A guest's ticket has no
customer: it names the order whose page the guest asked from, and the guest is reached through
that order's contact details. Subjects and message
bodies are sealed like all personal data, since customers write names, phone numbers and
addresses into both; staff search subjects after opening them (support.services).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, EncryptedText, UTCDateTime, utc_now, utcnow

STATUSES = ("open", "waiting", "closed")  # waiting: on the customer, after a staff reply
MAX_SUBJECT = 120
MAX_BODY = 5000


class Ticket(Base):
    __tablename__ = "support_ticket"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'waiting', 'closed')", name="status_known"),
    )

    # The id is the ticket number customers and staff quote ("#42").
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(  # None: a guest's, about `order_number`
        ForeignKey("accounts_user.id", ondelete="CASCADE"), index=True)
    order_number: Mapped[str | None] = mapped_column(String(24), index=True)
    subject: Mapped[str] = mapped_column(EncryptedText)  # at most MAX_SUBJECT characters
    status: Mapped[str] = mapped_column(String(8), default="open", index=True)
    created_at: Mapped[utc_now]
    # What both lists sort by: the newest message, or a close / reopen.
    last_activity_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow,
                                                       index=True)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    messages: Mapped[list[TicketMessage]] = relationship(
        back_populates="ticket", cascade="all, delete-orphan", order_by="TicketMessage.id")

    @property
    def number(self) -> int:
        return self.id


class TicketMessage(Base):
    """One message of a thread. Staff notes (`is_note`) are for staff only: the customer
    never sees them and they notify no one."""

    __tablename__ = "support_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("support_ticket.id", ondelete="CASCADE"), index=True)
    author_kind: Mapped[str] = mapped_column(String(8))  # customer | staff
    author_id: Mapped[int | None]
    body: Mapped[str] = mapped_column(EncryptedText)
    is_note: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[utc_now]
    # Set on a staff reply when the customer opens the thread.
    read_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    ticket: Mapped[Ticket] = relationship(back_populates="messages")
