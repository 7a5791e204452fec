"""The periodic schedule: every recurring job of the shop, declared here and nowhere else.

`python -m jobs.scheduler` hands these to RQ's CronScheduler, which enqueues each job on
its queue at its interval; the workers run them. Every job here must be safe to run twice
or in two workers at once (they are: each claims its rows), because a scheduler that
restarts (after a Redis outage, a deploy) enqueues every interval job at once.

A job runs either `every` so many seconds (counted from whenever the scheduler started) or
`at` a set Asia/Colombo wall time ("02:30" daily, "sun 03:00" weekly), which becomes a UTC
cron line for RQ. Work that belongs to a time of night (backups, purges) uses `at`; a job
at a set time does not run when the scheduler starts, only at its time.

KADE_SCHEDULE_SCALE multiplies every interval, for tests and demos: 0.01 turns the relay
sweep's 60 s into 0.6 s. Unset (or 1) in production. Times of day are never scaled.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from jobs import (
    accounts,
    backups,
    events,
    inventory,
    notifications,
    orders,
    plans,
    recommendations,
    reports,
    wallet,
)

SHOP_TIME = ZoneInfo("Asia/Colombo")  # the zone `at` times are given in
WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")  # cron's 0-6
_AT = re.compile(r"^(?:(?P<day>[a-z]{3}) )?(?P<hour>[01]\d|2[0-3]):(?P<minute>[0-5]\d)$")


def utc_cron(at: str, zone: ZoneInfo = SHOP_TIME) -> str:
    """A cron line in UTC (what RQ's CronScheduler reads) for a wall time in `zone`:
    "02:30" (daily) or "sun 03:00" (weekly). "02:30" in Colombo is "0 21 * * *": 21:00 UTC
    the day before. ValueError for any other spelling, or for a zone whose offset changes
    during the year (a fixed UTC line would drift by an hour with its clocks)."""
    found = _AT.match(at.strip().lower())
    if not found or (found["day"] and found["day"] not in WEEKDAYS):
        raise ValueError(f"at={at!r}: give 'HH:MM' or 'sun HH:MM' (a weekday and a time)")
    year = dt.datetime.now(dt.UTC).year
    offsets = {dt.datetime(year, month, 1, tzinfo=zone).utcoffset() for month in (1, 7)}
    if len(offsets) > 1:
        raise ValueError(f"{zone.key} changes its clocks; a UTC cron line cannot follow it")
    # A Sunday of that year (1 January's weekday is irrelevant: no clock change anywhere).
    sunday = dt.date(year, 1, 1) + dt.timedelta(days=(6 - dt.date(year, 1, 1).weekday()) % 7)
    day = WEEKDAYS.index(found["day"]) if found["day"] else 0
    local = dt.datetime.combine(sunday + dt.timedelta(days=day),
                                dt.time(int(found["hour"]), int(found["minute"])), zone)
    utc = local.astimezone(dt.UTC)
    weekday = (utc.weekday() + 1) % 7 if found["day"] else None  # Python's Monday=0
    return f"{utc.minute} {utc.hour} * * {'*' if weekday is None else weekday}"


@dataclass(frozen=True)
class Periodic:
    name: str  # the cron job's name in Redis (and on /staff/jobs)
    func: object  # a job function of jobs/
    queue: str  # one of app.queue.QUEUES
    every: float | None = None  # seconds, before scaling
    at: str | None = None  # a Colombo wall time: "02:30" daily, "sun 03:00" weekly

    def __post_init__(self):
        if (self.every is None) == (self.at is None):
            raise ValueError(f"{self.name}: give `every` or `at`, not both or neither")
        if self.at is not None:
            utc_cron(self.at)  # a bad spelling fails at import, not at 2 in the morning

    @property
    def cron(self) -> str | None:
        """The UTC cron line of an `at` job; None for an interval job."""
        return utc_cron(self.at) if self.at is not None else None

    def next_wait(self, factor: float = 1.0, *, starting: bool = False,
                  now: dt.datetime | None = None) -> float:
        """Seconds from now to the next run, for the embedded scheduler (app/queue.py): an
        interval job runs at once when the scheduler starts and every (scaled) interval
        after; an `at` job waits for its next time. Just after a run, the run's own minute
        does not count again (a clock a moment behind would otherwise repeat it)."""
        if self.at is None:
            return 0.0 if starting else self.every * factor
        from croniter import croniter

        now = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)  # the cron line is UTC
        after = now if starting else now + dt.timedelta(minutes=1)
        return (croniter(self.cron, after).get_next(dt.datetime) - now).total_seconds()

    @property
    def period(self) -> float:
        """Seconds between two runs: the interval, a day, or a week."""
        if self.every is not None:
            return self.every
        return 7 * 86400 if " " in self.at.strip() else 86400


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
    # Renews plans whose period ended (the next period's invoice), marks unpaid ones past due
    # and expires those whose grace is over.
    Periodic("plan-renewals", plans.renew_due, "default", 15 * 60),
    # Tells members of a renewal three days ahead and of a grace period about to end.
    Periodic("plan-reminders", plans.remind, "default", 60 * 60),
    # Mails the inventory staff about stock that fell to its threshold.
    Periodic("low-stock-alerts", inventory.alert_low_stock, "default", 15 * 60),
    # Backups (docs/RECOVERY.md). SQLite: a snapshot every 5 minutes is the recovery point.
    # PostgreSQL: WAL archiving (pgBackRest, archive_timeout 30 s) is; the weekly full and
    # daily differential bound how much WAL a restore replays; the nightly dump is the
    # logical copy. Each job does nothing where it does not apply.
    Periodic("backup-snapshot", backups.snapshot, "backups", backups.SNAPSHOT_EVERY),
    # At set Colombo times in the quiet of the night, whenever the scheduler started.
    Periodic("backup-dump", backups.dump, "backups", at=backups.DUMP_AT),
    Periodic("backup-full", backups.full, "backups", at=backups.FULL_AT),
    Periodic("backup-differential", backups.differential, "backups", at=backups.DIFF_AT),
    Periodic("backup-prune", backups.prune, "backups", 60 * 60),
    # Mails the administrators when a backup failed or the last good one is too old.
    Periodic("backup-watch", backups.watch, "default", 5 * 60),
    # Forgets sign-in sessions that ended or expired more than 30 days ago.
    Periodic("login-session-purge", accounts.purge_sessions, "low", at="04:00"),
    # Writes off store credit and points past their expiry date (a spend never takes lapsed
    # credit, so this only keeps the ledger's balance honest), just after Colombo's midnight.
    Periodic("store-credit-expiry", wallet.expire_credit, "low", at="00:05"),
    # Reminds customers of loyalty points lapsing within the scheme's reminder window.
    Periodic("points-expiry-reminders", wallet.remind_expiring_points, "low", at="10:00"),
    # Writes yesterday's Colombo day (and days changed since) as Parquet files for DuckDB and
    # Spark (docs/ANALYTICS.md), after midnight; on `low`: nobody waits for it.
    Periodic("analytics-export", reports.export_analytics, "low", at=reports.EXPORT_AT),
    # Moves the shopper events buffered by pages (Redis or this process) into the database.
    Periodic("shopper-events-flush", recommendations.flush_events, "low", 60),
    # Shopper events are kept 13 months.
    Periodic("shopper-events-retention", recommendations.delete_old_events, "low",
             at="03:40"),
    # Every recommendation list from the last 13 months of sales, then tonight's personal
    # offers from them, while the shop is quiet (a big shop's take minutes); on `low`.
    Periodic("recommendations", recommendations.compute_recommendations, "low", at="02:30"),
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
    """Register every periodic job with an rq.cron.CronScheduler: interval jobs with their
    scaled interval, `at` jobs with their UTC cron line."""
    factor = scale() if factor is None else factor
    for job in SCHEDULE:
        if job.at is not None:
            when, stale_after, period = {"cron": job.cron}, job.period, job.period
        else:
            period = job.every * factor
            # A run still queued after a few intervals is stale: the next one does its work.
            when, stale_after = {"interval": period}, period * 5
        scheduler.register(
            job.func, job.queue, name=job.name, **when,
            # RQ wants whole seconds here; at least a minute, so a busy worker still gets it.
            ttl=max(60, int(stale_after)),
            job_timeout=max(60, int(job.period)),
            result_ttl=max(60, int(period * 2)))
