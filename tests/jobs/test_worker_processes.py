"""Where a job runs (jobs/worker.py): the `high` queue's small, per-order jobs in the worker's
own process, the other queues' in a forked work-horse; RQ's job timeout holds either way,
and a job that overran leaves the worker working. A real `python -m jobs.worker` against a
Redis of the test's own (tests/jobs/conftest.py)."""

from __future__ import annotations

import os

import pytest
from rq import Queue
from rq.job import JobStatus

from tests.jobs.conftest import wait_for

pytestmark = pytest.mark.processes


def _finished(job, seconds: float = 30):
    wait_for(lambda: job.get_status(refresh=True) in (JobStatus.FINISHED, JobStatus.FAILED),
             seconds, f"job {job.func_name} on {job.origin} to end")
    return job


def test_high_jobs_run_in_the_worker_and_the_others_in_a_forked_work_horse(
        shop, background, redis_server):
    worker = background.worker(shop())
    redis = redis_server.client()

    high = [_finished(Queue("high", connection=redis).enqueue(os.getpid)) for _ in range(3)]
    other = _finished(Queue("default", connection=redis).enqueue(os.getpid))

    assert [job.get_status() for job in (*high, other)] == [JobStatus.FINISHED] * 4
    assert {job.return_value() for job in high} == {worker.pid}  # no fork, the same process
    assert other.return_value() != worker.pid  # a work-horse of its own


def test_a_high_job_over_its_timeout_fails_and_the_worker_goes_on(
        shop, background, redis_server):
    worker = background.worker(shop())
    redis = redis_server.client()
    queue = Queue("high", connection=redis)

    slow = _finished(queue.enqueue("time.sleep", 30, job_timeout=1))
    after = _finished(queue.enqueue(os.getpid))

    assert slow.get_status() == JobStatus.FAILED
    assert "JobTimeoutException" in (slow.latest_result().exc_string or "")
    assert after.get_status() == JobStatus.FINISHED and after.return_value() == worker.pid
    assert worker.popen.poll() is None  # still running
