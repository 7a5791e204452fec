"""The periodic schedule and the processes that run the jobs: the schedule itself, the
scheduler process on a compressed clock (and after its Redis restarts), and how the worker
and scheduler commands refuse to start without Redis."""

from __future__ import annotations

import itertools
import subprocess
import sys

import pytest
from rq import Queue
from rq.cron import get_cron_job_ids

from app.queue import QUEUES
from jobs import schedule
from jobs.worker import redact
from tests.jobs.conftest import ROOT, wait_for


class _Recorder:
    def __init__(self):
        self.registered = []

    def register(self, func, queue_name, **options):
        self.registered.append((f"{func.__module__}.{func.__name__}", queue_name, options))


def test_the_schedule_names_each_periodic_job_once_with_its_queue_and_interval():
    recorder = _Recorder()
    schedule.register(recorder, 1)
    found = {(func, queue, options["interval"]) for func, queue, options in recorder.registered}
    assert found == {("jobs.notifications.relay", "high", 60),
                     ("jobs.events.deliver", "high", 60),
                     ("jobs.orders.expire_unpaid", "default", 300),
                     ("jobs.orders.remind_unpaid", "default", 900),
                     ("jobs.inventory.alert_low_stock", "default", 900),
                     ("jobs.backups.snapshot", "backups", 300),
                     ("jobs.backups.dump", "backups", 86400),
                     ("jobs.backups.full", "backups", 604800),
                     ("jobs.backups.differential", "backups", 86400),
                     ("jobs.backups.prune", "backups", 3600),
                     ("jobs.backups.watch", "default", 300),
                     ("jobs.accounts.purge_sessions", "low", 86400)}
    assert len({options["name"] for _f, _q, options in recorder.registered}) == 12
    assert all(queue in QUEUES for _f, queue, _o in recorder.registered)


def test_the_schedule_compresses_for_tests(monkeypatch):
    monkeypatch.setenv("KADE_SCHEDULE_SCALE", "0.01")
    recorder = _Recorder()
    schedule.register(recorder)
    intervals = sorted(options["interval"] for _f, _q, options in recorder.registered)
    assert intervals == pytest.approx([0.6, 0.6, 3, 3, 3, 9, 9, 36, 864, 864, 864, 6048])
    # RQ wants whole seconds for the TTLs, however small the interval.
    assert all(isinstance(options["ttl"], int) and options["ttl"] >= 60
               for _f, _q, options in recorder.registered)
    monkeypatch.setenv("KADE_SCHEDULE_SCALE", "0")
    with pytest.raises(ValueError):
        schedule.scale()


@pytest.mark.parametrize("text, masked", [
    ("smtp: {'sarah@example.lk': (550, b'<sarah@example.lk> rejected')}",
     "smtp: {'[email]': (550, b'<[email]> rejected')}"),
    ("to +94771234567 or 94771234567 or 077 123 4567 or 0771234567",
     "to [phone] or [phone] or [phone] or [phone]"),
    ("job 5f0d2c1e-0771-4a1b-9c3d-0771234567ab took 0.0771234567s", None),
])
def test_the_worker_masks_addresses_and_numbers(text, masked):
    assert redact(text) == (text if masked is None else masked)


@pytest.mark.parametrize("module, args", [("jobs.worker", []), ("jobs.scheduler", [])])
def test_the_commands_refuse_to_start_without_redis(module, args):
    env = {"PATH": "/usr/bin:/bin", "KADE_INSTANCE_PATH": "/nonexistent"}
    done = subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "REDIS_URL is not set" in done.stderr and "make run" in done.stderr


def test_the_worker_refuses_an_unknown_queue():
    done = subprocess.run([sys.executable, "-m", "jobs.worker", "urgent"], cwd=ROOT,
                          env={"PATH": "/usr/bin:/bin", "REDIS_URL": "redis://127.0.0.1:1/0"},
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "unknown queue" in done.stderr


def _sweeps(redis) -> list[str]:
    return get_cron_job_ids("outbox-relay-sweep", redis)


@pytest.mark.processes
def test_the_scheduler_enqueues_the_sweep_on_its_interval_and_survives_a_redis_restart(
        shop, background, redis_server):
    app = shop()
    scheduler = background.scheduler(app, KADE_SCHEDULE_SCALE="0.01")  # sweep every 0.6 s
    redis = redis_server.client()

    wait_for(lambda: len(_sweeps(redis)) >= 4, 30, "four relay sweeps",
             on_fail=scheduler.tail)
    jobs = [Queue("high", connection=redis).fetch_job(job_id) for job_id in _sweeps(redis)]
    assert {job.func_name for job in jobs} == {"jobs.notifications.relay"}
    times = sorted(job.enqueued_at.timestamp() for job in jobs)
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert all(0.5 <= gap <= 3 for gap in gaps), gaps
    queued = {job.func_name for job in Queue("default", connection=redis).get_jobs()}
    assert queued == {"jobs.orders.expire_unpaid", "jobs.orders.remind_unpaid",
                      "jobs.inventory.alert_low_stock", "jobs.backups.watch"}
    assert "jobs.backups.snapshot" in {
        job.func_name for job in Queue("backups", connection=redis).get_jobs()}

    redis_server.stop()
    wait_for(lambda: "redis_unavailable" in scheduler.output(), 30,
             "the scheduler to notice", on_fail=scheduler.tail)
    redis_server.start()  # empty, on the same address
    redis = redis_server.client()
    wait_for(lambda: len(_sweeps(redis)) >= 2, 60, "sweeps after the restart",
             on_fail=scheduler.tail)
    assert scheduler.popen.poll() is None  # the same process, still running
