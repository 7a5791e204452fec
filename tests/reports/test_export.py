"""The analytics export against the hand-priced shop of conftest.py: Parquet files by
Colombo day that DuckDB reads back to the sales report's figures, with the queries of
docs/ANALYTICS.md run as they are written there; no personal data in them; a day written
twice gives the same files; an empty day gives empty files; an S3 bucket works like a folder;
and the nightly job runs after Colombo's midnight, writing yesterday."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pytest
from croniter import croniter
from sqlalchemy import select, update

from app import db
from app.db import transaction
from app.orders.models import Order
from app.payments import services as payments
from app.payments.models import Payment
from app.reports import export
from app.reports.database import reading
from app.reports.days import Period
from app.reports.export import DATASETS
from app.reports.sales import REFUND_ONLY, sales
from tests.checkout.factories import customer_order
from tests.factories import make_customer
from tests.reports.factories import at

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "ANALYTICS.md"
UTC = dt.UTC
COLOMBO = ZoneInfo("Asia/Colombo")
MARCH_1, MARCH_2, MARCH_3 = dt.date(2026, 3, 1), dt.date(2026, 3, 2), dt.date(2026, 3, 3)
MARCH = Period(MARCH_1, MARCH_3)
FIGURES = ("orders", "gross_cents", "discount_cents", "refund_cents", "net_cents",
           "delivery_cents", "total_cents")
# By product or category there is no delivery (it belongs to the order), so no total; units.
LINE_FIGURES = ("orders", "units", "gross_cents", "discount_cents", "refund_cents", "net_cents")


def doc_queries() -> dict[str, str]:
    """The SQL blocks of docs/ANALYTICS.md by their marker (`<!-- sql: name -->`)."""
    found = re.findall(r"<!-- sql: (\w+) -->\s*```sql\n(.*?)```", DOCS.read_text(), re.S)
    return dict(found)


SQL = doc_queries()


@pytest.fixture()
def analytics(app, tmp_path, monkeypatch) -> Path:
    """BACKUP_URL in a folder of this test's own; returns the export's folder in it."""
    monkeypatch.setitem(app.config, "BACKUP_URL", f"file://{tmp_path / 'backups'}")
    return tmp_path / "backups" / "analytics"


def duck(folder: Path | str, first: dt.date = MARCH_1, last: dt.date = MARCH_3,
         grouping: str = "day"):
    """DuckDB with the views of docs/ANALYTICS.md over `folder`, for the period given."""
    views = re.sub(r"SET VARIABLE analytics = '[^']*';",
                   f"SET VARIABLE analytics = '{folder}';", SQL["views"], count=1)
    connection = duckdb.connect()
    connection.execute(views)
    set_period(connection, first, last, grouping)
    return connection


def set_period(connection, first: dt.date, last: dt.date, grouping: str = "day") -> None:
    connection.execute(f"SET VARIABLE first_day = DATE '{first}'")
    connection.execute(f"SET VARIABLE last_day = DATE '{last}'")
    connection.execute(f"SET VARIABLE grouping = '{grouping}'")


def rows(connection, query: str) -> list[dict]:
    result = connection.execute(SQL[query] if query in SQL else query)
    names = [column[0] for column in result.description]
    return [dict(zip(names, values, strict=True)) for values in result.fetchall()]


def figures(row, names: tuple[str, ...] = FIGURES) -> dict[str, int]:
    """A query row's figures, or a report row's (its attributes of the same names), as
    plain ints."""
    if isinstance(row, dict):
        return {name: int(row[name]) for name in names}
    return {name: int(getattr(row, name)) for name in names}


def report(period: Period, **kwargs):
    with reading() as reads:
        return sales(reads, period, locale="en", **kwargs)


def files_under(folder: Path) -> dict[str, bytes]:
    return {str(path.relative_to(folder)): path.read_bytes()
            for path in sorted(folder.rglob("*")) if path.is_file()}


# ---- the acceptance test: a day's files read back to the sales report's totals -------------

@pytest.mark.parametrize("day", [MARCH_1, MARCH_2, MARCH_3],
                         ids=["a-sale", "a-sale-and-two-that-are-not", "a-refund-only"])
def test_a_days_export_reads_back_with_duckdb_to_the_sales_reports_totals(shop, analytics,
                                                                          day):
    export.export_day(day)

    read_back = rows(duck(analytics, day, day), "sales_by_time")
    total = report(Period(day, day)).total

    assert [row["period"] for row in read_back] == [day]
    assert figures(read_back[0]) == figures(total)


def test_the_files_hold_no_email_phone_name_or_address(shop, analytics):
    customer = make_customer(name="Kamala Wijesinghe", email="kamala@example.lk",
                             phone="+94771230001")
    mine = at(customer_order(customer, (shop.tea, 1)),
              dt.datetime(2026, 3, 2, 5, 0, tzinfo=UTC))
    for day in MARCH.each_day():
        export.export_day(day)

    personal = {customer.name, customer.email, customer.phone, "0771230001"}
    for order in db.session.scalars(select(Order)):
        personal |= {order.contact_name, order.contact_email, order.contact_phone,
                     order.ship_recipient, order.ship_phone, order.ship_line1,
                     order.ship_line2, order.ship_city, order.postal_code}
        # "Galle" as the city of a Galle address says no more than the district code kept.
        personal.discard(order.ship_city if order.ship_city and order.district and
                         order.ship_city.lower() == order.district else None)
    personal = {value.lower() for value in personal if value}
    assert {"sarah@example.lk", "5 church street", "kamala wijesinghe"} <= personal
    connection = duck(analytics)
    for dataset in DATASETS:
        columns = dataset.column_names
        assert not [c for c in columns if re.search(
            r"email|phone|contact|ship_|address|postal|recipient|city|reason|provider", c)]
        for row in connection.execute(f"SELECT * FROM {dataset.name}").fetchall():  # noqa: S608
            cells = " | ".join(str(cell).lower() for cell in row)
            assert not [value for value in personal if value in cells], dataset.name
    # Not even inside the files' bytes (what a careless `strings` would show).
    for name, data in files_under(analytics).items():
        assert not [value for value in personal if value.encode() in data.lower()], name
    # The customer is there by id alone.
    ids = connection.execute("SELECT user_id FROM orders WHERE number = ?",
                             [mine.number]).fetchall()
    assert ids == [(customer.id,)]


# ---- the queries of docs/ANALYTICS.md give the report's figures -----------------------------

def by_key(report_rows, key=lambda row: row.key) -> dict[str, dict[str, int]]:
    return {key(row): figures(row) for row in report_rows
            if row.orders or any(figures(row).values())}


@pytest.mark.parametrize("grouping", ["day", "week", "month"])
def test_sales_by_time_is_the_reports(shop, analytics, grouping):
    for day in MARCH.each_day():
        export.export_day(day)

    read_back = rows(duck(analytics, grouping=grouping), "sales_by_time")

    assert {row["period"].isoformat(): figures(row) for row in read_back} == by_key(
        report(MARCH, grouping=grouping).rows)


@pytest.mark.parametrize("dimension", ["district", "payment_method"])
def test_sales_by_district_and_payment_method_are_the_reports(shop, analytics, dimension):
    for day in MARCH.each_day():
        export.export_day(day)

    read_back = rows(duck(analytics), f"sales_by_{dimension}")

    assert {row[dimension]: figures(row) for row in read_back} == by_key(
        report(MARCH, dimension=dimension).rows)


@pytest.mark.parametrize("dimension, column", [("product", "product_id"),
                                               ("category", "category_id")])
def test_sales_by_product_and_category_are_the_reports_to_the_cent(shop, analytics, dimension,
                                                                   column):
    for day in MARCH.each_day():
        export.export_day(day)

    read_back = rows(duck(analytics), f"sales_by_{dimension}")

    def key(row):
        if row["refund_only"]:
            return REFUND_ONLY
        return "" if row[column] is None else str(row[column])

    assert {key(row): figures(row, LINE_FIGURES) for row in read_back} == {
        row.key: figures(row, LINE_FIGURES) for row in report(MARCH, dimension=dimension).rows}
    # The order discount of Rs 100 on A (tea Rs 2,250, soap Rs 252 after 10 %) is shared
    # 89.93 / 10.07 to the cent: the shares add up to the order.
    assert sum(int(row["discount_cents"]) for row in read_back) == 562_00


def test_the_promotions_query_shares_the_discounts_by_promotion(shop, analytics):
    for day in MARCH.each_day():
        export.export_day(day)

    read_back = rows(duck(analytics), "promotions")

    assert [(row["promotion"], row["kind"], row["orders"], int(row["amount_cents"]))
            for row in read_back] == [("Ten off everything", "line", 2, 362_00),
                                      ("Rs 100 off", "order", 2, 200_00)]
    # Line and order discounts are the report's discounts, no more (C and D are no sales).
    assert sum(int(row["amount_cents"]) for row in read_back) == report(
        MARCH).total.discount_cents


def test_new_and_returning_customers(shop, analytics):
    regular = make_customer()
    first = at(customer_order(regular, (shop.soap, 1)), dt.datetime(2026, 3, 1, 5, 0, tzinfo=UTC))
    at(customer_order(regular, (shop.soap, 2)), dt.datetime(2026, 3, 3, 5, 0, tzinfo=UTC))
    for day in MARCH.each_day():
        export.export_day(day)

    read_back = rows(duck(analytics), "customers")

    assert [(row["period"], row["customer"], row["orders"], row["customers"])
            for row in read_back] == [
        (MARCH_1, "guest", 1, 0), (MARCH_1, "new", 1, 1),
        (MARCH_2, "guest", 1, 0),
        (MARCH_3, "returning", 1, 1)]
    new = next(row for row in read_back if row["customer"] == "new")
    assert new["order_total_cents"] == first.total_cents


# ---- written whole: twice is once, a change replaces, an empty day is empty ------------------

def test_exporting_a_day_twice_writes_the_same_files(shop, analytics):
    export.export_day(MARCH_2)
    first = files_under(analytics)

    export.export_day(MARCH_2)

    assert files_under(analytics) == first  # byte for byte, and nothing added beside
    assert sorted(first) == sorted(f"{d.name}/day=2026-03-02/part-0.parquet" for d in DATASETS)


def test_writing_a_day_again_replaces_its_rows_not_adds_to_them(shop, analytics):
    export.export_day(MARCH_2)
    connection = duck(analytics, MARCH_2, MARCH_2)
    before = rows(connection, "SELECT number, is_sale FROM orders ORDER BY id")
    assert (shop.c.number, False) in [(row["number"], row["is_sale"]) for row in before]

    with transaction():  # C's transfer arrives after the day was written
        payment = payments.payment_for(shop.c.number, "bank_transfer", lock=True)
        payments.apply_outcome(payment, "captured", shop.c.total_cents, "slip-late")
    export.export_day(MARCH_2)

    after = rows(connection, "SELECT number, is_sale FROM orders ORDER BY id")
    assert len(after) == len(before) == 3
    assert (shop.c.number, True) in [(row["number"], row["is_sale"]) for row in after]
    assert figures(rows(connection, "sales_by_time")[0]) == figures(
        report(Period(MARCH_2, MARCH_2)).total)


def test_a_day_without_orders_gets_empty_files_that_read_as_no_rows(shop, analytics):
    quiet = dt.date(2026, 2, 1)

    written = export.export_day(quiet)

    assert written == {dataset.name: 0 for dataset in DATASETS}
    export.export_day(MARCH_2)
    connection = duck(analytics, quiet, quiet)
    for dataset in DATASETS:
        path = analytics / dataset.name / "day=2026-02-01" / "part-0.parquet"
        schema = connection.execute(
            f"SELECT name FROM parquet_schema('{path}') WHERE name <> 'schema'").fetchall()
        assert [name for (name,) in schema] == dataset.column_names  # the full schema
        # And it reads beside a day with rows, in one scan.
        assert connection.execute(  # noqa: S608 — our dataset names
            f"SELECT count(*) FILTER (WHERE day = DATE '2026-02-01') FROM {dataset.name}"
        ).fetchone() == (0,)
    assert rows(connection, "sales_by_time") == []


# ---- the nightly run: after midnight, yesterday and what changed since ---------------------

def test_the_job_runs_after_colombo_midnight_and_writes_yesterday(shop, analytics, monkeypatch):
    from jobs import reports as report_jobs, schedule

    job = next(job for job in schedule.SCHEDULE if job.func is report_jobs.export_analytics)
    assert (job.name, job.queue) == ("analytics-export", "low")
    run_at = croniter(job.cron, dt.datetime(2026, 3, 2, 12, 0, tzinfo=UTC)).get_next(
        dt.datetime)
    assert run_at.astimezone(COLOMBO).replace(tzinfo=None) == dt.datetime(2026, 3, 3, 0, 30)
    monkeypatch.setattr("app.reports.days.utcnow", lambda: run_at)

    written = report_jobs.export_analytics()

    # Yesterday (2 March in Colombo, though the run is on 2 March in UTC) and the three
    # days before it; never the day just begun.
    assert written == ["2026-02-27", "2026-02-28", "2026-03-01", "2026-03-02"]
    assert not list(analytics.glob("*/day=2026-03-03"))
    numbers = rows(duck(analytics), "SELECT number FROM orders WHERE day = DATE '2026-03-02'")
    assert {row["number"] for row in numbers} == {shop.a.number, shop.c.number, shop.d.number}


def test_a_late_payment_writes_its_order_day_again_the_next_night(shop, analytics):
    with transaction():  # everything settled when it happened, long ago
        db.session.execute(update(Order).values(updated_at=Order.placed_at))
        db.session.execute(update(Payment).values(
            updated_at=dt.datetime(2026, 3, 3, 12, 0, tzinfo=UTC)))
    with transaction():  # then C's transfer arrives, today
        payment = payments.payment_for(shop.c.number, "bank_transfer", lock=True)
        payments.apply_outcome(payment, "captured", shop.c.total_cents, "slip-late")

    written = export.nightly()

    assert MARCH_2 in written and MARCH_1 not in written
    sale = rows(duck(analytics, MARCH_2, MARCH_2),
                f"SELECT is_sale FROM orders WHERE number = '{shop.c.number}'")
    assert sale == [{"is_sale": True}]


def test_the_command_writes_a_range_and_refuses_nonsense(shop, app, analytics):
    runner = app.test_cli_runner()

    done = runner.invoke(args=["analytics", "export", "--from", "2026-03-01",
                               "--to", "2026-03-03"])

    assert done.exit_code == 0, done.output
    assert "3 day(s) written" in done.output
    assert sorted(path.name for path in (analytics / "orders").iterdir()) == [
        "day=2026-03-01", "day=2026-03-02", "day=2026-03-03"]
    for args in (["--day", "2026-03-01", "--from", "2026-03-01"], ["--to", "2026-03-01"],
                 ["--day", "1 March"], ["--from", "2026-03-03", "--to", "2026-03-01"]):
        assert runner.invoke(args=["analytics", "export", *args]).exit_code != 0, args


# ---- an S3 bucket, as the backups use -------------------------------------------------------

def test_the_export_goes_to_an_s3_bucket_under_the_backups_prefix(shop, app, monkeypatch):
    import boto3
    import pyarrow as pa
    import pyarrow.dataset as ds
    import pyarrow.fs as pafs

    from app.ops.backups.targets import target_for
    from tests.s3 import AWS_TEST_ENV, moto_s3

    # A bucket of its own: moto keeps every bucket of the process, other tests' backups too.
    name = f"kade-backups-{secrets.token_hex(4)}"
    with moto_s3(name) as endpoint:
        monkeypatch.setitem(app.config, "BACKUP_URL", f"s3://{name}/shop")
        monkeypatch.setitem(app.config, "AWS_ENDPOINT_URL", endpoint)
        bucket = boto3.client("s3", endpoint_url=endpoint)
        bucket.put_object(Bucket=name, Key="shop/20260302T0000Z.json", Body=b"{}")

        export.export_day(MARCH_2)
        export.export_day(MARCH_2)  # twice: still one object per dataset

        keys = {item["Key"] for item in bucket.list_objects_v2(
            Bucket=name, Prefix="shop/analytics/")["Contents"]}
        assert keys == {f"shop/analytics/{d.name}/day=2026-03-02/part-0.parquet"
                        for d in DATASETS}
        # The backups' listing stays flat: it sees its own file, not the export below it.
        assert target_for(app.config).names() == ["20260302T0000Z.json"]
        # Read back from the bucket as a partitioned dataset (as Spark would), then queried.
        s3 = pafs.S3FileSystem(endpoint_override=endpoint, scheme="http",
                               access_key=AWS_TEST_ENV["AWS_ACCESS_KEY_ID"],
                               secret_key=AWS_TEST_ENV["AWS_SECRET_ACCESS_KEY"],
                               region=AWS_TEST_ENV["AWS_DEFAULT_REGION"])
        by_day = ds.partitioning(pa.schema([("day", pa.date32())]), flavor="hive")
        connection = duckdb.connect()
        for dataset in ("orders", "order_lines", "refunds"):
            connection.register(dataset, ds.dataset(f"{name}/shop/analytics/{dataset}",
                                                    filesystem=s3, format="parquet",
                                                    partitioning=by_day).to_table())
        set_period(connection, MARCH_2, MARCH_2)
        read_back = rows(connection, "sales_by_time")

    assert figures(read_back[0]) == figures(report(Period(MARCH_2, MARCH_2)).total)


# ---- the docs describe the files as they are -----------------------------------------------

def test_the_docs_list_every_column_of_every_dataset_in_order():
    text = DOCS.read_text()
    for dataset in DATASETS:
        section = text.split(f"**{dataset.name}**", 1)[1].split("\n\n", 2)[1]
        documented = re.findall(r"^\| (\w+) \|", section, re.M)
        assert documented[1:] == dataset.column_names, dataset.name  # after the heading row
