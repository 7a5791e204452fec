"""Issue 17 item 3 on the embedded default (no Redis: handlers run in this process right
after the commit): what is published, who runs how often, in what order."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from app import db
from app.db import transaction, utcnow
from app.events import handler, publish
from app.events.models import Event, Handling


def _handlings(handler_name: str | None = None) -> list[Handling]:
    query = select(Handling).order_by(Handling.id).execution_options(populate_existing=True)
    if handler_name:
        query = query.where(Handling.handler == handler_name)
    return list(db.session.scalars(query))


def _later(minutes: float = 90) -> dt.datetime:
    return utcnow() + dt.timedelta(minutes=minutes)


def test_a_transaction_that_rolls_back_publishes_nothing(db_session, registry):
    ran = []
    handler("test.thing", name="tests.note")(lambda event: ran.append(event.id))

    with pytest.raises(RuntimeError), transaction():
        publish("test.thing", key="thing:1", n=1)
        raise RuntimeError("the change fails")

    assert db.session.scalars(select(Event)).all() == []
    assert _handlings() == [] and ran == []
    assert registry.deliver_due(now=_later()) == 0 and ran == []


def test_an_event_is_handled_once_its_transaction_commits(db_session, registry):
    ran = []
    handler("test.thing", name="tests.note")(lambda event: ran.append((event.name, event.data)))

    with transaction():
        publish("test.thing", key="thing:1", n=7, code="A1")
        assert ran == []  # not before the commit

    assert ran == [("test.thing", {"n": 7, "code": "A1"})]
    [handling] = _handlings()
    assert (handling.status, handling.attempts, handling.leased_until) == ("done", 1, None)


def test_a_failing_handler_is_retried_and_the_others_run_once(db_session, registry):
    calls = {"mail": 0, "points": 0, "report": 0}

    @handler("test.thing", name="tests.mail")
    def mail(event):
        calls["mail"] += 1

    @handler("test.thing", name="tests.points")
    def points(event):
        calls["points"] += 1
        db.session.add(Event(name="test.side_effect", key="thing:x", data={"try": calls["points"]}))
        if calls["points"] < 3:
            raise ConnectionError("points service is down")

    @handler("test.thing", name="tests.report")
    def report(event):
        calls["report"] += 1

    with transaction():
        publish("test.thing", key="thing:1", n=1)

    assert calls == {"mail": 1, "points": 1, "report": 1}
    [waiting] = _handlings("tests.points")
    assert (waiting.status, waiting.attempts) == ("pending", 1)
    assert waiting.last_error == "ConnectionError: points service is down"
    assert waiting.next_attempt_at > utcnow()  # backoff: not again at once
    assert registry.deliver_due() == 0

    registry.deliver_due(now=_later())
    registry.deliver_due(now=_later(180))

    assert calls == {"mail": 1, "points": 3, "report": 1}
    assert {h.handler: (h.status, h.attempts) for h in _handlings()} == {
        "tests.mail": ("done", 1), "tests.points": ("done", 3), "tests.report": ("done", 1)}
    # A failed run's writes were rolled back with it: only the third one's stayed.
    side = db.session.scalars(select(Event).where(Event.name == "test.side_effect")).all()
    assert [e.data for e in side] == [{"try": 3}]


def test_a_handler_that_keeps_failing_is_failed_for_staff_who_can_retry_it(
        db_session, registry, app):
    ran = []

    @handler("test.thing", name="tests.broken")
    def broken(event):
        ran.append(event.id)
        if len(ran) <= app.config["EVENTS_MAX_ATTEMPTS"]:
            raise ValueError("bad data")

    with transaction():
        publish("test.thing", key="thing:1", n=1)
    for hours in range(1, 12):
        registry.deliver_due(now=_later(hours * 60))

    [handling] = _handlings()
    assert (handling.status, handling.attempts) == ("failed", app.config["EVENTS_MAX_ATTEMPTS"])
    assert registry.counts() == registry.Counts(pending=0, failed=1)
    assert registry.deliver_due(now=_later(24 * 60)) == 0  # given up: the sweep leaves it

    assert registry.retry_failed(handling.id)  # runs at once, after the commit

    assert _handlings()[0].status == "done"
    assert registry.counts() == registry.Counts(pending=0, failed=0)
    assert not registry.retry_failed(handling.id)


def test_events_of_one_key_are_handled_in_order(db_session, registry):
    seen = []
    failures = {"left": 1}

    @handler("test.step", name="tests.steps")
    def steps(event):
        if event.data["n"] == 1 and failures["left"]:
            failures["left"] -= 1
            raise ConnectionError("down")
        seen.append((event.key, event.data["n"]))

    with transaction():
        publish("test.step", key="thing:A", n=1)
    with transaction():
        publish("test.step", key="thing:B", n=1)  # another aggregate: not held up
    with transaction():
        publish("test.step", key="thing:A", n=2)
        publish("test.step", key="thing:A", n=3)

    # A's first event failed: A's later ones wait behind it, B's went ahead.
    assert seen == [("thing:B", 1)]
    assert [h.status for h in _handlings()] == ["pending", "done", "pending", "pending"]

    registry.deliver_due(now=_later())

    assert seen == [("thing:B", 1), ("thing:A", 1), ("thing:A", 2), ("thing:A", 3)]


def test_a_handling_leased_by_a_worker_waits_for_its_lease_to_run_out(db_session, registry):
    ran = []
    handler("test.thing", name="tests.note")(lambda event: ran.append(event.id))
    db.session.info["events_touched"] = False
    with transaction():
        event = Event(name="test.thing", key="thing:1", data={})
        event.handlings.append(Handling(handler="tests.note", key="thing:1",
                                        next_attempt_at=utcnow()))
        db.session.add(event)  # written as publish does, but nobody woken: a worker's claim
    claimed = registry.claim_next()
    assert claimed is not None  # ... and then that worker died

    assert registry.deliver_due() == 0  # the lease holds
    assert ran == []

    assert registry.deliver_due(now=_later(10)) == 1  # the sweep, after the lease

    assert ran == [event.id]
    [handling] = _handlings()
    assert (handling.status, handling.attempts) == ("done", 2)


def test_a_run_that_lost_its_lease_writes_nothing(db_session, registry):
    ran = []
    handler("test.thing", name="tests.note")(lambda event: ran.append(event.id))
    with transaction():
        event = Event(name="test.thing", key="thing:1", data={})
        event.handlings.append(Handling(handler="tests.note", key="thing:1",
                                        next_attempt_at=utcnow()))
        db.session.add(event)
    slow_one = registry.claim_next()
    fast_one = registry.claim_next(now=_later(10))  # the first lease ran out meanwhile

    assert registry.run_handling(*fast_one)
    assert not registry.run_handling(*slow_one)  # done by the other: its run is undone

    [handling] = _handlings()
    assert (handling.status, handling.attempts) == ("done", 2)


@pytest.mark.parametrize("data", [
    {"email": "sarah@example.lk"},
    {"name": "x" * 65},
    {"address": {"line1": "12 Galle Road"}},
    {"when": dt.datetime(2026, 1, 1)},
])
def test_personal_data_and_objects_cannot_be_published(db_session, registry, data):
    with pytest.raises(ValueError), transaction():
        publish("test.thing", key="thing:1", **data)

    assert db.session.scalars(select(Event)).all() == []


def test_an_event_without_handlers_is_kept_and_wakes_nothing(db_session, registry):
    with transaction():
        event = publish("test.nobody_listens", key="thing:1", n=1)

    assert db.session.get(Event, event.id) is not None
    assert _handlings() == []


def test_a_handler_name_is_taken_once(registry):
    handler("test.thing", name="tests.one")(lambda event: None)

    with pytest.raises(ValueError):
        @handler("test.other", name="tests.one")
        def another(event):
            pass


def test_workers_delivering_at_once_handle_each_event_once_and_in_order(
        app, db_session, registry):
    import threading
    import time

    seen: list[tuple[str, int]] = []
    lock = threading.Lock()

    @handler("test.step", name="tests.steps")
    def steps(event):
        # A's first step is slow: a worker free to take A's next one would finish it first.
        time.sleep(0.2 if (event.key, event.data["n"]) == ("thing:A", 0) else 0.001)
        with lock:
            seen.append((event.key, event.data["n"]))

    with transaction():
        for n in range(10):
            for key in ("thing:A", "thing:B", "thing:C"):
                publish("test.step", key=key, n=n)
        db.session.info.pop("events_touched")  # nobody woken: the workers below deliver

    def worker():
        with app.app_context():
            registry.deliver_due()

    workers = [threading.Thread(target=worker) for _ in range(3)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join(60)

    assert sorted(seen) == sorted((key, n) for n in range(10)
                                  for key in ("thing:A", "thing:B", "thing:C"))
    for key in ("thing:A", "thing:B", "thing:C"):
        assert [n for k, n in seen if k == key] == list(range(10))
    assert {(h.status, h.attempts) for h in _handlings()} == {("done", 1)}
