"""The hot standby's parts (app/ops/replication.py, `flask ops`, scripts/standby.sh), on a
primary and standby of the tests' own; the failover itself is the drill's
(tests/ops/test_failover_drill.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app.db import make_engine
from app.ops import replication
from tests.ops.standby_cluster import replicated_pair


@pytest.fixture(scope="module")
def pair():
    with replicated_pair() as made:
        yield made


@pytest.mark.postgres_only
def test_the_primary_counts_its_standby_and_the_standby_knows_it_is_one(pair):
    pair.primary.psql("CREATE TABLE seen (x int)", "INSERT INTO seen VALUES (1)")

    primary = replication.status(pair.primary.url)
    standby = replication.status(pair.standby.url)

    assert primary["role"] == "primary"
    assert primary["standbys"] == 1
    assert primary["synchronous_standbys"] == 0
    assert primary["replica_lag_seconds"] >= 0
    assert standby["role"] == "standby"
    assert standby["streaming"] is True
    assert standby["replica_lag_seconds"] is None or standby["replica_lag_seconds"] >= 0


@pytest.mark.postgres_only
def test_running_standby_sh_again_keeps_the_standby_it_made(pair):
    done = pair.make_standby()

    assert done.returncode == 0, done.stderr
    assert "holds a standby already: no new base backup" in done.stderr
    assert pair.standby.psql("SELECT pg_is_in_recovery()") == "t"


def test_sqlite_has_no_replication(tmp_path):
    found = replication.status(f"sqlite:///{tmp_path / 'kade.db'}")

    assert found == {"role": "embedded", "replica_lag_seconds": None, "standbys": 0,
                     "synchronous_standbys": 0}


@pytest.mark.postgres_only
def test_a_write_on_a_connection_to_a_standby_drops_it_from_the_pool(pair):
    # A connection that reached a standby (an address that moved, a URL without
    # target_session_attrs) would fail every write for ever if it stayed pooled.
    engine = make_engine(pair.standby.url)
    try:
        with engine.connect() as connection:
            first = connection.execute(text("SELECT pg_backend_pid()")).scalar()
            with pytest.raises(DBAPIError) as refused:
                connection.execute(text("CREATE TABLE nope (x int)"))
        assert getattr(refused.value.orig, "sqlstate", None) == "25006"
        assert refused.value.connection_invalidated
        with engine.connect() as connection:  # a new connection, not the one that failed
            assert connection.execute(text("SELECT pg_backend_pid()")).scalar() != first
    finally:
        engine.dispose()


@pytest.mark.postgres_only
def test_promote_refuses_a_primary_and_changes_nothing(pair, app):
    done = app.test_cli_runner().invoke(args=["ops", "promote", "--url", pair.primary.url])

    assert done.exit_code == 1
    assert "is not a standby" in done.output
    assert replication.status(pair.primary.url)["standbys"] == 1


def test_promote_asks_which_standby_when_none_is_named(app):
    done = app.test_cli_runner().invoke(args=["ops", "promote"])

    assert done.exit_code == 1
    assert "which standby?" in done.output


@pytest.mark.postgres_only
def test_promote_says_so_when_the_standby_does_not_answer(app):
    from tests.ops.backups.pgcluster import free_port

    url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/kade"
    done = app.test_cli_runner().invoke(args=["ops", "promote", "--url", url])

    assert done.exit_code == 1
    assert "the standby does not answer" in done.output


@pytest.mark.postgres_only
def test_replication_command_shows_the_role_and_standbys(pair, app):
    done = app.test_cli_runner().invoke(args=["ops", "replication", "--url",
                                              pair.primary.url])

    assert done.exit_code == 0, done.output
    assert "role primary" in done.output
    assert "standbys streaming 1, synchronous 0" in done.output


@pytest.mark.postgres_only
def test_metrics_show_the_standby_streaming_and_its_lag(pair, make_app):
    from tests.ops.prometheus_text import scrape, value

    pair.primary.psql("CREATE TABLE IF NOT EXISTS seen (x int)", "INSERT INTO seen VALUES (2)")
    watched = make_app(DATABASE_URL=pair.primary.url, DATABASE_STANDBY_URL=pair.standby.url)
    unwatched = make_app(DATABASE_URL=pair.primary.url)

    samples = scrape(watched.test_client())
    quiet = scrape(unwatched.test_client())

    assert value(samples, "kade_replica_standbys") == 1
    assert ("kade_replica_lag_seconds", frozenset()) in samples
    assert 0 <= value(samples, "kade_replica_lag_seconds") < 60
    # No standby expected: no gauge, so "no standby streaming" cannot fire.
    assert not [key for key in quiet if key[0].startswith("kade_replica_")]
