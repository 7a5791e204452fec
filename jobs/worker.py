"""The worker: `python -m jobs.worker [queue ...]` (default: high, default, low, backups, in
that order of priority).

An RQ worker of ours against REDIS_URL, with RQ's scheduler on (retries with backoff and
delayed jobs). The app is created once, in this process. The `high` queue's jobs (domain
events to their handlers, the outbox's relay and each message's delivery, a password reset)
run here, one after another: they are small and come with every order, and a forked
work-horse cost about 46 ms of CPU each, as much as placing the order. The other queues'
jobs (reports, exports, backups, the nightly ones) each run in a forked work-horse, which
first makes the inherited database engines its own (a connection must never be shared
between processes), so a heavy job's memory goes with it. Either way RQ's job timeout holds
(a signal in this process, or the horse killed).

Supervised: when Redis goes away the worker leaves its loop and this process waits, with
backoff, until Redis answers again, then starts a fresh worker (new registration, new
scheduler). SIGTERM or Ctrl+C stop it after the running job (a second one at once).
Log lines and the errors RQ keeps for failed jobs never carry an email address, a phone or
NIC number, a card number or a token: they are masked on the way out.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import socket
import sys
import time
import uuid
from collections.abc import Callable
from contextlib import suppress

import redis
from redis import Redis
from rq import Queue, SimpleWorker, Worker, worker_registration
from rq.exceptions import StopRequested

from app.queue import QUEUES
from app.security import masking

log = logging.getLogger("kade.worker")

BACKOFF_FIRST = 0.5  # seconds before the first reconnection attempt
BACKOFF_MAX = 30.0
HEALTHY_AFTER = 60.0  # a run this long resets the backoff
SHUTDOWN_JOIN_SECONDS = 2.0  # the longest a stop waits for the command-channel thread

# ---- no personal data in logs or in Redis ----------------------------------------------------

def redact(text: str) -> str:
    """`text` with email addresses, phone and NIC numbers, card numbers and tokens masked (an
    SMTP server's refusal, for one, tends to quote the recipient): app.security.masking, the
    masker the staff jobs page uses too."""
    return masking.mask(text) if text else text


class RedactingFilter(logging.Filter):
    """Masks addresses and numbers in a record's message, its traceback and its extras."""

    _plain = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = redact(record.getMessage()), None
        if record.exc_info:
            record.exception = redact(self._plain.formatException(record.exc_info))
            record.exc_info, record.exc_text = None, None
        for key, value in list(vars(record).items()):
            if isinstance(value, str) and key not in ("msg", "name", "pathname", "filename",
                                                      "module", "funcName", "levelname"):
                setattr(record, key, redact(value))
        return True


def redact_logs() -> None:
    """Put the filter on every handler of the root logger (where the app's JSON lines and
    RQ's lines go)."""
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())


# ---- the worker ------------------------------------------------------------------------------

class RedisGone(StopRequested):
    """Redis stopped answering: leave the work loop; the supervisor starts a new worker once
    Redis is back. (A StopRequested, so RQ's loop ends quietly instead of logging a crash.)"""


def _fork_safe_engines() -> None:
    """In a work-horse: forget the connections inherited from the worker without closing
    them (they are the parent's), so this process opens its own."""
    from app import db

    db.after_fork()


class KadeQueue(Queue):
    """Waiting for a job is where a worker notices Redis going away: say so at once, instead
    of RQ's retrying in place (which keeps a worker that a restarted, empty Redis no longer
    knows, and whose scheduler process died)."""

    @classmethod
    def dequeue_any(cls, *args, **kwargs):
        try:
            return super().dequeue_any(*args, **kwargs)
        except redis.exceptions.ConnectionError as exc:
            raise RedisGone() from exc


# Queues whose jobs run in the worker's own process (see the module's docstring).
IN_PROCESS_QUEUES = frozenset({"high"})


