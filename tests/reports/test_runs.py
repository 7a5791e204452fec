"""A report over a long period, prepared by a job: 100 000 orders read a month at a time with
progress the page can follow, a CSV that opens in a spreadsheet with Sinhala names intact,
one run for the same report asked twice, and a failure said on the page."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from sqlalchemy import insert, text

from app import db
from app.db import transaction
from app.orders.models import Order, OrderLine
from app.queue import wait_for_local_jobs
from app.reports import runs, sales
from app.reports.days import Period, start_of
from app.reports.models import ReportRun
from tests.factories import make_staff

TWO_YEARS = Period(dt.date(2024, 12, 1), dt.date(2026, 11, 30))
PRODUCTS = [(1, "TEA-1", "Ceylon tea", "ලංකා තේ", 1_250_00),
            (2, "KITHUL-1", "Kithul treacle", "කිතුල් පැණි", 950_00),
            (3, "SOAP-1", "Herbal soap", "ඖෂධීය සබන්", 280_00)]


def load_orders(count: int) -> dict[int, int]:
    """`count` cash orders, one line each, spread over TWO_YEARS (Colombo noon), in bulk.
    Returns each product's gross in cents."""
    gross = {pid: 0 for pid, *_ in PRODUCTS}
    orders, lines = [], []
    for n in range(1, count + 1):
        day = TWO_YEARS.first + dt.timedelta(days=n % TWO_YEARS.days)
        pid, sku, name_en, name_si, price = PRODUCTS[n % len(PRODUCTS)]
        quantity = 1 + n % 2
        placed = start_of(day) + dt.timedelta(hours=12)
        total = price * quantity
        orders.append({"id": n, "number": f"KD-T-{n:07d}", "status": "completed",
                       "payment_method": "cod", "payment_status": "paid", "locale": "si",
                       "channel": "web", "contact_name": "x", "contact_email": "x",
                       "contact_phone": "x", "district": "galle", "subtotal_cents": total,
                       "discount_cents": 0, "delivery_fee_cents": 0, "total_cents": total,
                       "credit_cents": 0, "points_cents": 0, "currency": "LKR",
                       "placed_at": placed, "updated_at": placed, "link_version": 0})
        lines.append({"order_id": n, "product_id": pid, "variant_id": pid, "kind": "product",
                      "sku": sku, "name_en": name_en, "name_si": name_si,
                      "unit_cents": price, "quantity": quantity, "discount_cents": 0,
                      "total_cents": total, "fulfilled_quantity": quantity})
        gross[pid] += total
    with transaction():
        for start in range(0, count, 10_000):
            db.session.execute(insert(Order), orders[start:start + 10_000])
            db.session.execute(insert(OrderLine), lines[start:start + 10_000])
        if db.session.get_bind().dialect.name == "postgresql":
            # What autovacuum does after a load this size: without statistics the planner
            # takes 100 000 fresh rows for a handful.
            db.session.execute(text("ANALYZE orders_order, orders_order_line"))
    return gross


@pytest.fixture()
def marketing(db_session):
    return make_staff("marketing")


def test_a_report_over_100_000_orders_runs_as_a_job_with_progress(app, marketing, client,
                                                                  sign_in_staff, monkeypatch):
    gross = load_orders(100_000)
    seen = []
    real_progress = runs.save_progress

    def progress(run_id, done, steps):
        seen.append(db.session.get(ReportRun, run_id).status)
        real_progress(run_id, done, steps)
        seen.append((done, steps))

    monkeypatch.setattr(runs, "save_progress", progress)

    run = runs.request_sales(TWO_YEARS, dimension="product", grouping="day", locale="si",
                             actor=marketing)
    wait_for_local_jobs(app)
    db.session.expire_all()
    run = db.session.get(ReportRun, run.id)

    assert (run.status, run.progress, run.rows) == ("done", 100, 3)
    steps = [step for step in seen if isinstance(step, tuple)]
    assert steps[0] == (1, 24) and steps[-1] == (24, 24)  # a month at a time
    assert "running" in seen

    response = sign_in_staff(marketing).get(f"/staff/reports/runs/{run.id}.csv")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"
    body = response.get_data()
    assert body.startswith("\ufeff".encode())
    table = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    rows = {row[1]: row for row in table}
    assert rows["ලංකා තේ"][4] == str(sales.rupees(gross[1]))
    assert rows["කිතුල් පැණි"][4] == str(sales.rupees(gross[2]))
    total = table[-1]
    assert (total[0], total[2], total[4]) == ("total", "100000",
                                              str(sales.rupees(sum(gross.values()))))


