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
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Session, mapped_column, scoped_session, sessionmaker
from sqlalchemy.sql.elements import TextClause
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
        if self.info.get(READS_ONLY):
            return current_app.extensions["kade_reads_engine"]
        return current_app.extensions["kade_engine"]


# ---- pages that only read --------------------------------------------------------------------
#
# A storefront page only reads, yet a PostgreSQL transaction costs it two round trips of its
# own (BEGIN before the first query, ROLLBACK when the request ends): on the product page,
# two of its six. A view marked `reads_only` runs its GET requests on a connection in
# autocommit instead, from the same pool: each statement is its own transaction, which is
# what READ COMMITTED gave each statement anyway (a fresh snapshot), so the page reads the
# same data. Anything that tries to write in such a request is refused (`transaction()` and
# commit raise), so a write added later to a marked view fails its tests instead of going
# out unguarded. On SQLite nothing changes but that refusal.

READS_ONLY = "kade_reads_only"


class ReadOnlyRequest(RuntimeError):
    """A view marked `reads_only` tried to write."""


def reads_only(view):
    """Mark a view whose GET and HEAD requests never write (see above)."""
    view.kade_reads_only = True
    return view


def _begin_reads_only() -> None:
    from flask import request

    if request.method not in ("GET", "HEAD"):
        return
    view = current_app.view_functions.get(request.endpoint)
    if getattr(view, "kade_reads_only", False) and not session().in_transaction():
        session().info[READS_ONLY] = True


def _end_request(exc) -> None:
    """Give a `reads_only` request's autocommit connection back and forget the mark, where
    the app context outlives the request (a test's; in production the session is removed
    next). Another request that ended well and wrote nothing commits what it read (below);
    the session's removal rolls back whatever is left."""
    if not session.registry.has():
        return  # no session was made: nothing to give back (and none to make now)
    current = session()
    if current.info.pop(READS_ONLY, None):
        if current.new or current.dirty or current.deleted:
            current.rollback()  # a refused write's leftovers: never flushed now
        else:
            current.commit()  # nothing to write; keeps what was loaded (no expiry)
    elif exc is None:
        try:
            _end_unwritten(current)  # one that wrote is left as it is, for the removal
        except SQLAlchemyError:  # the connection is gone: the removal cleans up
            logging.getLogger(__name__).warning("request_read_commit_failed", exc_info=True)


def _refuse_writes(a_session, *_args) -> None:
    if a_session.info.get(READS_ONLY):
        raise ReadOnlyRequest("a view marked reads_only tried to write")


# ---- transactions that wrote nothing end with COMMIT -----------------------------------------
#
# psycopg forgets every statement it has prepared on a connection when that connection rolls
# back (it sends DEALLOCATE ALL: the transaction might have dropped what they refer to) and
# starts counting their uses afresh. Requests that read in a transaction and wrote nothing (the
# API's cart, an add to cart refused for stock) ended with ROLLBACK, so the pool's connections
# kept losing their prepared statements and PostgreSQL parsed and planned them anew: 1.7 ms of
# its CPU in a checkout journey of 9.7 (bench/README.md). Such a transaction now ends with
# COMMIT: the same for the data, and the statements stay prepared. The session notes every
# write: a flush, and any statement but a SELECT sent through `session.execute` or
# `prepared.rows` (`writes`: a text() one that does not begin with SELECT). Objects added and
# never flushed (the cart made for an item then refused) are dropped, as a rollback drops
# them. A transaction that wrote, holds changes to loaded objects not yet flushed, or failed
# in the database still rolls back.

WROTE = "kade_wrote"


def _note_write(a_session, *_args) -> None:
    a_session.info[WROTE] = True


def writes(statement) -> bool:
    """Whether `statement` may write: anything but a SELECT. A text() one is a read when it
    begins with SELECT (the WAL archive's status, the next order id): a function that writes
    must not be called that way."""
    if statement.is_select:
        return False
    if isinstance(statement, TextClause):
        return statement.text.lstrip()[:6].upper() != "SELECT"
    return True


