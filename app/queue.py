"""Run a job in the background: on RQ when REDIS_URL is set, else in a thread of this
process (the embedded default, for `make run` and the browser tests).

Jobs are named by their import path ("jobs.catalog.run_import"), so the app never imports
jobs/ (jobs sit above the services). A job must be safe to run twice.
"""

from __future__ import annotations

import importlib
import logging
import threading
import time

from flask import current_app
from rq import Queue, Retry

from app import tracing
from app.redis_client import redis_for

log = logging.getLogger(__name__)

QUEUES = ("high", "default", "low", "backups")


class TracedQueue(Queue):
    """An RQ queue whose jobs carry the id of the request (or job) that queued them, in
    their meta: the worker puts it on the job's log lines (jobs/worker.py). Every job Kade
    queues goes through one of these, so none is left out."""

    def create_job(self, *args, **kwargs):
        queued_by = tracing.request_id()
        if queued_by:
            kwargs["meta"] = {"request_id": queued_by, **(kwargs.get("meta") or {})}
        return super().create_job(*args, **kwargs)


def queue(name: str, connection) -> TracedQueue:
    return TracedQueue(name, connection=connection)


def enqueue(job: str, *args, queue: str = "default", job_id: str | None = None,
            retries: int = 3) -> None:
    if queue not in QUEUES:
        raise ValueError(f"unknown queue {queue!r}")
    app = current_app._get_current_object()
    if app.config.get("REDIS_URL"):
        TracedQueue(queue, connection=redis_for(app)).enqueue(
            job, *args, job_id=job_id, retry=Retry(max=retries, interval=[10, 60, 300]))
        return
    # The request that queued it (or the job that did): the job's log lines say it too.
    queued_by = tracing.request_id()
    thread = threading.Thread(target=_run_here, args=(app, job, args, queue, queued_by),
                              daemon=True, name=f"job:{job}")
    threads = app.extensions.setdefault("kade_job_threads", [])
    threads[:] = [t for t in threads if t.is_alive()]  # forget finished ones
    threads.append(thread)
    thread.start()


def _run_here(app, job: str, args: tuple, queue: str, queued_by: str | None) -> None:
    module_name, _, name = job.rpartition(".")
    function = getattr(importlib.import_module(module_name), name)
    started, ok = time.perf_counter(), False
    with app.app_context(), tracing.carrying(queued_by):
        try:
            function(*args)
            ok = True
        except Exception:
            log.exception("job_failed", extra={"job": job})
        finally:
            tracing.log_job(job, job_id=None, queue=queue, ok=ok, started=started)


def wait_for_local_jobs(app, timeout: float = 30) -> None:
    """Tests and commands: let in-process jobs finish."""
    threads = app.extensions.get("kade_job_threads", [])
    while threads:
        threads.pop(0).join(timeout)


def start_local_schedule(app, stop: threading.Event | None = None) -> threading.Thread | None:
    """The embedded default's scheduler (`make run`, no Redis): one daemon thread that runs
    the periodic jobs of jobs/schedule.py in this process at their intervals or their
    Colombo times of day. With Redis,
    `python -m jobs.scheduler` does this through RQ instead, and this is never started.
    Loaded by name, like every job, so the app does not import jobs/. `stop` ends it."""
    if app.config.get("REDIS_URL"):
        return None
    schedule = importlib.import_module("jobs.schedule")
    factor = schedule.scale()
    stop = stop or threading.Event()

    def loop() -> None:
        import time

        start = time.monotonic()
        due = {job.name: start + job.next_wait(factor, starting=True)
               for job in schedule.SCHEDULE}
        while not stop.is_set():
            now = time.monotonic()
            for job in schedule.SCHEDULE:
                if now >= due[job.name]:
                    due[job.name] = now + job.next_wait(factor)
                    with app.app_context():
                        try:
                            job.func()
                        except Exception:
                            log.exception("periodic_job_failed", extra={"job": job.name})
            stop.wait(max(0.2, min(due.values()) - time.monotonic()))

    thread = threading.Thread(target=loop, daemon=True, name="kade-local-schedule")
    thread.start()
    return thread
