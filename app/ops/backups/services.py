"""Backups: make, list, verify, restore and prune them; say how fresh they are.

One pipeline for both databases: the database's own copy (SQLite's backup API, or
`pg_dump -Fc`) -> compressed and encrypted (sealed.py) -> BACKUP_URL with a manifest. On
PostgreSQL, pgBackRest's continuous WAL archive is the minute-by-minute recovery point; the
nightly dump is the logical copy beside it.

What the CLI, the scheduled jobs and the back office call. Nothing here reads a request.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import secrets
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from app import db, migrate
from app.db import transaction, utcnow
from app.ops.backups import pgbackrest, pgdump, sealed, sqlite
from app.ops.backups.errors import BackupError, CorruptBackup, RestoreRefused
from app.ops.backups.models import BackupRun
from app.ops.backups.targets import target_for

log = logging.getLogger(__name__)

SEALED = ".kbak"
MANIFEST = ".json"
# What each database's own copy is called, in manifests, ids and the run history.
COPY_KIND = {"sqlite": "snapshot", "postgresql": "dump"}
ARCHIVE_KINDS = ("full", "diff", "incr")  # pgBackRest's


@dataclass(frozen=True)
class Manifest:
    id: str
    created_at: dt.datetime  # UTC, when the copy was taken
    database: str  # sqlite | postgresql
    kind: str  # snapshot | dump
    schema_revision: str | None
    size: int  # bytes of the sealed file
    sha256: str  # of the sealed file
    key_id: str
    source_size: int  # bytes of the database copy before sealing
    format: int = 1

    def to_json(self) -> str:
        data = asdict(self) | {"created_at": self.created_at.isoformat()}
        return json.dumps(data, indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        data = json.loads(text)
        data["created_at"] = dt.datetime.fromisoformat(data["created_at"])
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


def database_kind(config=None) -> str:
    config = config or current_app.config
    return "sqlite" if make_url(config["DATABASE_URL"]).get_backend_name() == "sqlite" \
        else "postgresql"


def _keys(config) -> dict[str, bytes]:
    spec = config.get("BACKUP_KEYS")
    if not spec:
        raise BackupError("BACKUP_KEYS is not set: backups cannot be sealed or opened.")
    return sealed.parse_keys(spec)


def _new_id(database: str, kind: str, now: dt.datetime) -> str:
    # Sorts by time, to the millisecond (--to-time picks by it); the random tail keeps two
    # backups of one millisecond apart.
    return (f"{now:%Y%m%dT%H%M%S}.{now.microsecond // 1000:03d}Z-{database}-{kind}-"
            f"{secrets.token_hex(2)}")


def _time_of(backup_id: str) -> dt.datetime | None:
    try:
        return dt.datetime.strptime(backup_id[:20], "%Y%m%dT%H%M%S.%fZ").replace(tzinfo=dt.UTC)
    except ValueError:
        return None


# --- making one --------------------------------------------------------------------------


def create(kind: str | None = None) -> dict:
    """Take a backup now. `kind`: the database's own copy by default (a SQLite snapshot or a
    pg_dump), or full / diff / incr for pgBackRest. Records the run; raises BackupError."""
    config = current_app.config
    database = database_kind(config)
    kind = kind or COPY_KIND[database]
    if kind in ARCHIVE_KINDS and (database != "postgresql" or not pgbackrest.enabled(config)):
        raise BackupError(f"A {kind} backup needs PostgreSQL with pgBackRest "
                          "(PGBACKREST_STANZA); this shop has none.")
    if kind not in ARCHIVE_KINDS and kind != COPY_KIND[database]:
        raise BackupError(f"{database} backups are of kind {COPY_KIND[database]!r}, "
                          f"not {kind!r}.")
    run = _start_run(kind)
    try:
        if kind in ARCHIVE_KINDS:
            done = pgbackrest.backup(config, kind)
            result = {"id": done["label"], "kind": kind, "size": done.get("size"),
                      "created_at": done.get("finished_at") or utcnow(),
                      "target": "pgBackRest repository"}
        else:
            manifest = _copy_and_seal(config, database, kind)
            result = {"id": manifest.id, "kind": kind, "size": manifest.size,
                      "created_at": manifest.created_at,
                      "target": target_for(config).describe()}
    except (BackupError, OSError) as exc:
        _finish_run(run, status="failed", error=str(exc))
        raise BackupError(str(exc)) from exc
    _finish_run(run, status="ok", backup_id=result["id"], size_bytes=result["size"])
    return result


def create_if_due(kind: str, every: dt.timedelta) -> dict | None:
    """`create(kind)` unless a good backup of that kind finished less than 90 % of `every`
    ago. A scheduler that restarts runs every periodic job at once: the weekly full backup
    made yesterday is not made again. A full backup also counts as a differential."""
    kinds = ("full", "diff") if kind == "diff" else (kind,)
    last = db.session.scalar(
        select(BackupRun.finished_at).where(BackupRun.status == "ok", BackupRun.kind.in_(kinds))
        .order_by(BackupRun.finished_at.desc()).limit(1))
    db.session.commit()  # end the read: create() writes from its own transactions
    if last and utcnow() - last < every * 0.9:
        return None
    return create(kind)


def _copy_and_seal(config, database: str, kind: str) -> Manifest:
    keys = _keys(config)
    target = target_for(config)
    with tempfile.TemporaryDirectory(prefix="kade-backup-") as work:
        copy, packed = Path(work) / "copy", Path(work) / "sealed"
        now = utcnow()
        if database == "sqlite":
            sqlite.snapshot(sqlite.database_path(config["DATABASE_URL"]), copy)
            revision = sqlite.check(copy)
        else:
            pgdump.dump(config["DATABASE_URL"], copy)
            revision = migrate.current_heads(config["DATABASE_URL"]) or None
        backup_id = _new_id(database, kind, now)
        digest = sealed.seal(copy, packed, backup_id=backup_id, keys=keys)
        manifest = Manifest(
            id=backup_id, created_at=now, database=database, kind=kind,
            schema_revision=revision, size=packed.stat().st_size, sha256=digest,
            key_id=list(keys)[-1], source_size=copy.stat().st_size)
        target.put_file(backup_id + SEALED, packed)
        target.put_text(backup_id + MANIFEST, manifest.to_json())  # last: marks it complete
    return manifest


def _start_run(kind: str) -> int | None:
    """Record the run. Bookkeeping never stops a backup: a database whose schema predates
    the run table (older code made it), or one that cannot take a write, is still copied."""
    try:
        with transaction():
            run = BackupRun(kind=kind, status="running")
            db.session.add(run)
            db.session.flush()
            return run.id
    except SQLAlchemyError as exc:
        db.session.rollback()
        log.warning("backup_run_not_recorded", extra={"error": type(exc).__name__})
        return None


def _finish_run(run_id: int | None, **values) -> None:
    if run_id is None:
        return
    with transaction():
        run = db.session.get(BackupRun, run_id)
        for name, value in values.items():
            setattr(run, name, value)
        run.finished_at = utcnow()


# --- finding them ------------------------------------------------------------------------


def backup_ids(config=None) -> list[str]:
    """Ids of the complete backups in BACKUP_URL (sealed file and manifest), oldest first."""
    names = set(target_for(config or current_app.config).names())
    ids = {n.removesuffix(MANIFEST) for n in names if n.endswith(MANIFEST)}
    return sorted(i for i in ids if i + SEALED in names and _time_of(i))


def manifest(backup_id: str, config=None) -> Manifest:
    text = target_for(config or current_app.config).get_text(backup_id + MANIFEST)
    try:
        return Manifest.from_json(text)
    except (ValueError, KeyError, TypeError) as exc:
        raise CorruptBackup(f"The manifest of {backup_id} is damaged.") from exc


def list_backups(limit: int | None = None) -> list[Manifest]:
    """The newest `limit` backups (all by default), newest first."""
    ids = backup_ids()[::-1]
    return [manifest(i) for i in (ids[:limit] if limit else ids)]


def _pick(backup_id: str | None, to_time: dt.datetime | None, database: str) -> Manifest:
    if backup_id:
        found = manifest(backup_id)
        if found.database != database:
            raise RestoreRefused(f"{backup_id} is a {found.database} backup; this shop runs "
                                 f"on {database}.")
        return found
    ids = [i for i in backup_ids() if f"Z-{database}-" in i]
    if to_time:
        ids = [i for i in ids if _time_of(i) <= to_time]
    if not ids:
        when = f" made at or before {to_time:%Y-%m-%d %H:%M:%S} UTC" if to_time else ""
        raise RestoreRefused(f"There is no {database} backup{when} in "
                             f"{target_for(current_app.config).describe()}.")
    return manifest(ids[-1])


# --- checking and opening ----------------------------------------------------------------


def _fetch_and_open(found: Manifest, work: Path) -> Path:
    """Download, check the checksum, decrypt and check the copy. Returns the copy's path.
    Raises CorruptBackup or WrongKey; touches nothing live."""
    config = current_app.config
    packed, copy = work / "sealed", work / "copy"
    target_for(config).get_file(found.id + SEALED, packed)
    if sealed.checksum(packed) != found.sha256:
        raise CorruptBackup(f"{found.id} does not match its checksum: the file was changed "
                            "or damaged after it was made. Use another backup.")
    sealed.unseal(packed, copy, keys=_keys(config), backup_id=found.id)
    if found.database == "sqlite":
        sqlite.check(copy)
    else:
        pgdump.check(copy)
    return copy


def verify(backup_id: str | None = None) -> Manifest:
    """Prove a backup can be restored: checksum, every encrypted part, and the database
    copy inside (SQLite's integrity check, or pg_restore reading the dump's table of
    contents). The newest backup by default."""
    found = manifest(backup_id) if backup_id else _pick(None, None, database_kind())
    with tempfile.TemporaryDirectory(prefix="kade-verify-") as work:
        _fetch_and_open(found, Path(work))
    return found


# --- restoring ---------------------------------------------------------------------------


def restore(backup_id: str | None = None, *, to_time: dt.datetime | None = None,
            replace_data: bool = False) -> dict:
    """Bring the database back from a backup, then migrate it forward to this code's schema.

    Without an id: on PostgreSQL with pgBackRest, recovery from the WAL archive (to its end,
    or to `to_time`); otherwise the newest backup (made at or before `to_time`). A database
    that still holds data is replaced only with `replace_data` (it is kept aside, never
    deleted). Raises RestoreRefused (nothing touched) or BackupError."""
    config = current_app.config
    url = config["DATABASE_URL"]
    database = database_kind(config)
    started = time.perf_counter()
    if database == "postgresql" and backup_id is None and pgbackrest.enabled(config):
        outcome = pgbackrest.restore(config, to_time=to_time)
        db.dispose_engines()
        migrate.upgrade(url)
        return {"source": "pgBackRest WAL archive", "id": None,
                "recovered_to": outcome.get("recovered_to"), "kept": None,
                "schema_revision": migrate.current_heads(url),
                "seconds": round(time.perf_counter() - started, 1)}

    found = _pick(backup_id, to_time, database)
    holds_data = (sqlite.has_data(sqlite.database_path(url)) if database == "sqlite"
                  else pgdump.has_data(url))
    if holds_data and not replace_data:
        raise RestoreRefused("The database still holds data. Restoring replaces it (it is "
                             "kept aside, not deleted): run again with --yes to go on.")
    kept_as = f"before_restore_{utcnow():%Y%m%dT%H%M%S}"
    with tempfile.TemporaryDirectory(prefix="kade-restore-",
                                     dir=_work_dir(config, database)) as work:
        copy = _fetch_and_open(found, Path(work))
        db.session.remove()
        db.dispose_engines()  # no pooled connection may keep the old file or database open
        if database == "sqlite":
            kept = sqlite.put_in_place(copy, sqlite.database_path(url), kept_as)
        else:
            kept = pgdump.restore(url, copy, kept_as)
    migrate.upgrade(url)
    _remember_restored(found)
    return {"source": target_for(config).describe(), "id": found.id,
            "recovered_to": found.created_at, "kept": str(kept) if kept else None,
            "schema_revision": migrate.current_heads(url),
            "seconds": round(time.perf_counter() - started, 1)}


def _remember_restored(found: Manifest) -> None:
    """The restored database's history stops just before its own backup finished: that run
    is still "running" in it. Close it as the good backup it became, so freshness is told
    from the backup the shop now stands on; any other run left "running" was cut short."""
    with transaction():
        running = db.session.scalars(select(BackupRun).where(BackupRun.status == "running")
                                     .order_by(BackupRun.id.desc())).all()
        own = next((run for run in running if run.kind == found.kind), None)
        for run in running:
            if run is not own:
                run.status, run.finished_at, run.alerted_at = "failed", utcnow(), utcnow()
                run.error = "cut short: the database was restored from a backup"
        if own is None:
            own = BackupRun(kind=found.kind, started_at=found.created_at)
            db.session.add(own)
        own.status, own.backup_id, own.size_bytes = "ok", found.id, found.size
        own.finished_at = found.created_at


def _work_dir(config, database: str) -> str | None:
    """Decrypt a SQLite copy beside the database, so putting it in place is a rename."""
    if database != "sqlite":
        return None
    folder = sqlite.database_path(config["DATABASE_URL"]).parent
    folder.mkdir(parents=True, exist_ok=True)
    return str(folder)


# --- keeping what is needed --------------------------------------------------------------


def to_prune(ids: list[str], now: dt.datetime, keep_all_hours: int,
             keep_daily_days: int) -> list[str]:
    """Which backups retention lets go: every backup of the last `keep_all_hours` stays,
    then the last of each UTC day for `keep_daily_days` (per database and kind), and the
    newest of each kind always, however old."""
    keep: set[str] = set()
    newest_of_day: dict[tuple, str] = {}
    for backup_id in sorted(ids):
        made = _time_of(backup_id)
        family = backup_id[21:].rsplit("-", 1)[0]  # "sqlite-snapshot"
        if made >= now - dt.timedelta(hours=keep_all_hours):
            keep.add(backup_id)
        elif made >= now - dt.timedelta(days=keep_daily_days):
            newest_of_day[(family, made.date())] = backup_id  # later ids overwrite
        newest_of_day[(family, "newest")] = backup_id
    keep |= set(newest_of_day.values())
    return [i for i in sorted(ids) if i not in keep]


def prune(now: dt.datetime | None = None) -> list[str]:
    """Delete the backups retention no longer keeps. The manifest goes first, so a backup
    half deleted is no longer listed. Returns the ids deleted."""
    config = current_app.config
    target = target_for(config)
    doomed = to_prune(backup_ids(config), now or utcnow(), config["BACKUP_KEEP_ALL_HOURS"],
                      config["BACKUP_KEEP_DAILY_DAYS"])
    for backup_id in doomed:
        target.delete(backup_id + MANIFEST)
        target.delete(backup_id + SEALED)
    return doomed


# --- how fresh ---------------------------------------------------------------------------


def status(now: dt.datetime | None = None) -> dict:
    """The age of the last good backup (and, on PostgreSQL with pgBackRest, of the last
    archived WAL segment), and whether either is past BACKUP_MAX_AGE_MINUTES."""
    config = current_app.config
    now = now or utcnow()
    limit = config["BACKUP_MAX_AGE_MINUTES"] * 60
    last_ok = db.session.scalars(
        select(BackupRun).where(BackupRun.status == "ok", BackupRun.kind != "prune")
        .order_by(BackupRun.finished_at.desc()).limit(1)).first()
    last_failed = db.session.scalars(
        select(BackupRun).where(BackupRun.status == "failed")
        .order_by(BackupRun.finished_at.desc()).limit(1)).first()
    age = (now - last_ok.finished_at).total_seconds() if last_ok else None
    info = {
        "last_ok_at": last_ok.finished_at if last_ok else None,
        "last_backup_id": last_ok.backup_id if last_ok else None,
        "age_seconds": round(age) if age is not None else None,
        "last_failure_at": last_failed.finished_at if last_failed else None,
        "last_failure": last_failed.error if last_failed else None,
        "max_age_seconds": limit,
        "archive": None,
    }
    recovery_age = age
    if database_kind(config) == "postgresql" and pgbackrest.enabled(config):
        archive = pgbackrest.archive_status(db.session)
        info["archive"] = archive
        recovery_age = archive.get("age_seconds")
        info["stale"] = bool(archive.get("stale")) or recovery_age is None \
            or recovery_age > limit
    else:
        info["stale"] = age is None or age > limit
    info["recovery_point_age_seconds"] = (round(recovery_age) if recovery_age is not None
                                          else None)
    return info
