from __future__ import annotations

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utc_now


class AuditEntry(Base):
    """One recorded action. It holds ids and action names, never personal data in clear:
    the actor is a user id, and `details` carries only ids, counts and field names."""

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[utc_now] = mapped_column(index=True)
    actor_id: Mapped[int | None] = mapped_column(index=True)  # no FK: entries outlive users
    action: Mapped[str] = mapped_column(String(64), index=True)
    target_type: Mapped[str | None] = mapped_column(String(32))
    target_id: Mapped[str | None] = mapped_column(String(64))
    success: Mapped[bool] = mapped_column(default=True)
    ip: Mapped[str | None] = mapped_column(String(45))
    details: Mapped[dict] = mapped_column(JSON, default=dict)
