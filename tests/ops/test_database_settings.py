"""How the app's PostgreSQL connections are set up (app/db.py make_engine)."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from app.db import make_engine
from tests.ops.backups.pgcluster import free_port


@pytest.mark.postgres_only
@pytest.mark.parametrize("query, timeout", [("", "0"),
                                            ("?options=-c%20statement_timeout%3D1234",
                                             "1234ms")])
def test_connections_run_without_jit_and_keep_the_urls_own_options(database_url, query,
                                                                    timeout):
    # JIT compiles a plan for tens of milliseconds: more than a page's query takes.
    engine = make_engine(database_url + query)
    try:
        with engine.connect() as connection:
            assert connection.execute(text("SHOW jit")).scalar() == "off"
            assert connection.execute(text("SHOW statement_timeout")).scalar() == timeout
            # The typo search's threshold, for every statement, in a transaction or not.
            assert connection.execute(text(
                "SHOW pg_trgm.word_similarity_threshold")).scalar() == "0.5"
    finally:
        engine.dispose()


def _backend_pid(connection) -> int:
    return connection.execute(text("SELECT pg_backend_pid()")).scalar()


def _end_backend(database_url, pid: int) -> None:
    other = make_engine(database_url)
    try:
        with other.connect() as connection:
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            connection.commit()
    finally:
        other.dispose()


@pytest.mark.postgres_only
def test_a_connection_that_died_while_idle_is_replaced_before_it_is_used(
        database_url, monkeypatch):
    # A connection idle past PING_AFTER_IDLE_SECONDS is pinged as it leaves the pool; one the
    # server has dropped (a restart, a failover) is replaced, and the caller never sees it.
    monkeypatch.setattr("app.db.PING_AFTER_IDLE_SECONDS", 0.0)
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            first = _backend_pid(connection)
        _end_backend(database_url, first)
        with engine.connect() as connection:
            assert connection.execute(text("SELECT 1")).scalar() == 1
            assert _backend_pid(connection) != first
    finally:
        engine.dispose()


@pytest.mark.postgres_only
def test_a_connection_back_from_a_busy_spell_is_not_pinged(database_url, monkeypatch):
    # Within the idle limit the pool hands the connection straight back: no round trip.
    monkeypatch.setattr("app.db.PING_AFTER_IDLE_SECONDS", 3600.0)
    engine = make_engine(database_url)
    pings = []
    monkeypatch.setattr(engine.dialect, "do_ping", lambda conn: pings.append(conn) or True)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        assert len(pings) == 1  # a new connection: pinged once, then noted as used
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        assert len(pings) == 1
    finally:
        engine.dispose()


def _connect_timeout(connection) -> str | None:
    return connection.connection.driver_connection.info.get_parameters().get("connect_timeout")


@pytest.mark.postgres_only
@pytest.mark.parametrize("query, given, expected", [("", None, "3"), ("", 7, "7"),
                                                     ("?connect_timeout=9", 7, "9")])
def test_a_host_that_does_not_answer_is_given_up_after_the_connect_timeout(
        database_url, query, given, expected):
    # psycopg's own default is 130 s: every new connection to a dead primary would hang that
    # long. The setting (DATABASE_CONNECT_TIMEOUT) reaches the driver; the URL's own wins.
    engine = make_engine(database_url + query,
                         **({} if given is None else {"connect_timeout": given}))
    try:
        with engine.connect() as connection:
            assert _connect_timeout(connection) == expected
    finally:
        engine.dispose()


@pytest.mark.postgres_only
def test_the_apps_engine_takes_the_connect_timeout_setting(make_app):
    app = make_app(DATABASE_CONNECT_TIMEOUT=5)

    with app.extensions["kade_engine"].connect() as connection:
        assert _connect_timeout(connection) == "5"


@pytest.mark.postgres_only
def test_a_url_with_two_hosts_connects_to_the_one_that_takes_writes(database_url):
    # DATABASE_URL with a hot standby: the first host is gone (nothing listens there), so
    # the connection goes to the next one that takes writes.
    server = make_url(database_url)
    dead = free_port()
    url = server.set(host=None, port=None, query={
        "host": (f"127.0.0.1:{dead}", f"{server.host}:{server.port or 5432}"),
        "target_session_attrs": "read-write"}).render_as_string(hide_password=False)
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            assert connection.execute(text("SELECT inet_server_port()")).scalar() == (
                server.port or 5432)
            assert connection.execute(text("SHOW transaction_read_only")).scalar() == "off"
    finally:
        engine.dispose()


@pytest.mark.postgres_only
def test_a_connection_whose_server_ended_it_is_dropped_from_the_pool(database_url,
                                                                     monkeypatch):
    # Within the idle limit it is not pinged, so the request sees the error (the server
    # went down mid-request, as in a failover); the pool then drops every connection it
    # holds to that server, and the next checkout connects afresh.
    monkeypatch.setattr("app.db.PING_AFTER_IDLE_SECONDS", 3600.0)
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            first = _backend_pid(connection)
        _end_backend(database_url, first)
        with engine.connect() as connection, pytest.raises(DBAPIError) as failed:
            connection.execute(text("SELECT 1"))
        assert failed.value.connection_invalidated
        with engine.connect() as connection:
            assert _backend_pid(connection) != first
    finally:
        engine.dispose()


@pytest.mark.postgres_only
def test_a_write_refused_by_a_read_only_session_on_a_primary_keeps_the_connection(
        database_url):
    # The reports' pool refuses writes on purpose (default_transaction_read_only): that
    # server is a primary, so the refusal is not taken for a failover.
    engine = make_engine(database_url, {"default_transaction_read_only": "on"})
    try:
        with engine.connect() as connection, pytest.raises(DBAPIError) as refused:
            connection.execute(text("CREATE TEMPORARY TABLE t (x int)"))
        assert getattr(refused.value.orig, "sqlstate", None) == "25006"
        assert not refused.value.connection_invalidated
    finally:
        engine.dispose()


@pytest.mark.postgres_only
def test_each_process_pool_takes_its_size_from_the_settings(make_app):
    small = make_app(DATABASE_POOL_SIZE=2, DATABASE_MAX_OVERFLOW=1)
    usual = make_app()

    engine = small.extensions["kade_engine"]
    assert (engine.pool.size(), engine.pool._max_overflow) == (2, 1)
    assert engine is not usual.extensions["kade_engine"]
    assert usual.extensions["kade_engine"].pool.size() == 5
