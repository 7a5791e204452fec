"""The hot standby: where a server stands in replication, and promoting a standby.

`status()` feeds monitoring (replica lag, standbys streaming); `promote()` is what
`flask ops promote` runs when the primary is lost (docs/RECOVERY.md, "Hot standby and
failover"). Both speak to the server named by a URL or an engine directly, on a connection
of their own, never through the app's pool: the app's DATABASE_URL follows whichever host
takes writes, and these must talk to one host in particular.
"""

from __future__ import annotations

import time

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import NullPool

from app.db import CONNECT_TIMEOUT_SECONDS

# How long `promote` waits for the standby to finish replaying what it has and open for
# writes (pg_promote's own default is 60 s).
PROMOTE_WAIT_SECONDS = 60

# One round trip. On a standby, pg_last_xact_replay_timestamp() is the commit time of the
# last transaction replayed: on a quiet shop it grows old although nothing is missing, so a
# standby that has replayed all it received counts as 0 s behind. On the primary,
# pg_stat_replication's replay_lag is NULL a while after the standbys caught up with an idle
# primary: 0 then, and None only when no standby is connected. Non-superusers need the
# pg_monitor role to see the lag columns of pg_stat_replication.
_STATUS_SQL = text("""
SELECT pg_is_in_recovery() AS in_recovery,
       CASE WHEN NOT pg_is_in_recovery() THEN NULL
            WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
            ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp())
       END AS standby_lag,
       (SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming') AS standbys,
       (SELECT count(*) FROM pg_stat_replication
         WHERE state = 'streaming' AND sync_state IN ('sync', 'quorum')) AS synchronous,
       (SELECT extract(epoch FROM max(replay_lag)) FROM pg_stat_replication) AS primary_lag,
       (SELECT count(*) FROM pg_stat_wal_receiver WHERE status = 'streaming') AS receiving
""")


class PromotionError(Exception):
    """The standby was not promoted. `str()` says why and what to do."""


class NotAStandby(PromotionError):
    """The server named is not in recovery: a primary already. Nothing was done."""


def status(engine_or_url: Engine | str) -> dict:
    """Where this server stands:

    - `role`: "primary", "standby", or "embedded" (SQLite: no replication);
    - `replica_lag_seconds`: on a standby, how far its replay is behind (0 when it has
      replayed all it received); on a primary, the largest replay lag of its standbys;
      None on a primary without standbys, and on SQLite;
    - `standbys`: standbys streaming from this server; `synchronous_standbys`: how many of
      them its commits wait for;
    - `streaming` (standby only): whether it is receiving WAL from its primary now.

    Never raises for SQLite. On PostgreSQL, a server that does not answer raises
    sqlalchemy.exc.OperationalError."""
    engine, own = _engine(engine_or_url)
    try:
        if engine.dialect.name != "postgresql":
            return {"role": "embedded", "replica_lag_seconds": None, "standbys": 0,
                    "synchronous_standbys": 0}
        with engine.connect() as connection:
            row = connection.execute(_STATUS_SQL).one()
    finally:
        if own:
            engine.dispose()
    if row.in_recovery:
        lag = row.standby_lag
        return {"role": "standby", "replica_lag_seconds": None if lag is None else float(lag),
                "standbys": int(row.standbys), "synchronous_standbys": 0,
                "streaming": bool(row.receiving)}
    lag = None if not row.standbys else float(row.primary_lag or 0)
    return {"role": "primary", "replica_lag_seconds": lag, "standbys": int(row.standbys),
            "synchronous_standbys": int(row.synchronous)}


def promote(url: Engine | str, *, wait_seconds: int = PROMOTE_WAIT_SECONDS) -> dict:
    """Promote the standby at `url` (one host) to a primary, and wait until it takes writes.
    Returns {"server", "timeline", "seconds"}. Raises NotAStandby when it is a primary
    already (nothing done), PromotionError when it did not finish within `wait_seconds`,
    sqlalchemy.exc.OperationalError when it does not answer.

    The caller's job afterwards: the old primary must never start again as a primary
    (rebuild it as a standby of this one)."""
    engine, own = _engine(url)
    server = _server_name(engine)
    started = time.monotonic()
    try:
        if engine.dialect.name != "postgresql":
            raise NotAStandby(f"{server} is not PostgreSQL: there is no standby to promote")
        with engine.connect() as connection:
            if not connection.scalar(text("SELECT pg_is_in_recovery()")):
                raise NotAStandby(
                    f"{server} is not a standby (pg_is_in_recovery() is false): it is a "
                    "primary already, and was left as it was")
            done = connection.scalar(text("SELECT pg_promote(wait => true, "
                                          "wait_seconds => :seconds)"),
                                     {"seconds": int(wait_seconds)})
            if not done:
                raise PromotionError(
                    f"{server} was asked to promote but still replays after {wait_seconds} s; "
                    "see its log, and run this again to wait longer")
            # From the current WAL file's name: the control file's timeline changes only at
            # the next checkpoint, which a promotion no longer waits for.
            timeline = connection.scalar(text(
                "SELECT ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))"
                "::bit(32)::int"))
    finally:
        if own:
            engine.dispose()
    return {"server": server, "timeline": timeline,
            "seconds": round(time.monotonic() - started, 2)}


def _engine(engine_or_url: Engine | str) -> tuple[Engine, bool]:
    """(engine, made here: dispose it after use). A connection of its own, in autocommit
    (pg_promote must not wait on a transaction of ours), that gives up after the same
    connect timeout as the app."""
    if isinstance(engine_or_url, Engine):
        return engine_or_url, False
    url = make_url(engine_or_url)
    if url.get_backend_name() != "postgresql":
        return create_engine(url, poolclass=NullPool), True
    connect_args = {} if "connect_timeout" in url.query else {
        "connect_timeout": CONNECT_TIMEOUT_SECONDS}
    return create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT",
                         connect_args=connect_args), True


def _server_name(engine: Engine) -> str:
    """host:port/database for messages (never the password)."""
    url = engine.url
    if url.get_backend_name() != "postgresql":
        return url.render_as_string(hide_password=True)
    hosts = url.query.get("host") or url.host or "localhost"
    if not isinstance(hosts, str):
        hosts = ",".join(hosts)
    port = f":{url.port}" if url.port else ""
    return f"{hosts}{port}/{url.database}"