def test_the_same_report_asked_twice_while_it_runs_is_one_run(db_session, marketing,
                                                              monkeypatch):
    queued = []
    monkeypatch.setattr(runs, "enqueue", lambda *args, **kwargs: queued.append(args))
    first = runs.request_sales(TWO_YEARS, dimension="time", grouping="month", locale="en",
                               actor=marketing)
    again = runs.request_sales(TWO_YEARS, dimension="time", grouping="month", locale="en",
                               actor=marketing)
    other = runs.request_sales(TWO_YEARS, dimension="district", grouping="month",
                               locale="en", actor=marketing)

    assert first.id == again.id != other.id
    assert len(queued) == 2
    assert runs.run_report(first.id).status == "done"
    assert runs.run_report(first.id) is None  # delivered twice: the second does nothing


def test_a_failed_run_says_so_on_its_page(db_session, marketing, client, sign_in_staff,
                                          monkeypatch):
    monkeypatch.setattr(runs, "enqueue", lambda *args, **kwargs: None)
    run = runs.request_sales(TWO_YEARS, dimension="time", grouping="month", locale="en",
                             actor=marketing)

    def broken(*_args, **_kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(sales, "in_steps", broken)
    assert runs.run_report(run.id).status == "failed"

    c = sign_in_staff(marketing)
    page = c.get(f"/staff/reports/runs/{run.id}").get_data(as_text=True)
    assert "The report could not be prepared" in page
    assert 'hx-trigger="every 1s"' not in page  # it stops asking
    assert c.get(f"/staff/reports/runs/{run.id}.csv").status_code == 404


def test_a_long_period_is_offered_as_a_file_and_followed_on_its_page(db_session, marketing,
                                                                     client, sign_in_staff,
                                                                     monkeypatch):
    monkeypatch.setattr(runs, "enqueue", lambda *args, **kwargs: None)
    c = sign_in_staff(marketing)
    query = {"first": "2024-01-01", "last": "2026-03-01", "by": "district"}
    page = c.get("/staff/reports/sales", query_string=query)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "A page shows at most 366 days." in html and "Prepare the file" in html
    assert c.get("/staff/reports/sales.csv", query_string=query).status_code == 200  # the offer

    posted = c.post("/staff/reports/sales/runs", data={**query, "grouping": "day"})
    assert posted.status_code == 303
    waiting = c.get(posted.headers["Location"]).get_data(as_text=True)
    assert "Waiting to start" in waiting and 'hx-trigger="every 1s"' in waiting

    run_id = int(posted.headers["Location"].rsplit("/", 1)[1])
    runs.run_report(run_id)
    ready = c.get(f"/staff/reports/runs/{run_id}").get_data(as_text=True)
    assert "Ready: 0 rows" in ready and "Download the report (CSV)" in ready


def test_runs_are_refused_to_roles_without_reports(db_session, marketing, client,
                                                   sign_in_staff, monkeypatch):
    monkeypatch.setattr(runs, "enqueue", lambda *args, **kwargs: None)
    run = runs.request_sales(TWO_YEARS, dimension="time", grouping="month", locale="en",
                             actor=marketing)
    agent = sign_in_staff(make_staff("support_agent"))
    assert agent.get(f"/staff/reports/runs/{run.id}").status_code == 403
    assert agent.get(f"/staff/reports/runs/{run.id}.csv").status_code == 403
    assert agent.post("/staff/reports/sales/runs", data={"first": "2024-01-01"}).status_code \
        == 403


def test_more_than_ten_years_is_refused(db_session, client, sign_in_staff):
    page = sign_in_staff(make_staff("admin")).get(
        "/staff/reports/sales", query_string={"first": "2001-01-01", "last": "2026-01-01"})
    assert page.status_code == 422
    assert "Choose at most 3660 days." in page.get_data(as_text=True)
