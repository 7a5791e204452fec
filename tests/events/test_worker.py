"""Issue 17 item 3's "killing the worker mid-way loses no event", with real processes: a
Redis of our own and `python -m jobs.worker` subprocesses (tests/jobs/conftest.py), killed
with SIGKILL while a handler runs."""

from __future__ import annotations

import time

import pytest
from rq import Queue
from sqlalchemy import select

from app import db
from app.db import transaction, utcnow
from app.events import publish, services as events
from app.events.models import Handling
from tests.jobs.conftest import wait_for

pytestmark = pytest.mark.processes

HANDLERS = "tests.events.slow_handlers"


def _handlings(app) -> dict[str, Handling]:
    with app.app_context():
        return {h.handler: h for h in db.session.scalars(select(Handling))}


def _lines(path) -> list[str]:
    return path.read_text().split() if path.exists() else []


def test_killing_the_worker_midway_loses_no_event(make_app, redis_server, background,
                                                  registry, tmp_path):
    folder = tmp_path / "traces"
    folder.mkdir()
    app = make_app(REDIS_URL=redis_server.url, EVENTS_LEASE_SECONDS=3,
                   EVENT_HANDLER_MODULES=HANDLERS)
    env = {"KADE_EVENT_HANDLER_MODULES": HANDLERS, "KADE_TEST_EVENTS_DIR": str(folder),
           "EVENTS_LEASE_SECONDS": "3"}
    first = background.worker(app, **env)

    with app.app_context(), transaction():
        event = publish("test.slow", key="thing:1", n=1)
    wait_for(lambda: list(folder.glob("started-*")), 30, "the slow handler to start",
             on_fail=first.tail)
    first.kill()  # the worker and its work-horse, mid-handler: SIGKILL, all at once

    rows = _handlings(app)
    assert (rows["tests.quick"].status, rows["tests.quick"].attempts) == ("done", 1)
    slow = rows["tests.slow"]
    assert (slow.status, slow.attempts) == ("pending", 1)  # claimed, never finished
    assert _lines(folder / "slow") == []
    if (slow.leased_until - utcnow()).total_seconds() > 1:
        with app.app_context():
            assert events.deliver_due() == 0  # nobody takes it while the lease holds

    (folder / "release").touch()
    second = background.worker(app, **env)
    wait_for(lambda: utcnow() > slow.leased_until, 30, "the lease to run out")
    Queue("high", connection=redis_server.client()).enqueue("jobs.events.deliver")  # the sweep
    wait_for(lambda: _handlings(app)["tests.slow"].status == "done", 30,
             "the slow handler to be done", on_fail=second.tail)
    time.sleep(0.3)

    assert _lines(folder / "slow") == [str(event.id)]  # handled, once to the end
    assert _lines(folder / "quick") == [str(event.id)]  # the other handler: not run again
    assert _handlings(app)["tests.slow"].attempts == 2
    assert len(list(folder.glob("started-*"))) == 2  # one start in each worker
