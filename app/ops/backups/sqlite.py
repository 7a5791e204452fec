"""SQLite: online snapshots with SQLite's own backup API, and putting one back in place.

The copy is made in one step (`pages=-1`): a stepwise copy restarts whenever another
connection writes between steps, and in a busy shop it might never finish. One step reads a
consistent picture of the database inside one read transaction; in WAL mode the shop's
writers go on meanwhile.
"""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url

from app.ops.backups.errors import CorruptBackup, RestoreRefused


def database_path(database_url: str) -> Path:
    path = make_url(database_url).database
    if not path or path == ":memory:":
        raise RestoreRefused("An in-memory SQLite database cannot be backed up or restored.")
    return Path(path)


def snapshot(database: Path, target: Path) -> None:
    """A consistent copy of `database` in `target`, taken while others read and write."""
    if not database.exists():
        raise FileNotFoundError(f"no database at {database}")
    with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True,
                                            timeout=30)) as source, \
            contextlib.closing(sqlite3.connect(target)) as copy:
        source.backup(copy, pages=-1)
        # The copy is a standalone file: no -wal beside it to lose in transit.
        copy.execute("PRAGMA journal_mode=DELETE")


def check(path: Path) -> str | None:
    """The schema revision of a snapshot that SQLite finds sound, else CorruptBackup."""
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            verdict = db.execute("PRAGMA integrity_check").fetchone()[0]
            if verdict != "ok":
                raise CorruptBackup(f"SQLite finds the restored file damaged: {verdict}")
            return revision_of(db)
    except sqlite3.DatabaseError as exc:
        raise CorruptBackup(f"The restored file is not a SQLite database: {exc}") from exc


def revision_of(db: sqlite3.Connection) -> str | None:
    try:
        row = db.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.OperationalError:  # no schema yet
        return None
    return row[0] if row else None


def has_data(database: Path) -> bool:
    """Whether `database` exists and holds the shop's tables (so restoring over it loses
    whatever it has that the backup has not)."""
    if not database.exists() or database.stat().st_size == 0:
        return False
    with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as db:
        try:
            return revision_of(db) is not None
        except sqlite3.DatabaseError:
            return True  # a damaged file is still someone's data: keep the guard


def put_in_place(restored: Path, database: Path, kept_as: str) -> Path | None:
    """Move `restored` to `database`. The database that was there (and its -wal, -shm) is
    kept beside it with the suffix `kept_as`, never deleted. Returns where it was kept."""
    kept = None
    database.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        old = Path(f"{database}{suffix}")
        if old.exists():
            moved = Path(f"{database}{suffix}.{kept_as}")
            old.replace(moved)
            kept = kept or moved
    restored.replace(database)
    return kept
