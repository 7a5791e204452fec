"""Database engine, the session, the declarative base and shared column types.

One scoped session per app context (a request, a job, a CLI command). Services group their
writes in `transaction()`: the outermost block commits, nested blocks join it, so a service
can call another service and the use case stays one atomic unit.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import logging
from typing import Annotated

from flask import current_app
from sqlalchemy import DateTime, MetaData, String, Text, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, mapped_column, scoped_session, sessionmaker
from sqlalchemy.types import TypeDecorator

from app.security import pii

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes on every backend (SQLite keeps no zone, so we add it back)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; times are aware UTC")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class EncryptedText(TypeDecorator):
    """Personal data sealed with AES-GCM before it reaches the database (see security.pii)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else pii.seal(value)

    def process_result_value(self, value, dialect):
        return None if value is None else pii.unseal(value)


utc_now = Annotated[dt.datetime, mapped_column(UTCDateTime, default=utcnow)]
utc_time = Annotated[dt.datetime, mapped_column(UTCDateTime)]
encrypted_str = Annotated[str, mapped_column(EncryptedText)]
blind_index = Annotated[str, mapped_column(String(64), index=True)]

class AppSession(Session):
    """A session bound to the engine of the app in context, so two apps in one process (a
    test making an app with other settings, say) never share a connection by accident."""

    def get_bind(self, mapper=None, clause=None, **kwargs):
        return current_app.extensions["kade_engine"]


session = scoped_session(sessionmaker(class_=AppSession, expire_on_commit=False))
_engines: dict[str, Engine] = {}


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            # WAL lets readers and one writer work at once; foreign keys are off by default.
            cur = dbapi_connection.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()
            # pysqlite's own transaction handling breaks SAVEPOINT; SQLAlchemy's recipe is to
            # switch it off and emit BEGIN ourselves.
            dbapi_connection.isolation_level = None

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):
            # IMMEDIATE takes the write lock at once: a transaction that reads, then writes,
            # would otherwise fail with "database is locked" when another wrote in between,
            # instead of waiting its turn (busy_timeout only covers the wait for the lock).
            conn.exec_driver_sql("BEGIN IMMEDIATE" if _immediate.get() else "BEGIN")

        return engine
    # No JIT: it is for long analytical queries, and compiling a plan cost a shop's page
    # query tens of milliseconds more than running it (a listing's stock filter: 25 ms of
    # JIT for a 30 ms query). Reports that want it can turn it on for their session.
    # Added to any `options` the URL gives (a statement timeout, say), not in their place.
    from sqlalchemy.engine import make_url

    given = make_url(url).query.get("options", "")
    options = " ".join([*([given] if isinstance(given, str) and given else []), "-c jit=off"])
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10,
                         connect_args={"options": options})


def one_of(column, values, *, sql_type=None):
    """`column IN values` as an SQL condition. On PostgreSQL a long list travels as one
    array parameter (`= ANY(:values)`), not one bound parameter per value: a search's
    thousand ids cost the driver and the planner a thousand parameters otherwise, and the
    statement's text (so its cached plan) changed with the number of ids."""
    from sqlalchemy import Integer, any_, bindparam
    from sqlalchemy.dialects.postgresql import ARRAY

    values = list(values)
    if len(values) > 32 and session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, values, type_=ARRAY(sql_type or Integer)))
    return column.in_(values)


def engine_for(url: str) -> Engine:
    if url not in _engines:
        _engines[url] = make_engine(url)
    return _engines[url]


def init_app(app) -> None:
    app.extensions["kade_engine"] = engine_for(app.config["DATABASE_URL"])

    @app.teardown_appcontext
    def _remove_session(_exc):
        session.remove()


def after_fork() -> None:
    """In a forked child (an RQ work-horse): drop the parent's pooled connections without
    closing them, so the child opens its own and the parent's stay usable."""
    for engine in _engines.values():
        engine.dispose(close=False)


def dispose_engines() -> None:
    for engine in _engines.values():
        engine.dispose()
    _engines.clear()


_immediate: contextvars.ContextVar[bool] = contextvars.ContextVar("immediate", default=False)


@contextlib.contextmanager
def write_lock_first():
    """For code on a session of its own (the outbox relay): on SQLite, transactions begun
    inside this block take the write lock when they begin, as `transaction()` does."""
    token = _immediate.set(True)
    try:
        yield
    finally:
        _immediate.reset(token)


@contextlib.contextmanager
def transaction():
    """One atomic unit of work. The outermost block commits or rolls back; inner ones join.

    On SQLite the outermost block takes the write lock when it begins (BEGIN IMMEDIATE),
    after ending any reads made before it: a transaction that reads, then writes, would
    otherwise fail at once with "database is locked" whenever another process wrote in
    between (busy_timeout covers waiting for the lock, not a stale snapshot). PostgreSQL
    needs none of this: its row locks and conditional updates do the job."""
    info = session().info
    depth = info.get("tx_depth", 0)
    token = None
    if depth == 0 and session().get_bind().dialect.name == "sqlite":
        if session().in_transaction():
            session.commit()  # end the reads so far (expire_on_commit is off: nothing reloads)
        token = _immediate.set(True)
    info["tx_depth"] = depth + 1
    try:
        yield session
        if depth == 0:
            # The lock was taken when the transaction began. Let go of the flag before the
            # commit: its hooks (the outbox relay) may begin transactions of their own, and a
            # read there must not take the write lock that the relay's session then waits
            # for (30 s, then "database is locked", and a sent mail left unmarked).
            token = _release(token)
            session.commit()
    except BaseException:
        if depth == 0:
            token = _release(token)
            session.rollback()
        raise
    finally:
        info["tx_depth"] = depth
        _release(token)


def _release(token) -> None:
    """Reset the write-lock-first flag set with `token`, if any. Returns None, for the
    caller to store over its spent token (so `finally` does not reset it twice)."""
    if token is not None:
        _immediate.reset(token)


# ---- work that must wait for a commit ------------------------------------------------------------

_after_commit_hooks: set[str] = set()


def call_after_commit(flag: str, callback, *, failure_event: str) -> None:
    """Call `callback(app)` after a transaction that set `session.info[flag] = True` commits,
    once its connection is back in the pool (waking a relay from the commit hook itself, while
    that connection was still checked out, starved the pool when many requests committed at
    once). A rollback forgets the flag. A failing callback is logged as `failure_event` and
    swallowed: the commit already happened, and the periodic sweeps pick up what it missed.
    Installed once per flag per process (the scoped session is process-wide)."""
    if flag in _after_commit_hooks:
        return
    _after_commit_hooks.add(flag)
    wake = f"{flag}:wake"

    @event.listens_for(session, "after_commit")
    def _after_commit(sess):
        if sess.info.pop(flag, False):
            sess.info[wake] = True

    @event.listens_for(session, "after_transaction_end")
    def _after_transaction_end(sess, transaction):
        if transaction.parent is None and sess.info.pop(wake, False):
            try:
                callback(current_app._get_current_object())
            except Exception:
                logging.getLogger(__name__).exception(failure_event)

    @event.listens_for(session, "after_soft_rollback")
    def _after_rollback(sess, _previous):
        sess.info.pop(flag, None)
