"""/metrics as Prometheus scrapes it: requests by endpoint group, orders and payments once
committed, the outboxes' backlog, RQ's queues, the page cache, and, under a real gunicorn,
every worker's requests in one scrape."""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import urllib.request
from collections import Counter

import pytest
from rq import Queue

from app import db, page_cache
from app.db import utcnow
from app.events.models import Event, Handling
from app.notifications.models import OutboxMessage
from app.payments import services as money
from tests.catalog.factories import make_product
from tests.checkout.factories import place_guest_order, stocked
from tests.factories import make_staff
from tests.ops import servers
from tests.ops.prometheus_text import parse, scrape, value

# ---- requests ------------------------------------------------------------------------------

def test_requests_are_counted_by_endpoint_group_and_status_class(client):
    before = scrape(client)

    client.get("/about")
    client.get("/no-such-page")
    client.get("/staff/login")
    client.get("/api/v1/categories")
    client.get("/healthz")

    after = scrape(client)
    def grew(**labels) -> float:
        return (value(after, "kade_http_requests_total", **labels)
                - value(before, "kade_http_requests_total", **labels))

    assert grew(group="storefront", method="GET", status="2xx") == 1
    assert grew(group="storefront", method="GET", status="4xx") == 1
    assert grew(group="staff", method="GET", status="2xx") == 1
    assert grew(group="api", method="GET", status="2xx") == 1
    assert grew(group="ops", method="GET", status="2xx") >= 2  # /healthz and a scrape
    # The latency histogram: every storefront request falls in the +Inf bucket, and the
    # bucket at the p95 target (0.3 s) exists for the alert.
    count = "kade_http_request_duration_seconds_bucket"
    assert (value(after, count, group="storefront", le="+Inf")
            - value(before, count, group="storefront", le="+Inf")) == 2
    assert (count, frozenset({("group", "storefront"), ("le", "0.3")})) in after


def test_a_path_names_its_group_and_only_its_group():
    from app.ops.metrics import group_of

    assert [group_of(p) for p in ("/", "/staff", "/staff/orders/1", "/staffing", "/api/v1/x",
                                  "/apiary", "/static/app.css", "/media/p/1.webp",
                                  "/metrics", "/p/tea")] == [
        "storefront", "staff", "staff", "storefront", "api", "storefront", "static",
        "static", "ops", "storefront"]


# ---- orders and payments, counted when they commit -------------------------------------------

def test_an_order_and_its_payment_are_counted_once_committed(app, client):
    def payments(samples) -> dict[str, float]:
        return {dict(labels)["state"]: count for (name, labels), count in samples.items()
                if name == "kade_payments_total" and ("method", "cod") in labels}

    before = scrape(client)
    with app.app_context():
        variant = stocked(units=3)
        order = place_guest_order((variant, 1))
        number, total_cents = order.number, order.total_cents
        with pytest.raises(Exception):  # noqa: B017 — whichever refusal: nothing counted
            place_guest_order((variant, 5))  # more than is in stock
    placed = scrape(client)
    with app.app_context():
        money.mark_collected(number, total_cents, actor=make_staff("admin"))
    collected = scrape(client)

    assert (value(placed, "kade_orders_placed_total", channel="web")
            - value(before, "kade_orders_placed_total", channel="web")) == 1
    grew = Counter(payments(placed)) - Counter(payments(before))
    assert grew == {"initiated": 1}
    grew = Counter(payments(collected)) - Counter(payments(placed))
    assert grew == {"captured": 1}


def test_a_rolled_back_order_is_not_counted(app, client):
    from app.orders.models import Order

    before = scrape(client)
    with app.app_context():
        variant = stocked(units=3)
        order = place_guest_order((variant, 1))
        copy = Order(**{c.key: getattr(order, c.key) for c in Order.__table__.columns
                        if c.key not in ("id", "number")}, number="KD-ROLLED-BACK")
        db.session.add(copy)
        db.session.flush()
        db.session.rollback()

    after = scrape(client)
    assert (value(after, "kade_orders_placed_total", channel="web")
            - value(before, "kade_orders_placed_total", channel="web")) == 1


# ---- read at scrape time -----------------------------------------------------------------------

