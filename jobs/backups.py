"""Backup jobs, on the `backups` queue so a long dump never delays mail. Thin: they open an
app context and call a service. Each does nothing where it does not apply (a snapshot on
PostgreSQL, a dump on SQLite, pgBackRest without a stanza), so the schedule is one list for
every shop."""

import datetime as dt

from jobs.context import app_context

# How often each runs: a job that finds a backup of its kind younger than (90 % of) this
# does not make another (a restarted scheduler runs every interval job at once; two
# schedulers by mistake would run the nightly ones twice).
SNAPSHOT_EVERY = 5 * 60
DUMP_EVERY = 24 * 60 * 60
FULL_EVERY = 7 * 24 * 60 * 60
DIFF_EVERY = 24 * 60 * 60
# When the nightly and weekly ones run (jobs/schedule.py), in Asia/Colombo time: the quiet
# of the night, the dump first, then the weekly full on Sunday or the day's differential.
DUMP_AT = "02:00"
FULL_AT = "sun 03:00"
DIFF_AT = "03:30"


def _every(seconds: float) -> dt.timedelta:
    from jobs.schedule import scale

    return dt.timedelta(seconds=seconds * scale())


def snapshot() -> str | None:
    """SQLite: an online snapshot (every 5 minutes: the RPO). Returns the backup id."""
    from app.ops.backups import services as backups

    with app_context():
        if backups.database_kind() != "sqlite":
            return None
        return backups.create("snapshot")["id"]


def dump() -> str | None:
    """PostgreSQL: the nightly logical copy (pg_dump -Fc). Returns the backup id."""
    from app.ops.backups import services as backups

    with app_context():
        if backups.database_kind() != "postgresql":
            return None
        made = backups.create_if_due("dump", _every(DUMP_EVERY))
        return made["id"] if made else None


def archive_backup(kind: str, every: float) -> str | None:
    """PostgreSQL with pgBackRest: a full (weekly) or differential (daily) backup."""
    from flask import current_app

    from app.ops.backups import pgbackrest, services as backups

    with app_context():
        if backups.database_kind() != "postgresql" or not pgbackrest.enabled(current_app.config):
            return None
        made = backups.create_if_due(kind, _every(every))
        return made["id"] if made else None


def full() -> str | None:
    return archive_backup("full", FULL_EVERY)


def differential() -> str | None:
    return archive_backup("diff", DIFF_EVERY)


def prune() -> list[str]:
    """Delete backups retention no longer keeps. Returns their ids."""
    from app.ops.backups import services as backups

    with app_context():
        return backups.prune()


def watch() -> list[str]:
    """Mail the administrators about failed or stale backups (once per failure/episode)."""
    from app.ops.backups import alerts

    with app_context():
        return alerts.watch()


def now() -> str:
    """A backup asked for by staff: the database's own copy, whatever was made lately."""
    from app.ops.backups import services as backups

    with app_context():
        return backups.create()["id"]
