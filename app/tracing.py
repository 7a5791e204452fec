"""Which request a log line belongs to: the one being served, or, in a job, the one that
queued it (carried in RQ's job meta by app/queue.py, put back by jobs/worker.py). Apart from
app/ops/logs.py so that the queue, which the ops pages read, need not import ops."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterator
from contextvars import ContextVar

from flask import g, has_request_context

# The id of the request a job was queued by, while the job runs (outside a request).
_job_request_id: ContextVar[str | None] = ContextVar("kade_job_request_id", default=None)


def request_id() -> str | None:
    """The id of the request being served, or of the one the running job was queued by."""
    if has_request_context():
        return g.get("request_id")
    return _job_request_id.get()


@contextlib.contextmanager
def carrying(request_id: str | None) -> Iterator[None]:
    """Log lines written inside say `request_id` (a job's, from its meta)."""
    token = _job_request_id.set(request_id)
    try:
        yield
    finally:
        _job_request_id.reset(token)


def log_job(job: str, *, job_id: str | None, queue: str, ok: bool, started: float) -> None:
    """The job's one line: what ran, where, how it ended, how long it took."""
    logging.getLogger("kade.job").info("job", extra={
        "job": job, "job_id": job_id, "queue": queue,
        "status": "finished" if ok else "failed",
        "ms": round((time.perf_counter() - started) * 1000, 1)})