def _note_statement(state) -> None:
    if writes(state.statement):
        state.session.info[WROTE] = True


def _forget_writes(a_session, transaction) -> None:
    if transaction.parent is None:  # the outermost: a savepoint's end ends nothing
        a_session.info.pop(WROTE, None)


def _end_unwritten(a_session) -> bool:
    """Commit `a_session`'s transaction if it wrote nothing (above); whether it did."""
    transaction = a_session.get_transaction()
    if (transaction is None or not transaction.is_active or a_session.info.get(WROTE)
            or a_session.dirty or a_session.deleted):
        return False
    for pending in list(a_session.new):  # never flushed: dropped, as a rollback drops them
        a_session.expunge(pending)
    a_session.commit()
    return True


def end_reads() -> None:
    """End the request session's transaction: COMMIT when it wrote nothing, else ROLLBACK
    (a `transaction()` refused, a probe, a gauge, a job that reads its work list first). A
    plain rollback would cost the connection its prepared statements (above)."""
    try:
        if _end_unwritten(session()):
            return
    except SQLAlchemyError:
        pass  # the connection is gone or the transaction failed: roll back
    session.rollback()


session = scoped_session(sessionmaker(class_=AppSession, expire_on_commit=False))
_engines: dict[str, Engine] = {}


# What every PostgreSQL connection of the app runs with, set as it connects: a setting made
# per transaction (SET LOCAL) would be lost on the autocommit connections of pages that only
# read (`reads_only`), where each statement is its own transaction.
SERVER_SETTINGS = {
    # No JIT: it is for long analytical queries, and compiling a plan cost a shop's page
    # query tens of milliseconds more than running it (a listing's stock filter: 25 ms of
    # JIT for a 30 ms query). Reports that want it can turn it on for their session.
    "jit": "off",
    # The typo search's `<%` (app/catalog/search_sql.py near_names): "peper" is 0.625 like
    # "black pepper"; pg_trgm's default, 0.6, misses typos a shopper makes.
    "pg_trgm.word_similarity_threshold": "0.5",
}


# A host that does not answer (a dead machine drops the SYN; no "connection refused" comes
# back) is given up after this many seconds, and the next host of a multi-host URL tried.
# psycopg's own default is 130 s: a request would hang that long on every new connection
# to a failed primary. libpq takes 2 s at the least. The URL's own `connect_timeout` wins.
CONNECT_TIMEOUT_SECONDS = 3
# Connections a process keeps open, and how many more it may open at a rush (each gunicorn
# worker is a process: workers x (size + overflow), over both pools, the worker and the
# scheduler, must fit in PostgreSQL's max_connections). DATABASE_POOL_SIZE and
# DATABASE_MAX_OVERFLOW change them; gunicorn.conf.py gives the back office's pool fewer.
POOL_SIZE, MAX_OVERFLOW = 5, 10


def make_engine(url: str, settings: dict[str, str] | None = None, *,
                connect_timeout: int = CONNECT_TIMEOUT_SECONDS, pool_size: int = POOL_SIZE,
                max_overflow: int = MAX_OVERFLOW) -> Engine:
    """An engine for `url`; on PostgreSQL its connections run with SERVER_SETTINGS and
    `settings` (a statement timeout for reports, say), give up on a host after
    `connect_timeout` seconds, and one whose server went away or became a standby is
    dropped from the pool (see `_drop_lost_servers`).

    `url` may list several hosts for failover, in SQLAlchemy's multi-host form:
    `postgresql+psycopg://kade@/kade?host=db1:5432&host=db2:5432&target_session_attrs=read-write`
    (each new connection goes to the first host that takes writes)."""
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
    # Added to any `options` the URL gives (a statement timeout, say), not in their place.
    from sqlalchemy.engine import make_url

    query = make_url(url).query
    given = query.get("options", "")
    options = " ".join([*([given] if isinstance(given, str) and given else []),
                        *(f"-c {name}={value}"
                          for name, value in {**SERVER_SETTINGS, **(settings or {})}.items())])
    connect_args = {"options": options}
    if "connect_timeout" not in query:
        connect_args["connect_timeout"] = int(connect_timeout)
    engine = create_engine(url, pool_size=pool_size, max_overflow=max_overflow,
                           connect_args=connect_args)
    _ping_when_idle(engine)
    _drop_lost_servers(engine)
    return engine


