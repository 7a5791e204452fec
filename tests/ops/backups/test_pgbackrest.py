"""pgBackRest: the setup script, backups, the archiver's health, and point-in-time recovery,
on throwaway clusters of our own (tests/ops/backups/pgcluster.py) archiving to a real
pgBackRest repository in a temp dir. Never the shared server on 5432."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import time

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from app.db import utcnow
from app.ops.backups import pgbackrest
from app.ops.backups.errors import BackupError, RestoreRefused
from tests.ops.backups.pgcluster import SETUP_SCRIPT, archived_cluster, make_root

pytestmark = pytest.mark.postgres_only


@pytest.fixture(scope="module")
def cluster():
    # A long archive_timeout: segments close only when a test switches them, so the
    # archiver's state is the test's doing, not the clock's.
    with archived_cluster(archive_timeout="300s") as made:
        yield made


@pytest.fixture()
def session(cluster):
    engine = create_engine(cluster.url)
    with Session(engine) as s:
        yield s
    engine.dispose()


def _commit_time(cluster, sql: str) -> dt.datetime:
    """Run `sql`, and return a moment just after its commit (the server's clock)."""
    cluster.psql(sql)
    return dt.datetime.fromisoformat(cluster.psql(
        "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', "
        "'YYYY-MM-DD\"T\"HH24:MI:SS.US+00:00')"))


def _rows(cluster) -> list[str]:
    return cluster.psql("SELECT coalesce(string_agg(x, ',' ORDER BY x), '') FROM drill"
                        ).split(",")


# --- setup ------------------------------------------------------------------------------------


def test_setup_turns_archiving_on_and_running_it_again_changes_nothing(cluster):
    conf_before = cluster.config_path.read_text()

    again = cluster.setup(archive_timeout="300s")

    assert again.returncode == 0, again.stderr
    assert "holds a backup already" in again.stderr
    assert cluster.config_path.read_text() == conf_before
    assert "repo1-cipher-type=aes-256-cbc" in conf_before
    assert oct(cluster.config_path.stat().st_mode & 0o777) == "0o640"  # it holds the keys
    assert cluster.psql("SHOW archive_mode") == "on"
    assert cluster.psql("SHOW archive_command") == (
        f"pgbackrest --config={cluster.config_path} --stanza=kade archive-push %p")
    assert cluster.psql("SHOW archive_timeout") == "5min"


@pytest.mark.parametrize("argv, says", [
    ([], "usage:"),
    (["--stanza", "kade"], "usage:"),
    (["--stanza", "kade", "--pgdata", "/nonexistent", "--config", "/tmp/x.conf"],
     "not a PostgreSQL data directory"),
    (["--stanza", "bad name", "--pgdata", "/tmp", "--config", "/tmp/x.conf"], "stanza"),
    (["--bogus", "1"], "unknown option"),
])
def test_setup_refuses_bad_arguments_with_a_message(argv, says):
    done = subprocess.run(["bash", str(SETUP_SCRIPT), *argv], capture_output=True, text=True)

    assert done.returncode != 0
    assert says in done.stderr


# --- backups ----------------------------------------------------------------------------------


def test_setup_took_a_full_backup_and_last_backup_reports_it(cluster):
    last = pgbackrest.last_backup(cluster.config())

    assert last["kind"] == "full"
    assert last["label"].endswith("F")
    assert last["size"] > 0
    assert last["started_at"] <= last["finished_at"] <= utcnow()
    assert last["finished_at"].tzinfo == dt.UTC


def test_backup_takes_a_differential_and_reports_it_as_the_last(cluster):
    before = utcnow().replace(microsecond=0)
    cluster.psql("CREATE TABLE IF NOT EXISTS filler AS SELECT generate_series(1, 1000) n")

    done = pgbackrest.backup(cluster.config(), "diff")

    assert done["kind"] == "diff"
    assert "_" in done["label"] and done["label"].endswith("D")  # based on the full one
    assert done["started_at"] >= before
    assert done["size"] > 0
    assert pgbackrest.last_backup(cluster.config()) == done


@pytest.fixture()
def scratch():
    root = make_root()  # the postgres user reads pgbackrest.conf: not in the 0700 tmp_path
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.mark.parametrize("breakage, on_info, on_backup", [
    ("unknown stanza", "stanza 'nosuch' is not in", "stanza 'nosuch' is not in"),
    ("missing conf", "does not exist", "does not exist"),
    ("garbled conf", "cannot be read", "cannot be read"),
    ("no pg1-path", "has no pg1-path", "has no pg1-path"),
    ("empty repository", "not usable: missing stanza path",
     "pgbackrest backup failed for stanza 'kade'"),
    ("wrong cipher pass", "not usable", "pgbackrest backup failed for stanza 'kade'"),
])
def test_a_missing_or_garbled_stanza_gives_a_clear_backup_error(cluster, scratch, breakage,
                                                                on_info, on_backup):
    conf = scratch / "pgbackrest.conf"
    good = cluster.config_path.read_text()
    config = {"PGBACKREST_STANZA": "kade", "PGBACKREST_CONFIG": str(conf)}
    if breakage == "unknown stanza":
        conf.write_text(good)
        config["PGBACKREST_STANZA"] = "nosuch"
    elif breakage == "garbled conf":
        conf.write_bytes(b"\x00\xff[kade\npg1-path")
    elif breakage == "no pg1-path":
        conf.write_text(good.replace("pg1-path=", "# pg1-path="))
    elif breakage == "empty repository":
        conf.write_text(good.replace(f"repo1-path={cluster.root / 'repo'}",
                                     f"repo1-path={scratch}"))
    elif breakage == "wrong cipher pass":
        conf.write_text(good.replace("repo1-cipher-pass=", "repo1-cipher-pass=x"))
    if conf.exists():
        conf.chmod(0o644)

    with pytest.raises(BackupError) as on_last_backup:
        pgbackrest.last_backup(config)
    with pytest.raises(BackupError) as on_new_backup:
        pgbackrest.backup(config, "full")

    assert on_info in str(on_last_backup.value)
    assert on_backup in str(on_new_backup.value)
    assert pgbackrest.last_backup(cluster.config()) is not None  # the real stanza is unharmed


def test_an_unknown_backup_kind_is_refused(cluster):
    with pytest.raises(BackupError, match="full, diff or incr"):
        pgbackrest.backup(cluster.config(), "weekly")


def test_without_a_stanza_pgbackrest_is_off():
    assert not pgbackrest.enabled({"PGBACKREST_STANZA": None})
    assert pgbackrest.enabled({"PGBACKREST_STANZA": "kade"})


# --- the archiver's health --------------------------------------------------------------------


def test_archive_status_shows_a_fresh_segment_after_writes_and_a_switch(cluster, session):
    cluster.switch_wal_and_wait()
    settled = pgbackrest.archive_status(session)
    session.rollback()
    cluster.psql("CREATE TABLE IF NOT EXISTS notes (x text); INSERT INTO notes VALUES ('a')")
    time.sleep(0.3)  # let the WAL writer reach the new segment

    pending = pgbackrest.archive_status(session)
    session.rollback()
    cluster.switch_wal_and_wait()
    fresh = pgbackrest.archive_status(session)

    assert settled["age_seconds"] == 0 and not settled["stale"]
    assert pending["last_archived_at"] == settled["last_archived_at"]
    assert pending["age_seconds"] > 0  # written, not yet archived
    assert not pending["stale"]  # but well within the 15 minutes
    assert fresh["last_archived_at"] > settled["last_archived_at"]
    assert fresh["age_seconds"] == 0
    assert not fresh["stale"]
    assert fresh["failed_count"] == 0 and fresh["last_failed_at"] is None


def test_archive_status_is_stale_when_archiving_fails(cluster, session):
    good = cluster.psql("SHOW archive_command")
    cluster.psql("ALTER SYSTEM SET archive_command = '/bin/false'", "SELECT pg_reload_conf()")
    try:
        time.sleep(0.3)
        cluster.psql("INSERT INTO notes VALUES ('b')", "SELECT pg_switch_wal()")
        deadline = time.monotonic() + 20
        while cluster.archiver()[1] == "0" and time.monotonic() < deadline:
            time.sleep(0.1)

        failing = pgbackrest.archive_status(session)
    finally:
        cluster.psql(f"ALTER SYSTEM SET archive_command = '{good}'", "SELECT pg_reload_conf()")

    assert failing["failed_count"] >= 1
    assert failing["last_failed_at"] > failing["last_archived_at"]
    assert failing["stale"]
    cluster.switch_wal_and_wait()  # archiving resumes once the command is right again


# --- restore ----------------------------------------------------------------------------------


def test_restore_refuses_while_the_server_runs_and_touches_nothing(cluster):
    cluster.psql("CREATE TABLE IF NOT EXISTS marker (x text); INSERT INTO marker VALUES ('m')")
    pid_file = (cluster.data / "postmaster.pid").read_text()

    with pytest.raises(RestoreRefused, match="running .* stop it first"):
        pgbackrest.restore(cluster.config())

    assert (cluster.data / "postmaster.pid").read_text() == pid_file
    assert cluster.psql("SELECT count(*) FROM marker") == "1"


def test_restore_refuses_a_naive_time(cluster):
    with pytest.raises(RestoreRefused, match="time zone"):
        pgbackrest.restore(cluster.config(), to_time=dt.datetime(2026, 11, 27, 14, 5))


def test_point_in_time_recovery_brings_back_the_first_insert_and_not_the_second():
    with archived_cluster(archive_timeout="300s") as cluster:
        cluster.psql("CREATE TABLE drill (x text)")
        time.sleep(1.1)  # past the second the setup's full backup ended in
        between = _commit_time(cluster, "INSERT INTO drill VALUES ('first')")
        time.sleep(0.2)
        cluster.psql("INSERT INTO drill VALUES ('second')")
        cluster.switch_wal_and_wait()
        cluster.stop()
        # A postmaster.pid outliving its server (a crash) is refused, not guessed about.
        stale = cluster.data / "postmaster.pid"
        stale.write_text("4194304\n")  # above pid_max: no such process
        with pytest.raises(RestoreRefused, match="no longer runs"):
            pgbackrest.restore(cluster.config(), to_time=between)
        stale.unlink()
        with pytest.raises(RestoreRefused, match="in the future"):
            pgbackrest.restore(cluster.config(), to_time=utcnow() + dt.timedelta(hours=1))
        with pytest.raises(RestoreRefused, match="no backup ends before"):
            pgbackrest.restore(cluster.config(), to_time=between - dt.timedelta(hours=1))

        done = pgbackrest.restore(cluster.config(), to_time=between)

        assert _rows(cluster) == ["first"]
        assert done["timeline"] == 2
        assert done["recovered_to"] <= between
        assert between - done["recovered_to"] < dt.timedelta(seconds=5)
        assert done["seconds"] > 0
        assert cluster.psql("SELECT pg_is_in_recovery()") == "f"  # promoted: takes writes
        cluster.psql("INSERT INTO drill VALUES ('after')")


def test_a_second_recovery_after_a_first_follows_the_new_timeline():
    with archived_cluster(archive_timeout="300s") as cluster:
        cluster.psql("CREATE TABLE drill (x text)")
        time.sleep(1.1)  # past the second the setup's full backup ended in
        first_point = _commit_time(cluster, "INSERT INTO drill VALUES ('a')")
        time.sleep(0.2)
        cluster.psql("INSERT INTO drill VALUES ('b')")
        cluster.switch_wal_and_wait()
        cluster.stop()
        first = pgbackrest.restore(cluster.config(), to_time=first_point)
        # Life goes on on timeline 2, then a mistake worth undoing.
        time.sleep(0.2)
        second_point = _commit_time(cluster, "INSERT INTO drill VALUES ('c')")
        time.sleep(0.2)
        cluster.psql("INSERT INTO drill VALUES ('d')")
        cluster.switch_wal_and_wait()
        cluster.stop()

        second = pgbackrest.restore(cluster.config(), to_time=second_point)

        assert _rows(cluster) == ["a", "c"]
        assert (first["timeline"], second["timeline"]) == (2, 3)


def test_restore_latest_after_the_data_directory_is_gone_replays_all_archived_wal():
    with archived_cluster(archive_timeout="300s") as cluster:
        cluster.psql("CREATE TABLE drill (x text); INSERT INTO drill VALUES ('kept')")
        cluster.switch_wal_and_wait()
        cluster.destroy()

        done = pgbackrest.restore(cluster.config())

        assert _rows(cluster) == ["kept"]
        assert done["timeline"] == 2
        assert cluster.is_running()


def test_restore_to_a_time_past_the_archive_says_so_and_latest_still_works():
    with archived_cluster(archive_timeout="300s") as cluster:
        cluster.psql("CREATE TABLE drill (x text); INSERT INTO drill VALUES ('kept')")
        cluster.switch_wal_and_wait()
        cluster.psql("INSERT INTO drill VALUES ('never archived')")
        time.sleep(1)
        beyond = utcnow()
        cluster.destroy()

        with pytest.raises(BackupError, match="stopped during recovery|did not start"):
            pgbackrest.restore(cluster.config(), to_time=beyond)
        done = pgbackrest.restore(cluster.config())

        assert _rows(cluster) == ["kept"]
        assert done["timeline"] == 2
