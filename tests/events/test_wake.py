"""The commit's wake-up with REDIS_URL: a delivery job is queued for events, and not another
while one waits (app/events/services.py, WAKE_MARK). A worker's run clears the mark before
it reads, so what commits after its start queues the next run."""

from __future__ import annotations

import pytest
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from rq import Queue

from app import db
from app.db import transaction
from app.events import handler, publish, services as events
from app.redis_client import redis_for


@pytest.fixture()
def app_with_redis(make_app, redis_url, registry):
    handler("test.woken", name="tests.woken")(lambda event: None)
    app = make_app(REDIS_URL=redis_url)
    with app.app_context():
        yield app
        db.session.rollback()


def _publish(n: int) -> None:
    with transaction():
        publish("test.woken", key=f"thing:{n}", n=n)


def _queued(app) -> list[str]:
    return [job.func_name for job in Queue("high", connection=redis_for(app)).get_jobs()]


def test_events_committed_while_a_run_waits_queue_no_other(app_with_redis):
    for n in range(3):
        _publish(n)

    assert _queued(app_with_redis) == ["jobs.events.deliver"]


def test_what_commits_after_a_run_started_queues_the_next(app_with_redis):
    _publish(1)
    events.woken(app_with_redis)  # the run starts: it reads what is due from here on
    _publish(2)

    assert _queued(app_with_redis) == ["jobs.events.deliver"] * 2
    assert events.deliver_due() == 2  # the first run, reading after its start, gets both


def test_a_failed_queueing_lets_the_next_commit_try_again(app_with_redis, monkeypatch):
    def refused(*_args, **_kwargs):
        raise RedisConnectionError("Redis went away")

    monkeypatch.setattr(events.rq_queue("high", redis_for(app_with_redis)).__class__,
                        "enqueue", refused)
    _publish(1)
    monkeypatch.undo()
    _publish(2)

    assert _queued(app_with_redis) == ["jobs.events.deliver"]


def test_the_mark_expires_so_a_lost_run_holds_nothing_up_for_long(app_with_redis):
    _publish(1)

    ttl = Redis.from_url(app_with_redis.config["REDIS_URL"]).ttl(events.WAKE_MARK)
    assert 0 < ttl <= events.WAKE_MARK_SECONDS
