"""Where report queries run: a read replica when DATABASE_REPLICA_URL is set (checkout's
queries stay on the primary), else the primary under a statement timeout, never writing."""

from __future__ import annotations

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import DBAPIError

from app import migrate
from app.reports import sales
from app.reports.database import ENGINE_KEY, ReportTooSlow, reading
from tests.checkout.factories import place_guest_order, stocked
from tests.factories import make_staff


class Counter:
    """Statements an engine runs that read or write the orders table."""

    def __init__(self, engine):
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._seen)
        self.engine = engine

    def _seen(self, _conn, _cursor, statement, *_args):
        if "orders_order" in statement:
            self.count += 1

    def close(self):
        event.remove(self.engine, "before_cursor_execute", self._seen)


@pytest.mark.postgres_only
def test_reports_read_the_replica_and_checkout_the_primary(make_app, scratch_url,
                                                          sign_in_staff):
    migrate.upgrade(scratch_url)  # the replica: same schema, none of the primary's orders
    app = make_app(DATABASE_REPLICA_URL=scratch_url)
    primary = Counter(app.extensions["kade_engine"].engine)
    replica = Counter(app.extensions[ENGINE_KEY])
    try:
        with app.app_context():
            admin = make_staff("admin")
            place_guest_order((stocked("Ceylon tea", units=5, price_cents=1_250_00), 1))
        assert primary.count > 0 and replica.count == 0  # checkout stays on the primary

        client = sign_in_staff(admin, c=app.test_client())
        primary.count = replica.count = 0
        page = client.get("/staff/reports/sales")
        dashboard = client.get("/staff/")
    finally:
        primary.close()
        replica.close()

    assert page.status_code == 200 and dashboard.status_code == 200
    assert replica.count >= 4  # the report's two queries and the dashboard's
    assert primary.count == 0
    # The replica has no orders yet (it is another database here): the report says so.
    assert "Rs. 0.00" in page.get_data(as_text=True)


@pytest.mark.postgres_only
def test_a_statement_past_the_timeout_is_cut_off(make_app):
    app = make_app(REPORT_STATEMENT_TIMEOUT_MS=100)
    with app.app_context():
        with pytest.raises(ReportTooSlow), reading() as reads:
            reads.execute(text("SELECT pg_sleep(2)"))
        with reading(timeout_ms=5_000) as reads:  # a job allows itself longer
            assert reads.scalar(text("SELECT 1 FROM pg_sleep(0.3)")) == 1


@pytest.mark.postgres_only
def test_the_reports_connection_refuses_writes(app_ctx):
    with pytest.raises(DBAPIError, match="read-only transaction"), reading() as reads:
        reads.execute(text("UPDATE orders_order SET status = status"))


def test_a_report_too_slow_is_a_clear_page_not_a_500(client, sign_in_staff, db_session,
                                                     monkeypatch):
    def too_slow(*_args, **_kwargs):
        raise ReportTooSlow()

    monkeypatch.setattr(sales, "sales", too_slow)
    page = sign_in_staff(make_staff("admin")).get("/staff/reports/sales")
    assert page.status_code == 503
    assert "This report took too long to read" in page.get_data(as_text=True)