def test_the_outboxes_backlog_and_lag(app, client):
    with app.app_context():
        quiet = scrape(client)
        assert value(quiet, "kade_outbox_pending", outbox="notifications") == 0
        assert value(quiet, "kade_outbox_lag_seconds", outbox="events") == 0
        ten_minutes_ago = utcnow() - dt.timedelta(minutes=10)
        later = utcnow() + dt.timedelta(hours=1)
        db.session.add_all([
            # Due ten minutes ago and still not sent: the relay lags.
            OutboxMessage(channel="email", template="order_placed", recipient="a@example.lk",
                          data="{}", dedupe_key="m1", status="pending",
                          next_attempt_at=ten_minutes_ago, created_at=ten_minutes_ago),
            # Older, but waiting out a retry's back-off: not the relay's lag.
            OutboxMessage(channel="email", template="order_placed", recipient="b@example.lk",
                          data="{}", dedupe_key="m2", status="pending", next_attempt_at=later,
                          created_at=ten_minutes_ago - dt.timedelta(hours=2)),
            OutboxMessage(channel="sms", template="order_placed", recipient="+94771234567",
                          data="{}", dedupe_key="m3", status="failed",
                          next_attempt_at=ten_minutes_ago, created_at=ten_minutes_ago)])
        event = Event(name="order.placed", key="order:KD-1", data={}, created_at=ten_minutes_ago)
        event.handlings.append(Handling(handler="test.late", key="order:KD-1",
                                        next_attempt_at=ten_minutes_ago))
        event.handlings.append(Handling(handler="test.later", key="order:KD-1",
                                        next_attempt_at=later))
        db.session.add(event)
        db.session.commit()

    busy = scrape(client)
    assert value(busy, "kade_outbox_pending", outbox="notifications") == 2
    assert value(busy, "kade_outbox_failed", outbox="notifications") == 1
    assert 595 <= value(busy, "kade_outbox_lag_seconds", outbox="notifications") <= 700
    assert value(busy, "kade_outbox_pending", outbox="events") == 2
    assert 595 <= value(busy, "kade_outbox_lag_seconds", outbox="events") <= 700


def test_rq_queues_are_read_from_redis(make_app, redis_url):
    app = make_app(REDIS_URL=redis_url)
    client = app.test_client()
    with app.app_context():
        from app.redis_client import redis_for

        Queue("low", connection=redis_for(app)).enqueue("jobs.nothing.here")
        Queue("low", connection=redis_for(app)).enqueue("jobs.nothing.here")

    samples = scrape(client)
    assert value(samples, "kade_redis_up") == 1
    assert value(samples, "kade_rq_queue_depth", queue="low") == 2
    assert value(samples, "kade_rq_queue_depth", queue="high") == 0
    assert value(samples, "kade_rq_failed_jobs", queue="default") == 0
    assert value(samples, "kade_rq_workers") == 0


def test_redis_down_is_a_gauge_not_a_failed_scrape(make_app):
    app = make_app(REDIS_URL=f"redis://127.0.0.1:{servers.free_port()}/0")

    samples = scrape(app.test_client())

    assert value(samples, "kade_redis_up") == 0
    assert ("kade_backup_stale", frozenset()) in samples  # the other gauges still answer


def test_a_failing_reader_is_logged_and_the_others_still_answer(client, monkeypatch, caplog):
    from app.ops import metrics

    def broken():
        raise RuntimeError("reader broke")

    monkeypatch.setattr(metrics, "_gauges", [broken, *metrics._gauges])

    samples = scrape(client)

    assert ("kade_backup_stale", frozenset()) in samples
    assert "metrics_reader_failed" in caplog.text


def test_page_cache_hits_and_misses(make_app, db_session):
    app = make_app(PAGE_CACHE_SECONDS=300)
    client = app.test_client()
    slug = make_product("Ceylon tea").slug
    try:
        before = scrape(client)
        for _ in range(3):
            assert client.get(f"/p/{slug}").status_code == 200
        after = scrape(client)
    finally:
        page_cache.clear(app)

    def grew(result):
        return (value(after, "kade_page_cache_lookups_total", result=result)
                - value(before, "kade_page_cache_lookups_total", result=result))

    assert (grew("miss"), grew("hit")) == (1, 2)


# ---- a real gunicorn: every worker counted -----------------------------------------------------

def test_a_scrape_counts_the_requests_of_every_gunicorn_worker(migrated, tmp_path):
    folder = tmp_path / "metrics"
    with servers.gunicorn(migrated, tmp_path, WEB_CONCURRENCY="3", GUNICORN_THREADS="1",
                          PROMETHEUS_MULTIPROC_DIR=str(folder)) as server:
        def about(_):
            with urllib.request.urlopen(f"{server.base}/about", timeout=20) as answer:
                return answer.status

        with concurrent.futures.ThreadPoolExecutor(12) as pool:
            assert set(pool.map(about, range(90))) == {200}
        with urllib.request.urlopen(f"{server.base}/metrics", timeout=20) as answer:
            samples = parse(answer.read().decode())
        workers = {path.stem.rsplit("_", 1)[-1] for path in folder.glob("counter_*.db")}

    assert value(samples, "kade_http_requests_total", group="storefront", method="GET",
                 status="2xx") == 90
    assert len(workers) >= 2, workers  # the 90 were served by more than one worker


@pytest.mark.postgres_only
def test_database_pool_use_and_capacity(client):
    client.get("/about")

    samples = scrape(client)

    assert value(samples, "kade_db_pool_size", database="main") >= 5  # this process's pool
    # The request before is done with its connection; only the scrape's own can be out.
    assert value(samples, "kade_db_pool_checked_out", database="main") <= 1
