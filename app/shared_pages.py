"""The page cache's second level: pages kept in Redis, shared by every web process.

Each gunicorn worker keeps its own pages (app/page_cache.py). That is enough for a hot page,
but a shop's traffic spreads over thousands of products: with five workers a machine, and
more machines as the shop grows, each would render the same product page for itself. In
Redis, a page one process rendered serves every process for the rest of its time.

Redis is a help here, never a need: with no REDIS_URL (the embedded default) there is no
second level, and when Redis is slow or down a page is rendered as if nothing were kept.
After a failure Redis is left alone for a few seconds, so an outage costs one short timeout
now and then, not one a request.

Keys are named after the database as well as the page, so a staging and a production shop
sharing one Redis never serve each other's pages. What is kept: the page's body, the
headers the page cache keeps, the view's `extra` (JSON: an id), and when it expires.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time

from redis import Redis, RedisError

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 0.1  # a page is rendered in a few ms: waiting longer would cost more
PAUSE_AFTER_FAILURE_SECONDS = 5.0


class SharedPages:
    def __init__(self, redis_url: str, database_url: str):
        self.client = Redis.from_url(redis_url, socket_timeout=TIMEOUT_SECONDS,
                                     socket_connect_timeout=TIMEOUT_SECONDS)
        shop = hashlib.sha256(database_url.encode()).hexdigest()[:12]
        self.prefix = f"kade:page:{shop}:"
        self._paused_until = 0.0
        self._lock = threading.Lock()

    def _name(self, key: tuple) -> str:
        return self.prefix + hashlib.sha256(repr(key).encode()).hexdigest()

    def get(self, key: tuple) -> tuple[dict, float] | None:
        """The kept page as a dict (body, headers, extra) and its seconds left, or None."""
        raw = self._call(lambda: self.client.get(self._name(key)))
        if raw is None:
            return None
        try:
            kept = json.loads(raw)
            left = float(kept.pop("expires")) - time.time()
        except (ValueError, KeyError, TypeError):
            return None  # not ours, or from another version: render anew
        return (kept, left) if left > 0 else None

    def put(self, key: tuple, page: dict, seconds: float) -> None:
        value = json.dumps({**page, "expires": time.time() + seconds})
        self._call(lambda: self.client.set(self._name(key), value,
                                           px=max(1, int(seconds * 1000))))

    def clear(self) -> None:
        """Every page of this shop (tests; never needed in production: the time limit is)."""
        def drop():
            for name in self.client.scan_iter(match=self.prefix + "*", count=500):
                self.client.delete(name)
        self._call(drop)

    def _call(self, operation):
        if time.monotonic() < self._paused_until:
            return None
        try:
            return operation()
        except RedisError as exc:
            with self._lock:
                self._paused_until = time.monotonic() + PAUSE_AFTER_FAILURE_SECONDS
            # The error's class only: a message may quote a key, made from a visited URL.
            log.warning("shared page cache unavailable, rendering pages for %ss: %s",
                        PAUSE_AFTER_FAILURE_SECONDS, type(exc).__name__)
            return None


def shared_pages(app) -> SharedPages | None:
    """The app's second level, or None without REDIS_URL."""
    if not app.config.get("REDIS_URL"):
        return None
    found = app.extensions.get("kade_shared_pages")
    if found is None:
        found = app.extensions.setdefault("kade_shared_pages", SharedPages(
            app.config["REDIS_URL"], str(app.config.get("DATABASE_URL") or "")))
    return found
