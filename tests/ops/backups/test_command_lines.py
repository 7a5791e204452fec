"""The database password never appears on a command line (any local user can read those
with ps): pg_dump and pg_restore get it through PGPASSWORD in their own environment. The
tools on PATH here are wrappers that write down their argv and that variable, then run the
real tool or, where no PostgreSQL is at hand, play it."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app.ops.backups import pgdump

PASSWORD = "pg-secret-pw"  # noqa: S105 — the server trusts local users; only its path matters


def _wrappers(folder: Path, *, real: bool) -> Path:
    """pg_dump and pg_restore that log `argv: …` and `env: PGPASSWORD=…` lines to
    folder/calls.log; `real` runs the tool afterwards, else pg_dump writes a dummy file."""
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / "calls.log"
    for tool in ("pg_dump", "pg_restore"):
        found = shutil.which(tool)
        if real:
            assert found, f"{tool} is needed for this test"
            then = f'exec {found} "$@"'
        else:
            then = ('for a in "$@"; do case "$a" in --file=*) echo dump > "${a#--file=}";; '
                    'esac; done')
        script = folder / tool
        script.write_text(f'#!/bin/sh\nprintf "argv: %s\\n" "$0 $*" >> {log}\n'
                          f'printf "env: PGPASSWORD=%s\\n" "$PGPASSWORD" >> {log}\n{then}\n')
        script.chmod(0o755)
    return log


def _calls(log: Path) -> tuple[list[str], list[str]]:
    lines = log.read_text().splitlines()
    return ([line for line in lines if line.startswith("argv: ")],
            [line for line in lines if line.startswith("env: ")])


@pytest.mark.parametrize("url", [
    f"postgresql+psycopg://kade:{PASSWORD}@db.internal:5432/kade?sslmode=require",
    f"postgresql+psycopg://kade@db.internal/kade?password={PASSWORD}&sslmode=require",
], ids=["in-userinfo", "in-query"])
def test_the_dump_command_line_holds_no_password(tmp_path, monkeypatch, url):
    log = _wrappers(tmp_path / "bin", real=False)
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.delenv("PGPASSWORD", raising=False)

    pgdump.dump(url, tmp_path / "copy")

    [argv], [env] = _calls(log)
    assert PASSWORD not in argv
    assert "--dbname=postgresql://kade@db.internal" in argv and "sslmode=require" in argv
    assert env == f"env: PGPASSWORD={PASSWORD}"
    assert (tmp_path / "copy").read_text() == "dump\n"


def test_a_url_without_password_sets_none(tmp_path, monkeypatch):
    log = _wrappers(tmp_path / "bin", real=False)
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.delenv("PGPASSWORD", raising=False)

    pgdump.dump("postgresql+psycopg://kade@db.internal/kade", tmp_path / "copy")

    [argv], [env] = _calls(log)
    assert "--dbname=postgresql://kade@db.internal/kade" in argv
    assert env == "env: PGPASSWORD="  # none set: libpq reads ~/.pgpass or PGPASSFILE


@pytest.mark.postgres_only
def test_a_real_dump_and_restore_keep_the_password_off_their_command_lines(
        own_database, tmp_path, monkeypatch):
    url = make_url(own_database).set(password=PASSWORD).render_as_string(hide_password=False)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE kept (word text)"))
        conn.execute(text("INSERT INTO kept VALUES ('still here')"))
    engine.dispose()
    log = _wrappers(tmp_path / "bin", real=True)
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")

    pgdump.dump(url, tmp_path / "copy")
    pgdump.check(tmp_path / "copy")
    pgdump.restore(url, tmp_path / "copy", kept_as="before")

    argvs, envs = _calls(log)
    assert len(argvs) == 3  # pg_dump, pg_restore --list, pg_restore
    assert not [argv for argv in argvs if PASSWORD in argv]
    assert envs[0] == envs[2] == f"env: PGPASSWORD={PASSWORD}"
    engine = create_engine(url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT word FROM kept")).scalar_one() == "still here"
    engine.dispose()
