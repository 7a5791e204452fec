"""Wrong passwords, counted per email blind index whether or not an account uses it, and the
lock that follows: sign-in and the current-password checks share it, and an email no account
uses locks exactly as an account would, so the lock tells nobody who has an account."""

from __future__ import annotations

import datetime as dt
import logging

from flask import current_app
from sqlalchemy import delete, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app import db
from app.accounts.models import SignInFailure, User

log = logging.getLogger(__name__)

# A streak of wrong passwords is forgotten this long after its last failure, for accounts
# and unknown emails alike; rows older than that are deleted, which bounds the table.
FAILURE_MEMORY = dt.timedelta(hours=24)


def _failure_row(index: str, now: dt.datetime, *, create: bool) -> SignInFailure | None:
    """The email's failure row, locked for this transaction (made when `create`)."""
    if create:
        # Two wrong passwords at once for a new email: one inserts, the other finds it.
        insert = (pg_insert if db.session.get_bind().dialect.name == "postgresql"
                  else sqlite_insert)
        db.session.execute(insert(SignInFailure).values(
            email_index=index, failures=0, last_failed_at=now).on_conflict_do_nothing())
    return db.session.scalar(select(SignInFailure).where(SignInFailure.email_index == index)
                             .with_for_update().execution_options(populate_existing=True))


def locked_for(user: User | None, index: str, now: dt.datetime) -> int:
    """Seconds the email still waits (0: not locked). An account's lock is on the user (staff
    and a password reset lift it there); an unknown email's on its failure row."""
    until = user.locked_until if user is not None else None
    if user is None and index:
        row = db.session.get(SignInFailure, index)
        until = row.locked_until if row is not None else None
    if until and until > now:
        return int((until - now).total_seconds()) + 1
    return 0


def count_failure(user: User | None, index: str, now: dt.datetime) -> None:
    config = current_app.config
    if not index:
        return
    row = _failure_row(index, now, create=True)
    if row.last_failed_at < now - FAILURE_MEMORY:
        row.failures = 0
    row.failures += 1
    row.last_failed_at = now
    if row.failures >= config["LOGIN_MAX_FAILURES"]:
        row.failures = 0
        until = now + dt.timedelta(seconds=config["LOGIN_LOCK_SECONDS"])
        if user is not None:
            user.locked_until = until
            log.warning("account_locked", extra={"user_id": user.id})
        else:
            row.locked_until = until
    if user is not None:
        user.failed_logins = row.failures
    # Forgotten streaks go, a few at a time, as new failures come.
    stale = select(SignInFailure.email_index).where(
        SignInFailure.last_failed_at < now - FAILURE_MEMORY,
        or_(SignInFailure.locked_until.is_(None), SignInFailure.locked_until < now)).limit(50)
    db.session.execute(delete(SignInFailure).where(SignInFailure.email_index.in_(stale))
                       .execution_options(synchronize_session=False))


def forget_failures(user: User) -> None:
    """The right password (or a reset) ends the streak."""
    user.failed_logins = 0
    user.locked_until = None
    if user.email_index:
        db.session.execute(delete(SignInFailure).where(
            SignInFailure.email_index == user.email_index)
            .execution_options(synchronize_session=False))
