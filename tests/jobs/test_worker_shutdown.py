"""A worker stops at once: its command channel's thread (redis-py's PubSubWorkerThread) never
holds the shutdown for RQ's 60 s. Against a Redis of the test's own (tests/jobs/conftest.py)."""

from __future__ import annotations

import threading
import time

import pytest

from jobs.worker import SHUTDOWN_JOIN_SECONDS, KadeWorker
from tests.jobs.conftest import wait_for


def _subscribed_worker(redis_server) -> KadeWorker:
    connection = redis_server.client()
    worker = KadeWorker(["high"], connection=connection)
    worker.subscribe()
    wait_for(lambda: worker.pubsub.subscribed
             and connection.pubsub_numsub(worker.pubsub_channel_name)[0][1] == 1,
             10, "the worker's command channel")
    return worker


def _unsubscribe_in_background(worker: KadeWorker) -> threading.Thread:
    """worker.unsubscribe() on a thread of its own, so a regression fails the test instead
    of holding it for a minute."""
    done = threading.Thread(target=worker.unsubscribe, daemon=True)
    done.start()
    done.join(SHUTDOWN_JOIN_SECONDS + 8)
    return done


@pytest.mark.parametrize("round_", range(3))
def test_a_worker_leaves_its_command_channel_at_once(redis_server, round_):
    worker = _subscribed_worker(redis_server)
    listener = worker.pubsub_thread

    stopping = _unsubscribe_in_background(worker)

    assert not stopping.is_alive()
    assert not listener.is_alive()
    assert redis_server.client().pubsub_numsub(worker.pubsub_channel_name)[0][1] == 0


def test_the_listener_reading_the_unsubscribe_reply_first_does_not_hold_the_shutdown(
        redis_server, monkeypatch):
    """The race of RQ's own order (unsubscribe, then stop the thread), made certain: the
    listener gets the reply before the stopping thread goes on. With RQ's order it would
    then wait 60 s for a subscription that never comes, and stop() would wait with it."""
    worker = _subscribed_worker(redis_server)
    listener, pubsub = worker.pubsub_thread, worker.pubsub
    unsubscribe = pubsub.unsubscribe

    def unsubscribe_then_let_the_listener_read_the_reply(*args, **kwargs):
        unsubscribe(*args, **kwargs)
        deadline = time.monotonic() + 5
        while pubsub.subscribed and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not pubsub.subscribed, "the listener read the reply"

    monkeypatch.setattr(pubsub, "unsubscribe", unsubscribe_then_let_the_listener_read_the_reply)

    stopping = _unsubscribe_in_background(worker)

    assert not stopping.is_alive(), "the shutdown waited for the command channel"
    assert not listener.is_alive()
