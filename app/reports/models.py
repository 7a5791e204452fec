"""Report runs: a report too big for a page, prepared by a job as a CSV file. The row holds
its progress (polled by the page) and where the file is, so any web process can follow a job
that runs in any worker."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime, utc_now

RUN_STATUSES = ("queued", "running", "done", "failed")


class ReportRun(Base):
    __tablename__ = "reports_run"
    __table_args__ = (
        CheckConstraint("status IN ('queued', 'running', 'done', 'failed')",
                        name="status_known"),
        CheckConstraint("progress >= 0 AND progress <= 100", name="progress_percent"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # "sales"
    # The report's choices: {"first": "2025-01-01", "last": …, "by": …, "grouping": …,
    # "locale": "si"}; the same choices asked again while one runs get that run.
    params: Mapped[dict] = mapped_column(JSON)
    params_key: Mapped[str] = mapped_column(String(200), index=True)
    requested_by: Mapped[int | None]
    status: Mapped[str] = mapped_column(String(10), default="queued")
    progress: Mapped[int] = mapped_column(default=0)  # percent
    rows: Mapped[int] = mapped_column(default=0)
    file_key: Mapped[str | None] = mapped_column(String(200))  # the CSV, in storage (private)
    error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[utc_now]
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
