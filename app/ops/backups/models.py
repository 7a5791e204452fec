"""The record of every backup run: what the back office, /readyz and the stale-backup alert
read. The backups themselves live in BACKUP_URL, described by their manifests; this table is
only the history (a restored database has the history up to its own backup)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime, utcnow


class BackupRun(Base):
    __tablename__ = "ops_backup_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    # snapshot (SQLite) | dump (pg_dump -Fc) | full | diff | incr (pgBackRest) | prune
    kind: Mapped[str] = mapped_column(String(12))
    status: Mapped[str] = mapped_column(String(8), default="running", index=True)  # ok|failed
    backup_id: Mapped[str | None] = mapped_column(String(80))
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    error: Mapped[str | None] = mapped_column(Text)  # never row data: messages of our own
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)
    # When staff were told this run failed (a failure is announced once).
    alerted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