# SQLSTATEs that mean this connection's server is gone, whatever the driver noticed of the
# socket: class 08 (connection exceptions), and a server shutting down (57P01: a fast or
# immediate shutdown, or pg_terminate_backend), crashing (57P02) or not taking connections
# yet (57P03, starting up or in recovery). psycopg usually marks such a connection broken,
# which SQLAlchemy counts as a disconnect; this makes it so whatever it read first.
LOST_SERVER_SQLSTATES = frozenset({"57P01", "57P02", "57P03"})
# "cannot execute INSERT in a read-only transaction".
READ_ONLY_SQL_TRANSACTION = "25006"


def _drop_lost_servers(engine: Engine) -> None:
    """Count as a disconnect (SQLAlchemy then invalidates the connection and the pool, and
    the next checkout connects afresh, to whichever host now takes writes):

    - the errors of a server that is gone (LOST_SERVER_SQLSTATES, class 08);
    - a write refused as read-only by a server in hot standby: a connection that reached
      a standby (through a proxy or an address that moved to another machine, or a
      URL without target_session_attrs=read-write) would otherwise stay in the pool and
      fail every write. PostgreSQL 14+ reports `in_hot_standby` to each session and
      updates it on promotion, so this costs no round trip. A write refused because the
      session was made read-only on purpose (the reports' pool sets
      default_transaction_read_only) is not a disconnect: that server is a primary."""

    @event.listens_for(engine, "handle_error")
    def _lost_server(context):
        if context.is_disconnect:
            return
        sqlstate = getattr(context.original_exception, "sqlstate", None) or ""
        if sqlstate in LOST_SERVER_SQLSTATES or sqlstate.startswith("08"):
            context.is_disconnect = True
        elif sqlstate == READ_ONLY_SQL_TRANSACTION and _on_hot_standby(context):
            context.is_disconnect = True


def _on_hot_standby(context) -> bool:
    connection = context.connection
    if connection is None or connection.closed:
        return False
    driver = connection.connection.driver_connection
    info = getattr(driver, "info", None)  # psycopg 3's ConnectionInfo
    return info is not None and info.parameter_status("in_hot_standby") == "on"


# A connection back from the pool within this many seconds of its last use is not pinged
# first: a busy process hands the same few connections round, and a ping is a round trip
# (about 0.1 ms of CPU here and a statement for PostgreSQL) on every request. One idle longer
# (a quiet spell, a restarted or failed-over server) is pinged, and one that fails is
# replaced before the request sees it. A server lost in the last second costs the requests
# under way an error: SQLAlchemy then invalidates the whole pool, and the next ones reconnect.
PING_AFTER_IDLE_SECONDS = 1.0


def _ping_when_idle(engine: Engine) -> None:
    import time

    from sqlalchemy import exc

    @event.listens_for(engine, "checkin")
    def _note_use(_dbapi_connection, record):
        if record is not None:
            record.info["kade_last_used"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection, record, _proxy):
        last = record.info.get("kade_last_used")
        if last is not None and time.monotonic() - last < PING_AFTER_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)  # the dialect's own (outside a transaction)
        except Exception as error:
            # The pool drops this connection and checks out another (SQLAlchemy's recipe for
            # pessimistic disconnect handling).
            raise exc.DisconnectionError() from error


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


