"""A transaction that wrote nothing ends with COMMIT (app/db.py): psycopg forgets a
connection's prepared statements at every ROLLBACK, so requests that only read (or were
refused before they wrote) kept the pool's connections from ever keeping theirs. Whatever
wrote still rolls back when the request or the `transaction()` block fails."""

from __future__ import annotations

import pytest
from flask import Blueprint, abort
from sqlalchemy import event, func, insert, select, table, text

from app import prepared
from app.catalog.models import Category
from app.db import end_reads, session, transaction

PREPARED_HERE = select(func.count()).select_from(table("pg_prepared_statements"))
CATEGORIES = select(func.count()).select_from(Category)


@pytest.fixture()
def probe_app(make_app):
    # One connection in the pool: each request reads on the connection the last one used.
    app = make_app(DATABASE_POOL_SIZE=1, DATABASE_MAX_OVERFLOW=0)
    probe = Blueprint("probe", __name__)

    @probe.get("/probe/read")
    def read():
        prepared_before = session.scalar(PREPARED_HERE)
        session.scalar(CATEGORIES)
        return {"prepared": prepared_before}

    @probe.get("/probe/read-text")
    def read_text():
        prepared_before = session.scalar(PREPARED_HERE)
        session.scalar(text("SELECT count(*) FROM catalog_category"))
        return {"prepared": prepared_before}

    @probe.get("/probe/refused")
    def refused():
        prepared_before = session.scalar(PREPARED_HERE)
        try:
            with transaction():
                session.scalar(CATEGORIES)
                # Made for the request (a cart for its first item), never flushed.
                session.add(Category(slug="made-then-refused", name_en="Refused"))
                raise LookupError("refused before writing")
        except LookupError:
            return {"prepared": prepared_before}, 409

    @probe.post("/probe/flush-then-fail")
    def flush_then_fail():
        with transaction():
            session.add(Category(slug="flushed", name_en="Flushed"))
            session.flush()
            abort(409)

    @probe.post("/probe/insert-then-fail")
    def insert_then_fail():
        with transaction():
            session.execute(insert(Category).values(slug="inserted", name_en="Inserted"))
            abort(409)

    @probe.post("/probe/text-then-fail")
    def text_then_fail():
        with transaction():
            prepared.rows(text(
                "INSERT INTO catalog_category (slug, name_en, position, is_active, created_at)"
                " VALUES ('texted', 'Texted', 0, true, CURRENT_TIMESTAMP) RETURNING id"))
            abort(409)

    @probe.post("/probe/text-insert-then-fail")
    def text_insert_then_fail():
        with transaction():
            session.execute(text(
                "INSERT INTO catalog_category (slug, name_en, position, is_active, created_at)"
                " VALUES ('texted', 'Texted', 0, true, CURRENT_TIMESTAMP)"))
            abort(409)

    @probe.post("/probe/savepoint-then-fail")
    def savepoint_then_fail():
        with transaction():
            session.add(Category(slug="before", name_en="Before"))
            session.flush()
            with pytest.raises(LookupError), session.begin_nested():
                session.add(Category(slug="inside", name_en="Inside"))
                session.flush()
                raise LookupError("the savepoint rolls back")
            abort(409)

    @probe.post("/probe/flush-not-committed")
    def flush_not_committed():
        session.add(Category(slug="pending", name_en="Pending"))
        session.flush()
        return "flushed, never committed"

    app.register_blueprint(probe)
    return app


def _categories(app) -> list[str]:
    with app.app_context():
        try:
            return list(session.scalars(select(Category.slug).order_by(Category.slug)))
        finally:
            session.remove()


@pytest.mark.postgres_only
@pytest.mark.parametrize(("url", "status"), [("/probe/read", 200), ("/probe/read-text", 200),
                                             ("/probe/refused", 409)])
def test_a_connection_keeps_its_prepared_statements_after_requests_that_wrote_nothing(
        probe_app, url, status):
    client = probe_app.test_client()
    seen = []
    for _ in range(8):
        answer = client.get(url)
        assert answer.status_code == status
        seen.append(answer.get_json()["prepared"])
    # psycopg prepares a statement at its sixth use on a connection; a ROLLBACK at the end
    # of each request would have wiped it (and the count of uses) every time: 0 each time.
    assert seen[-1] >= 1
    assert _categories(probe_app) == []


@pytest.mark.parametrize("url", ["/probe/flush-then-fail", "/probe/insert-then-fail",
                                 "/probe/text-then-fail", "/probe/text-insert-then-fail",
                                 "/probe/savepoint-then-fail",
                                 "/probe/flush-not-committed"])
def test_what_a_failed_or_uncommitted_transaction_wrote_is_rolled_back(probe_app, url):
    answer = probe_app.test_client().post(url)
    assert answer.status_code in (200, 409)
    assert _categories(probe_app) == []


def test_a_transaction_that_succeeds_after_reading_still_commits_its_writes(probe_app):
    with probe_app.app_context():
        try:
            session.scalar(CATEGORIES)  # a read first: the transaction begins here
            with transaction():
                session.add(Category(slug="kept", name_en="Kept"))
        finally:
            session.remove()
    assert _categories(probe_app) == ["kept"]


@pytest.mark.parametrize("url", ["/readyz", "/metrics"])
def test_probes_and_gauges_end_their_reads_with_a_commit(app, client, url):
    # A load balancer asks /readyz every few seconds of every worker, Prometheus /metrics:
    # a rollback there would cost a storefront connection its prepared statements each time.
    engine = app.extensions["kade_engine"]
    ended: list[str] = []

    def commit(_conn):
        ended.append("commit")

    def rollback(_conn):
        ended.append("rollback")

    event.listen(engine, "commit", commit)
    event.listen(engine, "rollback", rollback)
    try:
        answer = client.get(url)
    finally:
        event.remove(engine, "commit", commit)
        event.remove(engine, "rollback", rollback)
    assert answer.status_code == 200
    assert "commit" in ended
    assert "rollback" not in ended


def test_ending_reads_after_a_write_rolls_the_write_back(probe_app):
    with probe_app.app_context():
        try:
            session.scalar(CATEGORIES)
            session.add(Category(slug="unwanted", name_en="Unwanted"))
            session.flush()
            end_reads()
        finally:
            session.remove()
    assert _categories(probe_app) == []
