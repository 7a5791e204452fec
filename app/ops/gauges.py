"""The gauges /metrics reads at scrape time (app/ops/metrics.py): what waits in the outboxes
and RQ's queues, and how old the recovery point is. Read from the database and Redis, so
every process and machine reports the same truth."""

from __future__ import annotations

from collections.abc import Iterator

from flask import current_app
from redis.exceptions import RedisError
from rq import Queue, Worker
from rq.registry import FailedJobRegistry

from app import db
from app.db import utcnow
from app.events import services as events
from app.notifications import services as notifications
from app.ops.metrics import Reading, one
from app.queue import QUEUES
from app.redis_client import redis_for


def _age_seconds(since) -> float:
    return 0.0 if since is None else max(0.0, (utcnow() - since).total_seconds())


def outboxes() -> Iterator[Reading]:
    """Messages (emails, SMS) and domain-event handlings not done yet, how long the one
    due longest has waited for delivery, and how many were given up on."""
    try:
        waiting = events.counts()
        rows = {"notifications": notifications.backlog(),
                "events": (waiting.pending, waiting.failed, events.due_since())}
    finally:
        db.end_reads()
    labels = ("outbox",)
    yield Reading("kade_outbox_pending", "Items waiting to be delivered or handled.",
                  [({"outbox": name}, row[0]) for name, row in rows.items()], labels)
    yield Reading("kade_outbox_failed", "Items given up on after every retry (staff can "
                  "retry them at /staff/jobs).",
                  [({"outbox": name}, row[1]) for name, row in rows.items()], labels)
    yield Reading("kade_outbox_lag_seconds", "How long the longest-waiting item has been "
                  "due (0 when none is; one waiting out a retry's back-off is not due).",
                  [({"outbox": name}, _age_seconds(row[2])) for name, row in rows.items()],
                  labels)


def queues() -> Iterator[Reading]:
    """RQ's queues: jobs waiting, jobs failed, workers alive. Nothing without Redis (jobs
    then run in the web process)."""
    connection = redis_for(current_app)
    if connection is None:
        return
    try:
        depth = {name: Queue(name, connection=connection).count for name in QUEUES}
        # No clean-up: a scrape must not move jobs about (workers do that).
        failed = {name: FailedJobRegistry(name, connection=connection)
                  .get_job_count(cleanup=False) for name in QUEUES}
        workers = Worker.count(connection=connection)
    except RedisError:
        yield one("kade_redis_up", "1 when Redis answered this scrape.", 0)
        return
    yield one("kade_redis_up", "1 when Redis answered this scrape.", 1)
    yield Reading("kade_rq_queue_depth", "Jobs waiting in each queue.",
                  [({"queue": name}, count) for name, count in depth.items()], ("queue",))
    yield Reading("kade_rq_failed_jobs", "Jobs in each queue's failed registry.",
                  [({"queue": name}, count) for name, count in failed.items()], ("queue",))
    yield one("kade_rq_workers", "RQ workers registered with Redis.", workers)


def backups() -> Iterator[Reading]:
    from app.ops.services import backup_freshness

    fresh = backup_freshness()
    yield one("kade_backup_age_seconds", "Seconds since the last good backup finished.",
              fresh.get("last_backup_age_seconds"))
    yield one("kade_recovery_point_age_seconds", "Seconds of data a restore now could lose "
              "(last backup, or last archived WAL on PostgreSQL).", fresh.get("age_seconds"))
    yield one("kade_wal_archive_age_seconds", "Seconds since the last WAL segment was "
              "archived (PostgreSQL with pgBackRest).", fresh.get("wal_archive_age_seconds"))
    yield one("kade_backup_stale", "1 when the recovery point is older than allowed.",
              0 if fresh.get("ok") else 1)


def standby() -> Iterator[Reading]:
    """The hot standby seen from the primary: how many stream from it, and how far behind
    the furthest is. Only where one is expected (DATABASE_STANDBY_URL or
    DATABASE_REPLICA_URL set): without, "no standby" is the plan, not an alert."""
    config = current_app.config
    engine = current_app.extensions["kade_engine"]
    if engine.dialect.name != "postgresql" or not (
            config.get("DATABASE_STANDBY_URL") or config.get("DATABASE_REPLICA_URL")):
        return
    from sqlalchemy.exc import OperationalError

    from app.ops import replication

    try:
        found = replication.status(engine)
    except OperationalError:
        return  # the database is down: KadeDown and the 5xx alerts say so
    yield one("kade_replica_standbys", "Standbys streaming from the primary.",
              found["standbys"])
    yield one("kade_replica_lag_seconds", "How far the furthest standby's replay is behind "
              "the primary, in seconds.", found["replica_lag_seconds"])


READERS = (outboxes, queues, backups, standby)