class KadeWorker(Worker):
    """RQ's worker, running the `high` queue's jobs in its own process and the others' in
    a forked work-horse (see the module's docstring), fork-safe for SQLAlchemy, masking
    personal data in the errors it keeps, and leaving its loop when Redis goes away or
    comes back empty (RQ's own loop would retry in place, while the scheduler process it
    started died and would not come back for ten minutes)."""

    queue_class = KadeQueue
    stop_requested_by_signal = False
    redis_gone = False

    def request_stop(self, signum, frame):
        self.stop_requested_by_signal = True
        super().request_stop(signum, frame)

    def heartbeat(self, timeout=None, pipeline=None):
        try:
            super().heartbeat(timeout, pipeline)
            # A Redis that restarted between two commands has forgotten this worker.
            known = pipeline is not None or self.birth_date is None or \
                self.connection.sismember(worker_registration.REDIS_WORKER_KEYS, self.key)
        except redis.exceptions.ConnectionError as exc:
            self.redis_gone = True
            raise RedisGone() from exc
        if not known:
            self.redis_gone = True
            raise RedisGone()

    def dequeue_job_and_maintain_ttl(self, timeout, max_idle_time=None):
        try:
            return super().dequeue_job_and_maintain_ttl(timeout, max_idle_time)
        except RedisGone:
            self.redis_gone = True
            raise

    def main_work_horse(self, job, queue):
        _fork_safe_engines()
        super().main_work_horse(job, queue)

    # RQ's SimpleWorker for the IN_PROCESS_QUEUES: the job here, its timeout a signal
    # (perform_job's), and one heartbeat covering the whole job (no monitoring loop beats
    # while it runs); RQ's forking Worker for the others.

    def execute_job(self, job, queue):
        worker = SimpleWorker if queue.name in IN_PROCESS_QUEUES else Worker
        return worker.execute_job(self, job, queue)

    def get_heartbeat_ttl(self, job) -> int:
        worker = SimpleWorker if job.origin in IN_PROCESS_QUEUES else Worker
        return worker.get_heartbeat_ttl(self, job)

    def perform_job(self, job, queue) -> bool:
        """The job, with the id of the request that queued it on each of its log lines (its
        own id when none did: a periodic job), and one line saying how it ended."""
        from app import tracing

        started, ok = time.perf_counter(), False
        with tracing.carrying((job.meta or {}).get("request_id") or job.id):
            try:
                ok = super().perform_job(job, queue)
            finally:
                tracing.log_job(job.func_name, job_id=job.id, queue=queue.name, ok=ok,
                                started=started)
        return ok

    def handle_job_failure(self, job, queue, started_job_registry=None, exc_string=""):
        super().handle_job_failure(job, queue, started_job_registry=started_job_registry,
                                   exc_string=redact(exc_string))

    def unsubscribe(self):
        """Stop listening for commands (shutdown, stop-job) without waiting a minute.

        RQ unsubscribes first and then stops redis-py's PubSubWorkerThread, whose stop()
        joins the thread with no timeout. A thread that read the unsubscribe reply before
        stop() cleared its running flag goes round its loop once more, finds no
        subscription and waits RQ's 60 s for one, and the worker's shutdown with it. Here
        the flag is cleared first, so the reply to the unsubscribe is the thread's last
        read; the join is bounded all the same (the thread is a daemon)."""
        thread = self.pubsub_thread
        if not thread:
            return
        self.log.info("Worker %s: unsubscribing from channel %s", self.name,
                      self.pubsub_channel_name)
        thread.stop(timeout=0)  # clears the flag, waits for nothing
        with suppress(Exception):
            self.pubsub.unsubscribe()  # its reply wakes the thread's read
        thread.join(timeout=SHUTDOWN_JOIN_SECONDS)
        if not thread.is_alive():  # else it closes the pubsub itself when it wakes
            with suppress(Exception):
                self.pubsub.close()

    def teardown(self):
        try:
            super().teardown()
        except redis.exceptions.RedisError:
            # Redis is gone: the death cannot be recorded (the worker's key expires by
            # itself); still stop listening for commands.
            with suppress(Exception):
                self.unsubscribe()


def warm_up(app) -> None:
    """Compile the message templates and load the catalogs and money formats once, here:
    each work-horse is a fresh fork of this process and would otherwise redo all of it for
    every job (a delivery took ~170 ms instead of ~70 ms)."""
    from flask_babel import force_locale, get_translations
    from sqlalchemy.orm import configure_mappers

    from app.i18n import LANGUAGES, format_lkr
    from app.models import import_all

    import_all()
    configure_mappers()
    with app.app_context():
        for name in app.jinja_env.list_templates():
            if name.startswith(("emails/", "sms/")):
                app.jinja_env.get_template(name)
        for locale in LANGUAGES:
            with force_locale(locale):
                get_translations()
            format_lkr(100, locale)


