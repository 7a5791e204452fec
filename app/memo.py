"""Short-lived memory, per process, of what is costly to work out and the same for everyone.

The page cache (app/page_cache.py) keeps whole pages for visitors who are not signed in.
Under it, `remember()` keeps the catalog facts that pages are made of and that do not depend
on who asks: a search's ranked ids, a listing's filter counts. They cost most of a search or
a big category page (a count over thousands of products), and page 2, another sort, the
JSON API and signed-in customers all ask for the same ones.

Both keep values for PAGE_CACHE_SECONDS (10 s in production, 0 elsewhere: off): what the
shop promises a shopper may lag (stock shown, a staff edit), and checkout checks stock
again. Per process and bounded, least recently used first: no network round trip, nothing to
invalidate across machines; the time limit is the rule.

`reference()` is for the shop's reference data that every page reads and staff rarely
change: its details in the footer, the category tree, the delivery promise. Kept for
REFERENCE_CACHE_SECONDS whether or not the page cache is on: without it every page, the
uncached ones included, would ask the database the same few questions. A staff save calls
`forget_reference()`, so the process that saved shows the change at once.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

from flask import current_app, g, has_app_context

T = TypeVar("T")
MAX_FACTS = 512  # a listing's facets or a search's ids: a few KB each


class TTLCache:
    """A bounded mapping whose values expire; safe to share between threads."""

    def __init__(self, size: int):
        self.size = size
        self._entries: OrderedDict[Hashable, tuple[float, object]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> object | None:
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return None
            expires, value = found
            if expires < time.monotonic():
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return value

    def put(self, key: Hashable, value: object, seconds: float) -> None:
        with self._lock:
            self._entries[key] = (time.monotonic() + seconds, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


def seconds() -> int:
    """How long the storefront may lag the catalog (PAGE_CACHE_SECONDS); 0: not at all."""
    return int(current_app.config.get("PAGE_CACHE_SECONDS") or 0)


def _facts(app) -> TTLCache:
    return app.extensions.setdefault("kade_memo", TTLCache(MAX_FACTS))


def remember(key: Hashable, produce: Callable[[], T]) -> T:
    """`produce()`, or what it gave for the same `key` less than PAGE_CACHE_SECONDS ago.
    `key` must name everything the value depends on (start it with the function's name).
    Keep only values nobody mutates: they are shared between requests."""
    keep = seconds()
    if not keep:
        return produce()
    return _kept(_facts(current_app), keep, key, produce)


def _kept(store: TTLCache, keep: int, key: Hashable, produce: Callable[[], T]) -> T:
    found = store.get(key)
    if found is None:
        found = produce()
        store.put(key, found, keep)
    return found  # type: ignore[return-value]


# Where reference() keeps values: the shop's data, and the layout's parts made from it
# (app/layout_parts.py), kept apart so that neither pushes the other out.
REFERENCE, LAYOUT = "kade_reference", "kade_layout_parts"


def _reference(app, kept_in: str = REFERENCE) -> TTLCache:
    return app.extensions.setdefault(kept_in, TTLCache(MAX_FACTS))


def reference(key: Hashable, produce: Callable[[], T], *, kept_in: str = REFERENCE) -> T:
    """`produce()`, or what it gave for `key` less than REFERENCE_CACHE_SECONDS ago. The
    same rules as `remember`: `key` names everything the value depends on, and the value is
    never mutated (plain data, not ORM objects, which belong to one session)."""
    keep = int(current_app.config.get("REFERENCE_CACHE_SECONDS") or 0)
    if not keep:
        # Still once per request (or app context): a page reads the tree for each card.
        this_context = g.setdefault("kade_reference", {})
        if (kept_in, key) not in this_context:
            this_context[kept_in, key] = produce()
        return this_context[kept_in, key]
    return _kept(_reference(current_app, kept_in), keep, key, produce)


def forget_reference(app) -> None:
    """After a staff save of reference data: this process reads it again at once, and makes
    again the layout's parts that show it."""
    _reference(app).clear()
    _reference(app, LAYOUT).clear()
    if has_app_context():
        g.pop("kade_reference", None)


def forget_all(app) -> None:
    """Drop everything remembered (tests; a staff action that must show at once)."""
    _facts(app).clear()
    forget_reference(app)
