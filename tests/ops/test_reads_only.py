"""Pages that only read (app/db.py `reads_only`): on PostgreSQL their statements run on a
connection in autocommit (no BEGIN, no ROLLBACK round trip), and a write from such a page is
refused on every database, so a write added to one later fails here rather than going out
without a transaction."""

from __future__ import annotations

import pytest
from flask import Blueprint
from sqlalchemy import event, func, select

from app.catalog.models import Category
from app.db import ReadOnlyRequest, reads_only, session, transaction
from tests.catalog.factories import make_category, make_product


def _autocommit_of_statements(app):
    """The driver connection's autocommit flag for each statement sent while in the block."""
    seen: list[bool] = []
    engine = app.extensions["kade_engine"]

    def before(conn, _cursor, _statement, _params, _context, _many):
        seen.append(bool(conn.connection.driver_connection.autocommit))

    event.listen(engine, "before_cursor_execute", before)
    return seen, lambda: event.remove(engine, "before_cursor_execute", before)


@pytest.mark.postgres_only
@pytest.mark.parametrize("url", ["/", "/p/{slug}", "/c/tea", "/products", "/search?q=tea",
                                 "/search/suggest?q=tea", "/api/v1/products?category=tea",
                                 "/api/v1/products/{slug}"])
def test_storefront_pages_read_on_autocommit_connections(app, client, db_session, url):
    make_category("tea")
    product = make_product("Green tea", category="tea")
    session.remove()
    seen, stop = _autocommit_of_statements(app)
    try:
        page = client.get(url.format(slug=product.slug))
    finally:
        stop()
    assert page.status_code == 200
    assert seen and all(seen)


@pytest.mark.postgres_only
def test_a_page_that_writes_keeps_its_transaction(app, client, db_session):
    # Adding to the cart is not marked: its statements run in one transaction as before.
    make_category("tea")
    product = make_product("Green tea", category="tea")
    session.remove()
    seen, stop = _autocommit_of_statements(app)
    try:
        answer = client.post("/cart/items", data={"variant_id": product.variants[0].id,
                                                  "quantity": 1})
    finally:
        stop()
    assert answer.status_code in (200, 302, 303)
    assert seen and not any(seen)


@pytest.fixture()
def writing_app(make_app):
    app = make_app()
    probe = Blueprint("probe", __name__)

    @probe.get("/probe/write")
    @reads_only
    def write():
        with transaction():
            session.add(Category(slug="written", name_en="Written"))
        return "written"

    @probe.get("/probe/flush")
    @reads_only
    def flush():
        session.add(Category(slug="flushed", name_en="Flushed"))
        session.flush()
        return "flushed"

    app.register_blueprint(probe)
    return app


@pytest.mark.parametrize("url", ["/probe/write", "/probe/flush"])
def test_a_write_from_a_page_marked_reads_only_is_refused(writing_app, url, caplog):
    client = writing_app.test_client()
    try:
        answer = client.get(url)
    except ReadOnlyRequest:
        pass  # raised again while the 500 page was made (the refused object still pending)
    else:
        assert answer.status_code == 500
        assert "ReadOnlyRequest" in caplog.text
    with writing_app.app_context():
        assert session.scalar(select(func.count()).select_from(Category)) == 0
        session.remove()


def test_after_a_page_that_reads_the_same_context_writes_as_before(app, client, db_session):
    # Where the app context outlives the request (a test's, a CLI's), the mark goes with it.
    make_category("tea")
    assert client.get("/c/tea").status_code == 200
    with transaction():
        session.add(Category(slug="after", name_en="After"))
    assert session.scalar(select(func.count()).select_from(Category)) == 2