# ---- supervision -----------------------------------------------------------------------------

class _Stop(Exception):
    pass


def _raise_stop(signum, frame):
    raise _Stop()


def _install_stop_handlers() -> None:
    signal.signal(signal.SIGTERM, _raise_stop)
    signal.signal(signal.SIGINT, _raise_stop)


def _wait_for_redis(connection: Redis, what: str, delay: float) -> None:
    """Sleep `delay`, then ping; on no answer sleep longer (doubling, at most BACKOFF_MAX)."""
    while True:
        log.warning("redis_unavailable", extra={"component": what, "retry_in": round(delay, 1)})
        time.sleep(delay)
        try:
            connection.ping()
            log.info("redis_back", extra={"component": what})
            return
        except redis.exceptions.RedisError:
            delay = min(delay * 2, BACKOFF_MAX)


def supervise(run: Callable[[], bool], connection: Redis, what: str) -> int:
    """Call `run` until it reports a requested stop (True); when it fails because Redis
    went away, or returns without being asked to, wait for Redis with backoff and call it
    again. Returns the exit status."""
    delay = BACKOFF_FIRST
    while True:
        started = time.monotonic()
        try:
            if run():
                return 0
            log.warning("restarting", extra={"component": what, "reason": "stopped_by_itself"})
        except RedisGone:
            log.warning("restarting", extra={"component": what, "reason": "ConnectionError"})
        except (_Stop, StopRequested, KeyboardInterrupt, SystemExit):
            return 0
        except redis.exceptions.RedisError as exc:
            log.warning("restarting", extra={"component": what, "reason": type(exc).__name__})
        _install_stop_handlers()  # `run` may have left its own handlers behind
        if time.monotonic() - started > HEALTHY_AFTER:
            delay = BACKOFF_FIRST
        try:
            _wait_for_redis(connection, what, delay)
        except (_Stop, KeyboardInterrupt):
            return 0
        delay = min(delay * 2, BACKOFF_MAX)


def redis_url_or_exit(what: str) -> str:
    url = os.environ.get("REDIS_URL")
    if not url:
        print(f"{what}: REDIS_URL is not set. Without Redis, jobs run inside the web process "
              "(`make run`); the worker and the scheduler are for a shop with Redis.",
              file=sys.stderr)
        raise SystemExit(2)
    return url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jobs.worker", description=__doc__.split(
        "\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("queues", nargs="*", default=list(QUEUES), metavar="queue",
                        help=f"queues to work on, first is most urgent ({', '.join(QUEUES)})")
    parser.add_argument("--burst", action="store_true",
                        help="work until the queues are empty, then exit (no supervision)")
    args = parser.parse_args(argv)
    unknown = [q for q in args.queues if q not in QUEUES]
    if unknown:
        parser.error(f"unknown queue(s): {', '.join(unknown)}; known: {', '.join(QUEUES)}")
    url = redis_url_or_exit("worker")

    from jobs.context import app_context

    with app_context() as app:  # the app, once per process; work-horses inherit it
        pass
    warm_up(app)
    redact_logs()
    level = os.environ.get("LOG_LEVEL", "INFO").upper()
    # Short socket timeouts: a dead Redis is noticed at once, not after the OS gives up.
    connection = Redis.from_url(url, socket_connect_timeout=5, health_check_interval=30)

    def run() -> bool:
        worker = KadeWorker(args.queues, connection=connection,
                            name=f"{socket.gethostname()}.{os.getpid()}.{uuid.uuid4().hex[:6]}")
        try:
            worker.work(burst=args.burst, with_scheduler=True, logging_level=level)
        finally:
            if worker.horse_pid:  # Redis went away mid-job: let the job end before moving on
                worker.wait_for_horse()
        if worker.stop_requested_by_signal or args.burst:
            return True
        if worker.redis_gone:
            raise redis.exceptions.ConnectionError("Redis went away")
        return False

    _install_stop_handlers()
    return supervise(run, connection, "worker")


if __name__ == "__main__":
    sys.exit(main())
