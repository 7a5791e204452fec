"""How the app's PostgreSQL connections are set up (app/db.py make_engine)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from app.db import make_engine


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
