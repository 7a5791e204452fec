"""Write and read the audit log."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select

from app.audit.models import AuditEntry
from app.db import session, transaction
from app.errors import Forbidden
from app.security.roles import Permission, can

PAGE_SIZE = 50


def record(action: str, *, actor_id: int | None, target_type: str | None = None,
           target_id=None, success: bool = True, ip: str | None = None,
           **details) -> AuditEntry:
    """Add an entry inside the caller's transaction (or its own, if there is none)."""
    with transaction():
        entry = AuditEntry(action=action, actor_id=actor_id, target_type=target_type,
                           target_id=None if target_id is None else str(target_id),
                           success=success, ip=ip, details=details)
        session.add(entry)
    return entry


def failures_since_last_success(actions, *, target_type: str, target_id,
                                since: dt.datetime) -> int:
    """How many of `actions` on the target failed at or after `since` and after the last
    one that succeeded (a lock counts guesses since the last right answer)."""
    this_target = (AuditEntry.action.in_(tuple(actions)), AuditEntry.target_type == target_type,
                   AuditEntry.target_id == str(target_id))
    last_right = session.scalar(
        select(func.max(AuditEntry.id)).where(*this_target, AuditEntry.success.is_(True)))
    return session.scalar(
        select(func.count()).select_from(AuditEntry).where(
            *this_target, AuditEntry.success.is_(False), AuditEntry.at >= since,
            AuditEntry.id > (last_right or 0))) or 0


@dataclass(frozen=True)
class AuditFilter:
    action: str | None = None
    actor_id: int | None = None
    success: bool | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None


@dataclass(frozen=True)
class AuditPage:
    entries: list[AuditEntry]
    page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))


def search(viewer_role: str | None, filters: AuditFilter, page: int = 1) -> AuditPage:
    """Newest first. Only roles that may read the audit log get here. Raises Forbidden."""
    if not can(viewer_role, Permission.READ_AUDIT_LOG):
        raise Forbidden()
    query = select(AuditEntry)
    if filters.action:
        # A prefix ("login." finds every sign-in entry); "_" in a name is not a wildcard.
        query = query.where(AuditEntry.action.startswith(filters.action, autoescape=True))
    if filters.actor_id is not None:
        query = query.where(AuditEntry.actor_id == filters.actor_id)
    if filters.success is not None:
        query = query.where(AuditEntry.success == filters.success)
    if filters.since:
        query = query.where(AuditEntry.at >= filters.since)
    if filters.until:
        query = query.where(AuditEntry.at < filters.until)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    page = max(1, page)
    rows = session.scalars(
        query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    ).all()
    return AuditPage(list(rows), page, total)


def actions() -> list[str]:
    return list(session.scalars(select(AuditEntry.action).distinct().order_by(AuditEntry.action)))
