"""Reports too big for a page (more than a year of sales): prepared by a job on the `low`
queue as a CSV file, with progress the page polls, and downloaded when ready.

The job reads a month at a time (`sales.in_steps`) on the reports' connection with a
timeout of minutes rather than a page's seconds, commits its progress after each month, and
keeps the file in the app's storage (private: only this module's download gives it out).
Asked twice for the same report while it is being prepared, it gives the same run.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets

from flask_babel import force_locale
from sqlalchemy import select, update

from app import db
from app.db import transaction, utcnow
from app.errors import Invalid, NotFound
from app.queue import enqueue
from app.reports import sales
from app.reports.database import reading
from app.reports.days import GROUPINGS, Period
from app.reports.models import ReportRun
from app.security.roles import Permission, require
from app.storage import storage

log = logging.getLogger(__name__)

JOB = "jobs.reports.run_report"
JOB_TIMEOUT_MS = 10 * 60 * 1000  # a statement of a month's orders; a page allows seconds
MAX_DAYS = 10 * 366  # ten years: beyond that the shop did not exist


def request_sales(period: Period, *, dimension: str, grouping: str, locale: str,
                  actor) -> ReportRun:
    """A run preparing the sales report as a CSV (the one already under way for the same
    choices, if any). Raises Forbidden, Invalid."""
    require(actor, Permission.VIEW_REPORTS)
    if dimension not in sales.DIMENSIONS or grouping not in GROUPINGS:
        raise Invalid(field="by")
    if period.days > MAX_DAYS or period.first > period.last:
        raise Invalid(field="first")
    params = {"first": period.first.isoformat(), "last": period.last.isoformat(),
              "by": dimension, "grouping": grouping, "locale": locale}
    key = ":".join(["sales", *params.values()])
    with transaction():
        running = db.session.scalars(
            select(ReportRun).where(ReportRun.params_key == key,
                                    ReportRun.status.in_(("queued", "running")))
            .order_by(ReportRun.id.desc()).limit(1)).first()
        if running is not None:
            return running
        run = ReportRun(kind="sales", params=params, params_key=key,
                        requested_by=getattr(actor, "id", None), status="queued")
        db.session.add(run)
    enqueue(JOB, run.id, queue="low")  # after the commit: the job must find the row
    return run


def get_run(run_id: int, *, actor) -> ReportRun:
    require(actor, Permission.VIEW_REPORTS)
    run = db.session.get(ReportRun, run_id)
    if run is None:
        raise NotFound()
    return run


def run_file(run_id: int, *, actor) -> tuple[bytes, str]:
    """The finished run's CSV and a file name for it. Raises Forbidden, NotFound."""
    run = get_run(run_id, actor=actor)
    if run.status != "done" or not run.file_key:
        raise NotFound()
    p = run.params
    return (storage().read(run.file_key),
            f"sales-by-{p['by']}-{p['first']}-{p['last']}")


def run_report(run_id: int) -> ReportRun | None:
    """The job: claim a queued run, read the report a month at a time, save the CSV. A run
    already claimed (the job delivered twice) is left alone."""
    if not _claim(run_id):
        return None
    run = db.session.get(ReportRun, run_id)
    p = run.params
    period = Period(dt.date.fromisoformat(p["first"]), dt.date.fromisoformat(p["last"]))
    try:
        with force_locale(p["locale"]):
            report = sales.in_steps(lambda: reading(timeout_ms=JOB_TIMEOUT_MS), period,
                                    dimension=p["by"], grouping=p["grouping"],
                                    locale=p["locale"],
                                    done=lambda n, steps: save_progress(run_id, n, steps))
            data = b"".join(sales.csv_chunks(report))
        key = f"reports/run-{run_id}-{secrets.token_hex(8)}.csv"
        storage().save(key, data, "text/csv")
    except Exception as error:  # a failed run says so on its page instead of spinning on
        log.exception("report_run_failed", extra={"run_id": run_id})
        _finish(run_id, status="failed", error=type(error).__name__)
        return db.session.get(ReportRun, run_id)
    _finish(run_id, status="done", progress=100, rows=len(report.rows), file_key=key)
    return db.session.get(ReportRun, run_id)


def save_progress(run_id: int, done: int, steps: int) -> None:
    """Committed after each step, so the page polling the run sees it move; 100 only when
    the file is saved."""
    with transaction():
        db.session.execute(update(ReportRun).where(ReportRun.id == run_id)
                           .values(progress=min(99, done * 100 // max(steps, 1))))


def _claim(run_id: int) -> bool:
    with transaction():
        claimed = db.session.execute(
            update(ReportRun).where(ReportRun.id == run_id, ReportRun.status == "queued")
            .values(status="running"))
    return claimed.rowcount == 1


def _finish(run_id: int, **values) -> None:
    with transaction():
        db.session.execute(update(ReportRun).where(ReportRun.id == run_id)
                           .values(finished_at=utcnow(), **values))
    db.session.expire_all()
