"""The periodic schedule and the processes that run the jobs: the schedule itself, the
scheduler process on a compressed clock (and after its Redis restarts), and how the worker
and scheduler commands refuse to start without Redis."""

from __future__ import annotations

import datetime as dt
import itertools
import subprocess
import sys
from zoneinfo import ZoneInfo

import pytest
from croniter import croniter
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


def test_the_schedule_names_each_periodic_job_once_with_its_queue_and_interval_or_time():
    recorder = _Recorder()
    schedule.register(recorder, 1)
    found = {(func, queue, options.get("interval") or options["cron"])
             for func, queue, options in recorder.registered}
    assert found == {("jobs.notifications.relay", "high", 60),
                     ("jobs.events.deliver", "high", 60),
                     ("jobs.orders.expire_unpaid", "default", 300),
                     ("jobs.orders.remind_unpaid", "default", 900),
                     ("jobs.inventory.alert_low_stock", "default", 900),
                     ("jobs.plans.renew_due", "default", 900),
                     ("jobs.plans.remind", "default", 3600),
                     ("jobs.backups.snapshot", "backups", 300),
                     # Colombo 02:00, 03:30 and 04:00 nightly, and 03:00 on Sundays, in UTC.
                     ("jobs.backups.dump", "backups", "30 20 * * *"),
                     ("jobs.backups.full", "backups", "30 21 * * 6"),
                     ("jobs.backups.differential", "backups", "0 22 * * *"),
                     ("jobs.backups.prune", "backups", 3600),
                     ("jobs.backups.watch", "default", 300),
                     ("jobs.accounts.purge_sessions", "low", "30 22 * * *"),
                     # Colombo 00:05: 18:35 UTC the day before.
                     ("jobs.wallet.expire_credit", "low", "35 18 * * *"),
                     # Colombo 10:00: 04:30 UTC.
                     ("jobs.wallet.remind_expiring_points", "low", "30 4 * * *"),
                     # Colombo 00:30, once yesterday is over: 19:00 UTC the day before.
                     ("jobs.reports.export_analytics", "low", "0 19 * * *"),
                     ("jobs.recommendations.flush_events", "low", 60),
                     # Colombo 03:40: 22:10 UTC the day before.
                     ("jobs.recommendations.delete_old_events", "low", "10 22 * * *"),
                     # Colombo 02:30: 21:00 UTC the day before.
                     ("jobs.recommendations.compute_recommendations", "low", "0 21 * * *")}
    assert len({options["name"] for _f, _q, options in recorder.registered}) == 20
    assert all(queue in QUEUES for _f, queue, _o in recorder.registered)
    # Never both: RQ refuses a job with an interval and a cron line.
    assert all(("interval" in o) != ("cron" in o) for _f, _q, o in recorder.registered)


def test_the_schedule_compresses_for_tests(monkeypatch):
    monkeypatch.setenv("KADE_SCHEDULE_SCALE", "0.01")
    recorder = _Recorder()
    schedule.register(recorder)
    intervals = sorted(o["interval"] for _f, _q, o in recorder.registered if "interval" in o)
    assert intervals == pytest.approx([0.6, 0.6, 0.6, 3, 3, 3, 9, 9, 9, 36, 36])
    # Times of day are not scaled.
    assert {o["cron"] for _f, _q, o in recorder.registered if "cron" in o} == {
        "30 20 * * *", "30 21 * * 6", "0 22 * * *", "30 22 * * *", "35 18 * * *", "30 4 * * *",
        "0 19 * * *", "10 22 * * *", "0 21 * * *"}
    # RQ wants whole seconds for the TTLs, however small the interval.
    assert all(isinstance(options["ttl"], int) and options["ttl"] >= 60
               for _f, _q, options in recorder.registered)
    monkeypatch.setenv("KADE_SCHEDULE_SCALE", "0")
    with pytest.raises(ValueError):
        schedule.scale()


def _colombo(when: dt.datetime) -> dt.datetime:
    return when.astimezone(ZoneInfo("Asia/Colombo"))