def slots(name: str, count: int) -> list:
    """`count` bound parameters `name0`, `name1` …: a statement built once for lists of that
    length (a category's subtree, say) and run with `slot_values(name, values)`. SQLAlchemy
    keeps a built statement's cache key; one built every request cost more CPU than its run."""
    from sqlalchemy import bindparam

    return [bindparam(f"{name}{n}") for n in range(count)]


def slot_values(name: str, values) -> dict:
    return {f"{name}{n}": value for n, value in enumerate(values)}


def null_of(type_):
    """NULL as an SQL value of `type_`: a UNION ALL's column one part leaves empty (two kinds
    of rows in one statement, one round trip) must have the other part's type."""
    from sqlalchemy import null

    return null().cast(type_)


def engine_for(url: str, settings: dict[str, str] | None = None, *,
               connect_timeout: int = CONNECT_TIMEOUT_SECONDS, pool_size: int = POOL_SIZE,
               max_overflow: int = MAX_OVERFLOW) -> Engine:
    """One engine (one pool) per URL, settings, connect timeout and pool size in this
    process."""
    key = url if not settings else f"{url}#{sorted(settings.items())}"
    if connect_timeout != CONNECT_TIMEOUT_SECONDS:
        key = f"{key}#connect_timeout={connect_timeout}"
    if (pool_size, max_overflow) != (POOL_SIZE, MAX_OVERFLOW):
        key = f"{key}#pool={pool_size}+{max_overflow}"
    if key not in _engines:
        _engines[key] = make_engine(url, settings, connect_timeout=connect_timeout,
                                    pool_size=pool_size, max_overflow=max_overflow)
    return _engines[key]


def engine_options(config) -> dict:
    """How the app's settings shape its engines: connect timeout and pool size."""
    return {"connect_timeout": config.get("DATABASE_CONNECT_TIMEOUT", CONNECT_TIMEOUT_SECONDS),
            "pool_size": config.get("DATABASE_POOL_SIZE", POOL_SIZE),
            "max_overflow": config.get("DATABASE_MAX_OVERFLOW", MAX_OVERFLOW)}


def init_app(app) -> None:
    engine = app.extensions["kade_engine"] = engine_for(app.config["DATABASE_URL"],
                                                        **engine_options(app.config))
    # The same pool, its connections lent in autocommit (SQLite's stay as they are: its
    # BEGIN costs no round trip, and its own BEGIN hook must keep running).
    app.extensions["kade_reads_engine"] = (
        engine.execution_options(isolation_level="AUTOCOMMIT")
        if engine.dialect.name == "postgresql" else engine)
    # First of the hooks that may touch the database, so the request's first query already
    # goes to the right connection.
    app.before_request_funcs.setdefault(None, []).insert(0, _begin_reads_only)
    app.teardown_request(_end_request)
    from app import request_memo

    request_memo.init_app(AppSession)
    if not event.contains(AppSession, "before_commit", _refuse_writes):
        event.listen(AppSession, "before_commit", _refuse_writes)
        event.listen(AppSession, "before_flush", _refuse_writes)
        event.listen(AppSession, "after_flush", _note_write)
        event.listen(AppSession, "do_orm_execute", _note_statement)
        event.listen(AppSession, "after_transaction_end", _forget_writes)

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
    _refuse_writes(session())
    depth = info.get("tx_depth", 0)
    token = None
    if depth == 0 and session().get_bind().dialect.name == "sqlite":
        if session().in_transaction():
            # End the reads so far (expire_on_commit is off: nothing reloads). Objects added
            # and not yet written wait outside it, to be written under the lock with the
            # rest (a cart made for its first item), not by this commit without it.
            waiting = list(session().new)
            for instance in waiting:
                session.expunge(instance)
            session.commit()
            session.add_all(waiting)
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
    except BaseException as error:
        if depth == 0:
            token = _release(token)
            # Refused before it wrote (out of stock, a bad voucher): COMMIT, which keeps the
            # connection's prepared statements (above). A database error always rolls back.
            if isinstance(error, Exception) and not isinstance(error, SQLAlchemyError):
                end_reads()
            else:
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
