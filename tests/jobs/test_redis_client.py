"""The app's Redis client (app/redis_client.py): one per process, its connections reused,
on a Redis of the test's own (so no other test's connections are counted)."""

from __future__ import annotations

from redis import Redis

from app.queue import enqueue
from app.redis_client import redis_for


def _connections_received(url: str) -> int:
    with Redis.from_url(url) as probe:
        return probe.info("stats")["total_connections_received"]


def test_many_jobs_are_queued_over_one_connection(make_app, redis_server):
    app = make_app(REDIS_URL=redis_server.url)
    before = _connections_received(redis_server.url)
    with app.app_context():
        for n in range(20):
            enqueue("jobs.notifications.relay", queue="low", job_id=f"pooled-{n}")
    # One for the app's pool, one for the probe itself.
    assert _connections_received(redis_server.url) - before <= 2
    assert Redis.from_url(redis_server.url).llen("rq:queue:low") == 20


def test_the_client_comes_back_after_redis_restarts(make_app, redis_server):
    app = make_app(REDIS_URL=redis_server.url)
    client = redis_for(app)
    assert client.ping()
    redis_server.stop()
    redis_server.start()
    assert redis_for(app) is client
    assert client.ping()


def test_no_client_without_redis(make_app):
    assert redis_for(make_app(REDIS_URL=None)) is None
