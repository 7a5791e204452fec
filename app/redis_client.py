"""One Redis client per process for the app's own calls: enqueueing jobs, the jobs page,
the readiness probe.

`Redis.from_url` at each call made a new connection pool, so every enqueue (an order's
mails, each commit that wakes the outbox relay) paid a TCP connect and left a socket for
the garbage collector. The client here keeps its connections; redis-py's pool notices a
fork and opens new ones in the child, so gunicorn's preloaded app and RQ's work horses are
safe. Timeouts are short: a page must not hang on an unreachable Redis.
"""

from __future__ import annotations

from redis import Redis

TIMEOUT_SECONDS = 2


def redis_for(app) -> Redis | None:
    """The app's client, or None without REDIS_URL (jobs then run in-process)."""
    url = app.config.get("REDIS_URL")
    if not url:
        return None
    client = app.extensions.get("kade_redis")
    if client is None:
        client = app.extensions.setdefault("kade_redis", Redis.from_url(
            url, socket_timeout=TIMEOUT_SECONDS, socket_connect_timeout=TIMEOUT_SECONDS))
    return client
