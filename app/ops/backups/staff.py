"""What the back office shows and does about backups (administrators: MANAGE_JOBS)."""

from __future__ import annotations

from sqlalchemy import select

from app import db
from app.audit import services as audit
from app.ops.backups import services as backups
from app.ops.backups.errors import BackupError
from app.ops.backups.models import BackupRun
from app.queue import enqueue
from app.security.roles import Permission, require

RECENT = 20


def overview(actor) -> dict:
    """Freshness, the recent runs and the newest stored backups. A target that cannot be
    read (S3 down, a wrong BACKUP_URL) is shown as such, not raised."""
    require(actor, Permission.MANAGE_JOBS)
    runs = db.session.scalars(select(BackupRun).order_by(BackupRun.id.desc()).limit(RECENT))
    try:
        stored, stored_error = backups.list_backups(RECENT), None
    except BackupError as exc:
        stored, stored_error = [], str(exc)
    return {"status": backups.status(), "runs": list(runs), "stored": stored,
            "stored_error": stored_error, "database": backups.database_kind()}


def request_backup(actor, *, ip: str | None = None) -> None:
    """Queue a backup now (the database's own copy) on the `backups` queue."""
    require(actor, Permission.MANAGE_JOBS)
    job = "jobs.backups.snapshot" if backups.database_kind() == "sqlite" else "jobs.backups.now"
    audit.record("backups.requested", actor_id=getattr(actor, "id", None),
                 target_type="backup", target_id=None, ip=ip)
    db.session.commit()
    enqueue(job, queue="backups", retries=0)
