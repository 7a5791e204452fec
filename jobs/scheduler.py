"""The scheduler: `python -m jobs.scheduler` runs RQ's CronScheduler with the periodic
schedule of jobs/schedule.py against REDIS_URL. Run exactly one.

It only enqueues; the workers run the jobs. RQ's CronScheduler exits when Redis goes away,
so it is supervised: this process waits for Redis with backoff and starts a new one, which
enqueues every interval job at once (they are all safe to run twice) and then keeps their
intervals; jobs at a Colombo time of day wait for it. KADE_SCHEDULE_SCALE compresses the
intervals (see jobs/schedule.py).
SIGTERM or Ctrl+C stop it.
"""

from __future__ import annotations

import logging
import os
import sys

from redis import Redis
from rq.cron import CronScheduler

from jobs import schedule
from jobs.worker import _install_stop_handlers, redact_logs, redis_url_or_exit, supervise

log = logging.getLogger("kade.scheduler")


def _json_logs(level: str) -> None:
    """The app's JSON log lines on stderr, without building the app (the scheduler needs
    neither the database nor the app's settings)."""
    from app.ops.logs import JsonFormatter

    root = logging.getLogger()
    if not any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        root.addHandler(handler)
    root.setLevel(level)


def main(argv: list[str] | None = None) -> int:
    if argv:  # it takes no arguments: the schedule is jobs/schedule.py
        help_asked = argv in (["-h"], ["--help"])
        print(__doc__, file=sys.stdout if help_asked else sys.stderr)
        return 0 if help_asked else 2
    url = redis_url_or_exit("scheduler")
    level = os.environ.get("LOG_LEVEL", "INFO").upper()
    _json_logs(level)
    redact_logs()
    factor = schedule.scale()
    connection = Redis.from_url(url, socket_connect_timeout=5, socket_timeout=30,
                                health_check_interval=30)

    def run() -> bool:
        scheduler = CronScheduler(connection=connection, logging_level=level)
        schedule.register(scheduler, factor)
        # Returns when a signal asked it to stop; raises when Redis goes away.
        scheduler.start()
        return True

    log.info("scheduler_starting", extra={"jobs": [job.name for job in schedule.SCHEDULE],
                                          "scale": factor})
    _install_stop_handlers()
    return supervise(run, connection, "scheduler")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
