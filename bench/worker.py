"""The CPU a background job costs Kade's worker, run by hand (not part of the test suite).

Every order wakes jobs on the `high` queue (its domain events to their handlers, the
outbox's relay, each message's delivery). This puts N `jobs.events.deliver` jobs with nothing
to deliver on a queue, runs `python -m jobs.worker --burst QUEUE` until it is empty, and
prints the CPU the worker and its work-horses took a job (user + system, of the processes
this one waited for), over a run of one job subtracted (the worker's own start):

    .venv/bin/python bench/worker.py                 # high (in the worker) and default (forked)
    .venv/bin/python bench/worker.py --jobs 400 --queue high

It uses bench/catalog.py's PostgreSQL database (`kade_bench`; run that first, or give
`--database` one migrated for Kade) and a Redis database of its own, emptied before and after.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from catalog import DATABASE, SERVER, production_env  # noqa: E402  (the bench's own settings)
from sqlalchemy.engine import make_url  # noqa: E402

REDIS = "redis://127.0.0.1:6379/13"


def worker_cpu(env: dict[str, str], queue: str, jobs: int) -> float:
    """Seconds of CPU `python -m jobs.worker --burst queue` took for `jobs` jobs."""
    from redis import Redis
    from rq import Queue
    from rq.registry import FailedJobRegistry

    redis = Redis.from_url(env["REDIS_URL"])
    redis.flushdb()
    for _ in range(jobs):
        Queue(queue, connection=redis).enqueue("jobs.events.deliver")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, "-m", "jobs.worker", "--burst", queue], cwd=ROOT,  # noqa: S603
                   env={**os.environ, **env}, capture_output=True, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    failed = FailedJobRegistry(queue, connection=redis).count
    redis.flushdb()
    if failed:
        raise SystemExit(f"{failed} of the jobs failed: is {env['DATABASE_URL']} Kade's?")
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", default=SERVER)
    parser.add_argument("--database", default=DATABASE)
    parser.add_argument("--redis", default=REDIS)
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--queue", action="append", choices=("high", "default", "low"))
    args = parser.parse_args(argv)
    url = make_url(args.server).set(database=args.database).render_as_string(
        hide_password=False)
    with tempfile.TemporaryDirectory() as instance:
        env = production_env(url, Path(instance), 8999, args.redis)
        for queue in args.queue or ["high", "default"]:
            start = min(worker_cpu(env, queue, 1) for _ in range(2))
            total = worker_cpu(env, queue, args.jobs + 1)
            each = (total - start) / args.jobs * 1000
            print(f"{queue:8s} {args.jobs} jobs: {total:.2f} s of CPU, the worker's start "
                  f"{start:.2f} s: {each:.1f} ms a job")
    return 0


if __name__ == "__main__":
    sys.exit(main())
