"""The embedded default's scheduler: without Redis, the periodic jobs run in a thread."""

from __future__ import annotations

import threading
import time

from app import db
from app.notifications.models import OutboxMessage
from app.queue import start_local_schedule


def test_the_outbox_sweep_runs_in_process_without_redis(app, db_session, outbox, monkeypatch):
    monkeypatch.setenv("KADE_SCHEDULE_SCALE", "0.01")
    # A message whose wake-up never happened (as if the process died at the commit).
    message = OutboxMessage(channel="email", template="verify_email", recipient="x@example.lk",
                            locale="en", dedupe_key="verify:swept", data='{"name": "X", '
                            '"link": "http://127.0.0.1/verify"}')
    db.session.add(message)
    db.session.commit()

    stop = threading.Event()
    thread = start_local_schedule(app, stop)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not outbox.to("x@example.lk"):
            time.sleep(0.1)
    finally:
        stop.set()
        thread.join(5)
    assert len(outbox.to("x@example.lk")) == 1
    assert not thread.is_alive()


def test_with_redis_the_scheduler_process_does_it(make_app):
    assert start_local_schedule(make_app(REDIS_URL="redis://127.0.0.1:1/0")) is None
