"""Staff hear when backups fail or go stale: a mail, through the outbox, to every active
staff member who may manage jobs (administrators).

Each failed run is announced once (its `alerted_at`). A stale recovery point is announced
once per episode: the mail's dedupe key names the last good backup (and, on PostgreSQL, the
last archived WAL time), so the alert comes again only after backups resumed and stopped
again. The watch runs every few minutes from the schedule.
"""

from __future__ import annotations

import logging

from sqlalchemy import select
from werkzeug.routing import BuildError

from app import db
from app.accounts import staff
from app.db import transaction, utcnow
from app.links import external_url
from app.notifications import services as notifications
from app.ops.backups import services as backups
from app.ops.backups.models import BackupRun
from app.security.roles import Permission

log = logging.getLogger(__name__)

TEMPLATE = "backup_alert"


def watch() -> list[str]:
    """Queue the alerts due now. Returns their reasons ("failed", "stale"), for the log."""
    reasons = []
    with transaction():
        recipients = staff.active_staff_with(Permission.MANAGE_JOBS)
        failed = db.session.scalars(select(BackupRun).where(
            BackupRun.status == "failed", BackupRun.alerted_at.is_(None))
            .order_by(BackupRun.id)).all()
        info = backups.status()
        link = _link()
        for run in failed:
            for user in recipients:
                notifications.queue_email(
                    TEMPLATE, to=user.email, user_id=user.id,
                    dedupe_key=f"{TEMPLATE}:failed:{run.id}:{user.id}", reason="failed",
                    kind=run.kind, error=run.error or "", at=run.finished_at.isoformat(),
                    link=link)
            run.alerted_at = utcnow()
            reasons.append("failed")
        if info["stale"]:
            archive = info["archive"] or {}
            episode = f"{info['last_backup_id'] or 'none'}:{archive.get('last_archived_at')}"
            for user in recipients:
                notifications.queue_email(
                    TEMPLATE, to=user.email, user_id=user.id,
                    dedupe_key=f"{TEMPLATE}:stale:{episode}:{user.id}", reason="stale",
                    age_minutes=(None if info["recovery_point_age_seconds"] is None
                                 else info["recovery_point_age_seconds"] // 60),
                    limit_minutes=info["max_age_seconds"] // 60, link=link)
            reasons.append("stale")
    if reasons:
        log.warning("backup_alert", extra={"reasons": reasons, "recipients": len(recipients)})
    return reasons


def _link() -> str | None:
    try:
        return external_url("staff.backup_list")
    except BuildError:  # a worker's app without the back office
        return None
