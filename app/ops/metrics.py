"""What /metrics tells Prometheus: traffic, errors and latency, orders and payments, the
outboxes and jobs, database pools, the page cache, backups and replication.

Two kinds of figure:

- **Counted where it happens**, in the process that served the request or committed the
  change: requests, latency, orders placed, payments reaching a state, page cache lookups,
  connections checked out. Under gunicorn each worker is its own process, so with
  PROMETHEUS_MULTIPROC_DIR set (docs/OPERATIONS.md) prometheus-client keeps these in one
  file per worker and a scrape of any worker adds every worker's up. Each pool (web, staff)
  needs a folder of its own, emptied before it starts (gunicorn.conf.py does), or a scrape of
  one pool would count the other's too.
- **Read at scrape time** from the database and Redis, where the truth is shared by every
  process and machine: the outboxes' backlog, RQ's queues, backups, replication. The factory
  hands each domain's reader in (`add_gauges`), so ops never reaches into another domain.

Metric names and labels are what ops/alerts.yml and ops/grafana/kade.json query: change one
and change them.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from flask import g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import event

log = logging.getLogger(__name__)

# Every metric here is made unregistered (registry=None): in multiprocess mode a scrape reads
# the workers' files, not objects in the default registry; in one process (the embedded
# default, tests) `render` registers them in that scrape's registry.
REQUESTS = Counter("kade_http_requests", "Requests answered, by endpoint group, method and "
                   "status class.", ["group", "method", "status"], registry=None)
# 0.3 s is the storefront's p95 target (ops/alerts.yml): a bucket edge there keeps the
# alert's quantile exact at the threshold.
LATENCY = Histogram("kade_http_request_duration_seconds", "Time to answer a request, by "
                    "endpoint group.", ["group"], registry=None,
                    buckets=(.005, .01, .025, .05, .1, .2, .3, .5, 1, 2.5, 5, 10))
ORDERS_PLACED = Counter("kade_orders_placed", "Orders placed (committed), by channel.",
                        ["channel"], registry=None)
PAYMENTS = Counter("kade_payments", "Payments that reached a state (committed), by method "
                   "and state.", ["method", "state"], registry=None)
PAGE_CACHE = Counter("kade_page_cache_lookups", "Page cache lookups, hit or miss.",
                     ["result"], registry=None)
for _result in ("hit", "miss"):  # both series from the start: a ratio needs both
    PAGE_CACHE.labels(_result)
# livesum: a dead worker's connections are not counted (gunicorn.conf.py child_exit).
# The label is `database`, not `pool`: the scrape config labels each target with its
# gunicorn pool (web, staff), and the two would clash.
POOL_CHECKED_OUT = Gauge("kade_db_pool_checked_out", "Database connections in use, by "
                         "connection pool (main, reports).", ["database"], registry=None,
                         multiprocess_mode="livesum")
POOL_SIZE = Gauge("kade_db_pool_size", "Database connections a pool may open (size plus "
                  "overflow), summed over live processes.", ["database"], registry=None,
                  multiprocess_mode="livesum")
COUNTED = (REQUESTS, LATENCY, ORDERS_PLACED, PAYMENTS, PAGE_CACHE, POOL_CHECKED_OUT,
           POOL_SIZE)

# Paths are unbounded (and can carry tokens); their group is not.
_GROUPS = (("/staff", "staff"), ("/api", "api"), ("/static", "static"), ("/media", "static"),
           ("/healthz", "ops"), ("/readyz", "ops"), ("/metrics", "ops"))


def group_of(path: str) -> str:
    for prefix, group in _GROUPS:
        if path.startswith(prefix) and (len(path) == len(prefix) or path[len(prefix)] in "/?"):
            return group
    return "storefront"


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


# ---- counted where it happens -----------------------------------------------------------------

def init_app(app) -> None:
    """Count every request, and the app's database pools."""

    @app.before_request
    def _started():
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _answered(response):
        started = g.get("metrics_started")
        if started is not None:  # a request refused before the hooks ran has no start
            group = group_of(request.path)
            REQUESTS.labels(group, request.method, f"{response.status_code // 100}xx").inc()
            LATENCY.labels(group).observe(time.perf_counter() - started)
        return response

    watch_pool(app.extensions["kade_engine"], "main")


_watched: set[int] = set()


