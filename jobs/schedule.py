"""The periodic schedule: every recurring job of the shop, declared here and nowhere else.

`python -m jobs.scheduler` hands these to RQ's CronScheduler, which enqueues each job on
its queue at its interval; the workers run them. Every job here must be safe to run twice
or in two workers at once (they are: each claims its rows), because a scheduler that
restarts (after a Redis outage, a deploy) enqueues every interval job at once.

KADE_SCHEDULE_SCALE multiplies every interval, for tests and demos: 0.01 turns the relay
sweep's 60 s into 0.6 s. Unset (or 1) in production.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from jobs import accounts, backups, events, inventory, notifications, orders


@dataclass(frozen=True)
class Periodic:
    name: str  # the cron job's name in Redis (and on /staff/jobs)
    func: object  # a job function of jobs/
    queue: str  # one of app.queue.QUEUES
    every: float  # seconds, before scaling


SCHEDULE: tuple[Periodic, ...] = (
    # Delivers outbox messages whose wake-up was lost (Redis down at commit time), whose
    # lease ran out (a worker died mid-delivery) or whose backoff is over.
    Periodic("outbox-relay-sweep", notifications.relay, "high", 60),
    # Hands domain events to their handlers when the wake-up was lost, a handler's backoff
    # is over or its worker died mid-way (the lease ran out).
    Periodic("event-sweep", events.deliver, "high", 60),
    # Cancels bank-transfer orders left unpaid past UNPAID_ORDER_HOURS, giving stock back.
    Periodic("unpaid-order-expiry", orders.expire_unpaid, "default", 5 * 60),
    # Reminds bank-transfer customers a day before their order would be cancelled.
    Periodic("payment-reminders", orders.remind_unpaid, "default", 15 * 60),
    # Mails the inventory staff about stock that fell to its threshold.
    Periodic("low-stock-alerts", inventory.alert_low_stock, "default", 15 * 60),
    # Backups (docs/RECOVERY.md). SQLite: a snapshot every 5 minutes is the recovery point.
    # PostgreSQL: WAL archiving (pgBackRest, archive_timeout 30 s) is; the weekly full and
    # daily differential bound how much WAL a restore replays; the nightly dump is the
    # logical copy. Each job does nothing where it does not apply.
    Periodic("backup-snapshot", backups.snapshot, "backups", backups.SNAPSHOT_EVERY),
    Periodic("backup-dump", backups.dump, "backups", backups.DUMP_EVERY),
    Periodic("backup-full", backups.full, "backups", backups.FULL_EVERY),
    Periodic("backup-differential", backups.differential, "backups", backups.DIFF_EVERY),
    Periodic("backup-prune", backups.prune, "backups", 60 * 60),
    # Mails the administrators when a backup failed or the last good one is too old.
    Periodic("backup-watch", backups.watch, "default", 5 * 60),
    # Forgets sign-in sessions that ended or expired more than 30 days ago.
    Periodic("login-session-purge", accounts.purge_sessions, "low", 24 * 60 * 60),
    # Nightly offers and recommendations go on `low` when they exist.
)


def scale() -> float:
    """KADE_SCHEDULE_SCALE as a positive number (1 when unset)."""
    raw = os.environ.get("KADE_SCHEDULE_SCALE", "").strip()
    if not raw:
        return 1.0
    value = float(raw)
    if value <= 0:
        raise ValueError("KADE_SCHEDULE_SCALE must be a positive number")
    return value


def register(scheduler, factor: float | None = None) -> None:
    """Register every periodic job with an rq.cron.CronScheduler."""
    factor = scale() if factor is None else factor
    for job in SCHEDULE:
        every = job.every * factor
        scheduler.register(
            job.func, job.queue, interval=every, name=job.name,
            # A run still queued after a few intervals is stale: the next one does its work.
            # (RQ wants whole seconds here; at least a minute, so a busy worker still gets it.)
            ttl=max(60, int(every * 5)),
            job_timeout=max(60, int(job.every)),
            result_ttl=max(60, int(every * 2)))