def test_half_past_two_in_colombo_is_nine_the_evening_before_in_utc():
    cron = schedule.utc_cron("02:30")

    assert cron == "0 21 * * *"
    after = dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC)
    runs = croniter(cron, after)
    first, second = runs.get_next(dt.datetime), runs.get_next(dt.datetime)
    assert first == dt.datetime(2026, 12, 6, 21, 0, tzinfo=dt.UTC)
    assert (_colombo(first).date(), _colombo(first).time()) == (dt.date(2026, 12, 7),
                                                                dt.time(2, 30))
    assert second - first == dt.timedelta(days=1)


@pytest.mark.parametrize("at, weekday, local", [
    ("sun 03:00", 6, dt.time(3, 0)),  # Sunday 03:00 in Colombo is Saturday 21:30 UTC
    ("mon 05:30", 0, dt.time(5, 30)),  # the same day in UTC: 00:00 Monday
    ("sat 23:45", 5, dt.time(23, 45)),
])
def test_a_weekly_time_runs_on_its_colombo_day(at, weekday, local):
    runs = croniter(schedule.utc_cron(at), dt.datetime(2026, 12, 6, tzinfo=dt.UTC))
    for _ in range(3):
        run = _colombo(runs.get_next(dt.datetime))
        assert (run.weekday(), run.time()) == (weekday, local)


@pytest.mark.parametrize("at", ["2:30", "24:00", "02:60", "sunday 03:00", "xyz 03:00",
                                "02:30 sun", "", "0230"])
def test_a_time_spelt_otherwise_is_refused(at):
    with pytest.raises(ValueError):
        schedule.utc_cron(at)


def test_a_zone_that_changes_its_clocks_is_refused():
    with pytest.raises(ValueError, match="changes its clocks"):
        schedule.utc_cron("02:30", ZoneInfo("Europe/London"))


def test_a_periodic_job_has_an_interval_or_a_time_never_both():
    with pytest.raises(ValueError):
        schedule.Periodic("x", schedule.backups.dump, "backups")
    with pytest.raises(ValueError):
        schedule.Periodic("x", schedule.backups.dump, "backups", 60, at="02:00")
    with pytest.raises(ValueError):
        schedule.Periodic("x", schedule.backups.dump, "backups", at="2am")


def test_rq_runs_the_nightly_dump_at_two_in_colombo_not_when_the_scheduler_started():
    from redis import Redis
    from rq.cron import CronScheduler

    scheduler = CronScheduler(connection=Redis.from_url("redis://127.0.0.1:1/0"))
    schedule.register(scheduler, 1)  # registering talks to no Redis

    jobs = {job.name: job for job in scheduler.get_jobs()}
    dump, sweep = jobs["backup-dump"], jobs["outbox-relay-sweep"]
    assert dump.cron == "30 20 * * *" and dump.interval is None
    assert not dump.should_run()  # not at start: at its time
    assert _colombo(dump.next_enqueue_time).time() == dt.time(2, 0)
    assert sweep.interval == 60 and sweep.should_run()  # an interval job runs at start
    full = jobs["backup-full"]
    assert _colombo(full.next_enqueue_time).strftime("%a %H:%M") == "Sun 03:00"


def test_the_embedded_scheduler_waits_for_a_time_of_day_and_not_for_an_interval():
    dump = next(job for job in schedule.SCHEDULE if job.name == "backup-dump")
    sweep = next(job for job in schedule.SCHEDULE if job.name == "outbox-relay-sweep")
    colombo = ZoneInfo("Asia/Colombo")

    assert sweep.next_wait(starting=True) == 0 and sweep.next_wait(0.5) == 30
    one_am = dt.datetime(2026, 12, 7, 1, 0, tzinfo=colombo)
    assert dump.next_wait(starting=True, now=one_am) == 3600  # 02:00, not at start
    assert dump.next_wait(0.01, starting=True, now=one_am) == 3600  # times never scale
    # Just after its run (or a moment before, by a clock a little behind), the next is
    # tomorrow's: never the same night twice.
    for moment in (dt.time(2, 0, 0, 500000), dt.time(1, 59, 59, 900000)):
        ran = dt.datetime.combine(dt.date(2026, 12, 7), moment, colombo)
        assert dump.next_wait(now=ran) == pytest.approx(
            (dt.datetime(2026, 12, 8, 2, 0, tzinfo=colombo) - ran).total_seconds())


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
                      "jobs.inventory.alert_low_stock", "jobs.plans.renew_due",
                      "jobs.plans.remind", "jobs.backups.watch"}
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