def watch_pool(engine, name: str) -> None:
    """Connections of `engine`'s pool in use, and its capacity. Once per engine: the tests
    make many apps over the same engines."""
    if id(engine.pool) in _watched or engine.dialect.name == "sqlite":
        return
    _watched.add(id(engine.pool))
    in_use, size = POOL_CHECKED_OUT.labels(name), POOL_SIZE.labels(name)
    capacity = engine.pool.size() + max(0, engine.pool._max_overflow)
    counted_in = [0]  # the process whose capacity is counted

    def _out(*_args):
        # The capacity is announced by each process at its first checkout, not when the
        # engine is made: gunicorn makes it in the master, which serves nothing, and a
        # forked worker starts with empty figures of its own.
        if counted_in[0] != os.getpid():
            counted_in[0] = os.getpid()
            size.inc(capacity)
        in_use.inc()

    event.listen(engine, "checkout", _out)
    event.listen(engine, "checkin", lambda *_args: in_use.dec())


_counting: set[tuple[type, Counter]] = set()


def count_committed(model, counter: Counter, labels: Callable[[object], tuple | None],
                    *, changed: str | None = None) -> None:
    """Count `model` rows into `counter` once their transaction commits: rows inserted, or,
    with `changed`, rows inserted or whose `changed` attribute took a new value. `labels(row)`
    gives the labels (None: not counted). A rollback counts nothing."""
    from sqlalchemy import inspect

    from app.db import AppSession

    if (model, counter) in _counting:  # once a process: the listeners are the session class's
        return
    _counting.add((model, counter))

    def _noted(session, _context, _instances=None):
        rows = [row for row in session.new if isinstance(row, model)]
        if changed is not None:
            rows += [row for row in session.dirty if isinstance(row, model)
                     and inspect(row).attrs[changed].history.added]
        for row in rows:
            label = labels(row)
            if label is not None:
                session.info.setdefault("kade_metrics_pending", []).append((counter, label))

    def _committed(session):
        for counted, label in session.info.pop("kade_metrics_pending", ()):
            counted.labels(*label).inc()

    def _rolled_back(session):
        session.info.pop("kade_metrics_pending", None)

    event.listen(AppSession, "before_flush", _noted)
    event.listen(AppSession, "after_commit", _committed)
    # after_rollback: the database transaction's own, not a savepoint's (a nested rollback
    # leaves the outer transaction's rows to commit).
    event.listen(AppSession, "after_rollback", _rolled_back)


def count_on_commit(session, counter: Counter, labels: tuple) -> None:
    """Count one row written without the unit of work (a Core insert) into `counter` once
    `session`'s transaction commits, as count_committed counts the models' rows (which
    never see it): a rollback counts nothing."""
    session.info.setdefault("kade_metrics_pending", []).append((counter, labels))


def page_cache_lookup(hit: bool) -> None:
    PAGE_CACHE.labels("hit" if hit else "miss").inc()


# ---- read at scrape time ----------------------------------------------------------------------

@dataclass(frozen=True)
class Reading:
    """One gauge's values: (labels, value) pairs; a value of None is left out."""

    name: str
    about: str
    values: Iterable[tuple[dict[str, str], float | None]]
    labels: tuple[str, ...] = ()


_gauges: list[Callable[[], Iterable[Reading]]] = []


def add_gauges(reader: Callable[[], Iterable[Reading]]) -> None:
    """Register a reader of gauges, run at each scrape inside the app context. A reader that
    fails is logged and skipped: one broken reader must not blank the others."""
    if reader not in _gauges:
        _gauges.append(reader)


class _ScrapeTimeGauges:
    def collect(self):
        for reader in _gauges:
            try:
                readings = list(reader())
            except Exception:  # noqa: BLE001 — reported, and the other gauges still answer
                log.exception("metrics_reader_failed", extra={"reader": reader.__qualname__})
                continue
            for reading in readings:
                family = GaugeMetricFamily(reading.name, reading.about, labels=reading.labels)
                for labels, value in reading.values:
                    if value is not None:
                        family.add_metric([labels[key] for key in reading.labels], float(value))
                yield family


def render() -> tuple[bytes, str]:
    registry = CollectorRegistry()
    if multiprocess_dir():
        multiprocess.MultiProcessCollector(registry)
    else:
        for metric in COUNTED:
            registry.register(metric)
    registry.register(_ScrapeTimeGauges())
    return generate_latest(registry), CONTENT_TYPE_LATEST


def one(name: str, about: str, value: float | None) -> Reading:
    """A gauge without labels."""
    return Reading(name, about, [({}, value)])
