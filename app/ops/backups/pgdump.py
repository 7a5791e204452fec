"""PostgreSQL's logical copy: `pg_dump -Fc` of the shop's database, and `pg_restore` of one.

Nightly, next to pgBackRest's continuous archive: a dump restores into any PostgreSQL of
the same or a newer major version, and survives a broken WAL archive. It is a copy as of
the moment it started (one snapshot), so its recovery point is the night, not the minute.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from app.ops.backups.errors import BackupError, CorruptBackup


def libpq_target(database_url: str) -> tuple[str, dict[str, str]]:
    """postgresql+psycopg://user:pw@host/db -> postgresql://user@host/db (what pg_dump and
    pg_restore understand) and the environment that carries the password to the child
    instead. A command line is readable by every local user (ps, /proc/<pid>/cmdline) and
    lands in audit logs; a child's environment is readable only by its own user."""
    url = make_url(database_url).set(drivername="postgresql")
    query = dict(url.query)
    in_query = query.pop("password", None)  # ?password=… is libpq's spelling too
    password = url.password if url.password is not None else in_query
    env = {**os.environ}
    if password is not None:
        env["PGPASSWORD"] = str(password)
    # URL.set(password=None) would keep the password: None there means "unchanged".
    bare = URL.create("postgresql", username=url.username, host=url.host, port=url.port,
                      database=url.database, query=query)
    return bare.render_as_string(hide_password=False), env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupError(f"{name} is not installed (Debian: postgresql-client)")
    return found


def _run(args: list[str], env: dict[str, str] | None = None) -> None:
    done = subprocess.run(args, capture_output=True, text=True, check=False, env=env)  # noqa: S603 — our args
    if done.returncode:
        # pg_dump's own messages name objects, not row data: safe to show.
        raise BackupError(f"{Path(args[0]).name} failed: {done.stderr.strip()[-800:]}")


def dump(database_url: str, target: Path) -> None:
    dbname, env = libpq_target(database_url)
    _run([_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
          f"--file={target}", f"--dbname={dbname}"], env)


def restore(database_url: str, source: Path, kept_as: str) -> str | None:
    """Make the database at `database_url` hold exactly the dump's contents.

    The dump goes into a new database first; only when all of it is in is the old one
    renamed aside (`<name>_<kept_as>`, never dropped) and the new one given its name. A
    failure on the way leaves the live database as it was. Returns the kept name, if any."""
    url = make_url(database_url)
    name = url.database
    staging = f"{name}_restoring"[:63]
    with _admin(url) as admin:
        admin(f'DROP DATABASE IF EXISTS "{staging}"')
        admin(f'CREATE DATABASE "{staging}"')
    try:
        dbname, env = libpq_target(url.set(database=staging).render_as_string(False))
        _run([_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error",
              f"--dbname={dbname}", str(source)], env)
    except BackupError:
        with _admin(url) as admin:
            admin(f'DROP DATABASE IF EXISTS "{staging}"')
        raise
    kept = f"{name}_{kept_as}"[:63]
    with _admin(url) as admin:
        exists = admin("SELECT 1 FROM pg_database WHERE datname = :n", n=name)
        if exists:
            # Everyone still connected to the old database is cut off: they would keep
            # writing to the copy that is being set aside.
            admin("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                  "WHERE datname = :n AND pid <> pg_backend_pid()", n=name)
            admin(f'ALTER DATABASE "{name}" RENAME TO "{kept}"')
        admin(f'ALTER DATABASE "{staging}" RENAME TO "{name}"')
    return kept if exists else None


@contextlib.contextmanager
def _admin(url):
    """Run statements on the server's `postgres` database, outside any transaction."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            def run(sql: str, **params):
                result = conn.execute(text(sql), params)
                return result.first() if result.returns_rows else None

            yield run
    finally:
        engine.dispose()


def has_data(database_url: str) -> bool:
    from sqlalchemy import create_engine, inspect
    from sqlalchemy.exc import OperationalError

    engine = create_engine(database_url)
    try:
        return "alembic_version" in inspect(engine).get_table_names()
    except OperationalError:
        return False  # the database (or the server's data) is gone
    finally:
        engine.dispose()


def check(path: Path) -> None:
    """pg_restore can read the dump's table of contents: a sound custom-format archive."""
    try:
        _run([_tool("pg_restore"), "--list", str(path)])
    except BackupError as exc:
        raise CorruptBackup(f"The dump inside the backup cannot be read: {exc}") from exc
