"""The analytics export (issue 21): each Colombo day's orders, their lines and discounts,
payments, refunds and what they returned, as Parquet files that DuckDB on a laptop and Spark
on a cluster read as they are. docs/ANALYTICS.md shows the files, their columns and the
queries for the sales figures.

They go where the backups go, in the same kind of store (BACKUP_URL: a folder or an S3
bucket), under `analytics/`, one dataset per table, partitioned by day the way Hive and
Spark lay tables out:

    <BACKUP_URL>/analytics/<dataset>/day=YYYY-MM-DD/part-0.parquet

A day is a Colombo day (app/reports/days.py): an order's day is the day it was placed (its
lines and discounts go with it), a payment's and a refund's the day they were made (a
refund counts on its own day, as in the sales report). `day` is not stored inside the files:
readers take it from the folder name as a DATE column (`hive_partitioning`). A copy inside
the file with the same name is what Spark handles worst (a data column that is also a
partition column), and it would say nothing the path does not.

No personal data leaves: customers are their ids, never a name, e-mail, phone, address,
postal code or anything sealed (the queries below never select those columns, so nothing is
even decrypted); free text staff or customers typed (a refund's reason) and staff ids stay
behind too, and so do voucher codes (a code may still be usable).

Writing a day replaces its files whole (one file per dataset and day, always the same name),
so an export run twice, or again after a change, leaves the same files as one run: never an
append. A day without orders gets files too, with no rows: a reader tells "nothing sold" from
"not exported", and a re-export of a day that lost its rows overwrites the old ones instead
of leaving them behind.

Money is integer cents (int64), times UTC timestamps (microseconds), as in the database.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import Select, select, text
from sqlalchemy.orm import Session

from app import s3
from app.catalog.models import Category, Product
from app.orders.models import Order, OrderAdjustment, OrderLine
from app.payments.models import Payment, Refund, RefundLine
from app.reports import days
from app.reports.database import reading
from app.reports.days import Period, local_day, start_of
from app.reports.sales import in_period, is_sale

log = logging.getLogger(__name__)

ROOT = "analytics"  # the folder (or key prefix) under BACKUP_URL
PART = "part-0.parquet"
PARQUET_TYPE = "application/vnd.apache.parquet"
# A job has minutes; the reports' pool cuts a page's statements off after seconds.
EXPORT_TIMEOUT_MS = 10 * 60 * 1000
# The nightly run also exports the days before yesterday this far back, so a night the
# worker missed (Redis down, a deploy) is made good the next night.
CATCH_UP_DAYS = 3

# Column kinds and the Parquet (Arrow) type each is written as. Spark reads int64 as
# LongType, timestamps in UTC with microseconds as TimestampType, bool as BooleanType.
INT, TEXT, FLAG, TIME = "int64", "string", "bool", "timestamp"


class ExportError(Exception):
    """The export could not be written (BACKUP_URL unusable, the store refused)."""


@dataclass(frozen=True)
class Dataset:
    """One table of the export: its columns (name, kind, SQL expression) in file order, and
    how the day's rows are found (joins, the day's bounds, a stable order)."""

    name: str
    columns: tuple[tuple[str, str, object], ...]
    rows_of: Callable[[Select, Period], Select]

    def query(self, period: Period) -> Select:
        return self.rows_of(select(*(expr.label(name) for name, _kind, expr in self.columns)),
                            period)

    @property
    def column_names(self) -> list[str]:
        return [name for name, _kind, _expr in self.columns]


DATASETS: tuple[Dataset, ...] = (
    Dataset("orders", (
        ("id", INT, Order.id),
        ("number", TEXT, Order.number),
        ("user_id", INT, Order.user_id),  # the customer's id; empty for a guest
        ("status", TEXT, Order.status),
        ("payment_method", TEXT, Order.payment_method),
        ("payment_status", TEXT, Order.payment_status),
        ("channel", TEXT, Order.channel),
        ("district", TEXT, Order.district),  # a district's code: 25 of them, no one's address
        ("delivery_code", TEXT, Order.delivery_code),
        ("subtotal_cents", INT, Order.subtotal_cents),
        ("discount_cents", INT, Order.discount_cents),
        ("delivery_fee_cents", INT, Order.delivery_fee_cents),
        ("total_cents", INT, Order.total_cents),
        ("credit_cents", INT, Order.credit_cents),
        ("points_cents", INT, Order.points_cents),
        ("placed_at", TIME, Order.placed_at),
        ("updated_at", TIME, Order.updated_at),
        # The sales report's own rule, evaluated when the day was (last) exported.
        ("is_sale", FLAG, is_sale()),
    ), lambda query, period: query.where(in_period(Order.placed_at, period))
        .order_by(Order.id)),
    Dataset("order_lines", (
        ("id", INT, OrderLine.id),
        ("order_id", INT, OrderLine.order_id),
        ("product_id", INT, OrderLine.product_id),
        ("variant_id", INT, OrderLine.variant_id),
        ("kind", TEXT, OrderLine.kind),
        ("sku", TEXT, OrderLine.sku),
        ("name_en", TEXT, OrderLine.name_en),
        ("quantity", INT, OrderLine.quantity),
        ("unit_cents", INT, OrderLine.unit_cents),
        ("discount_cents", INT, OrderLine.discount_cents),
        ("total_cents", INT, OrderLine.total_cents),
        # The product's category today, as the sales report groups it (a line keeps no
        # category of its own); empty for a product since deleted or never filed.
        ("category_id", INT, Category.id),
        ("category_name_en", TEXT, Category.name_en),
    ), lambda query, period: query
        .join(Order, Order.id == OrderLine.order_id)
        .outerjoin(Product, Product.id == OrderLine.product_id)
        .outerjoin(Category, Category.id == Product.category_id)
        .where(in_period(Order.placed_at, period)).order_by(OrderLine.id)),
    # Each discount as it was applied (which promotion, line or order, how much): what the
    # promotions query reads. Cashback is here too (kind "cashback"): a reward paid into
    # store credit later, not money off the price.
    Dataset("order_adjustments", (
        ("id", INT, OrderAdjustment.id),
        ("order_id", INT, OrderAdjustment.order_id),
        ("line_id", INT, OrderAdjustment.line_id),
        ("kind", TEXT, OrderAdjustment.kind),
        ("promotion_id", INT, OrderAdjustment.promotion_id),
        ("rule", TEXT, OrderAdjustment.rule),
        ("label_en", TEXT, OrderAdjustment.label_en),
        # Whether a code was typed, not the code: one may still be usable.
        ("is_voucher", FLAG, OrderAdjustment.voucher.is_not(None)),
        ("amount_cents", INT, OrderAdjustment.amount_cents),
    ), lambda query, period: query
        .join(Order, Order.id == OrderAdjustment.order_id)
        .where(in_period(Order.placed_at, period)).order_by(OrderAdjustment.id)),
    Dataset("payments", (
        ("id", INT, Payment.id),
        ("order_number", TEXT, Payment.order_number),
        ("method", TEXT, Payment.method),
        ("status", TEXT, Payment.status),
        ("amount_cents", INT, Payment.amount_cents),
        ("captured_cents", INT, Payment.captured_cents),
        ("refunded_cents", INT, Payment.refunded_cents),
        ("created_at", TIME, Payment.created_at),
        ("updated_at", TIME, Payment.updated_at),
    ), lambda query, period: query.where(in_period(Payment.created_at, period))
        .order_by(Payment.id)),
    Dataset("refunds", (
        ("id", INT, Refund.id),
        ("payment_id", INT, Refund.payment_id),
        ("order_number", TEXT, Refund.order_number),
        ("method", TEXT, Payment.method),  # the payment the money went back on
        ("mode", TEXT, Refund.mode),
        ("state", TEXT, Refund.state),
        ("restock", FLAG, Refund.restock),
        ("amount_cents", INT, Refund.amount_cents),
        ("created_at", TIME, Refund.created_at),
        ("settled_at", TIME, Refund.settled_at),
    ), lambda query, period: query
        .join(Payment, Payment.id == Refund.payment_id)
        .where(in_period(Refund.created_at, period)).order_by(Refund.id)),
    # Which lines a refund was for: the sales report shares a refund over them by product
    # and category, and so do the queries.
    Dataset("refund_lines", (
        ("id", INT, RefundLine.id),
        ("refund_id", INT, RefundLine.refund_id),
        ("order_line_id", INT, RefundLine.order_line_id),
        ("units", INT, RefundLine.units),
        ("restocked_units", INT, RefundLine.restocked_units),
    ), lambda query, period: query
        .join(Refund, Refund.id == RefundLine.refund_id)
        .where(in_period(Refund.created_at, period)).order_by(RefundLine.id)),
)


# ---- where the files go ------------------------------------------------------------------------

class FolderStore:
    def __init__(self, root: Path):
        self.root = root

    def describe(self) -> str:
        return f"file://{self.root}"

    def put(self, key: str, data: bytes) -> None:
        path = self.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written aside, then renamed over the old file: a reader sees the old file or the
        # new one, never half of one. The name starts with a dot and does not end in
        # .parquet, so neither Spark (it skips hidden files) nor a *.parquet glob reads it.
        partial = path.with_name(f".{path.name}.partial")
        partial.write_bytes(data)
        partial.replace(path)


class BucketStore:
    def __init__(self, bucket: str, prefix: str, endpoint_url: str | None = None):
        self.bucket = bucket
        self.prefix = prefix
        self.client = s3.client(endpoint_url)  # the process's, shared with the backups

    def describe(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    def put(self, key: str, data: bytes) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        # One PUT: the object appears whole, replacing the old one.
        try:
            self.client.put_object(Bucket=self.bucket, Key=f"{self.prefix}/{key}", Body=data,
                                   ContentType=PARQUET_TYPE)
        except (BotoCoreError, ClientError) as exc:
            raise ExportError(f"{self.describe()} refused {key}: {exc}") from exc


def store_for(config) -> FolderStore | BucketStore:
    """The `analytics/` folder or prefix of BACKUP_URL (`file:///path`, `s3://bucket/prefix`;
    AWS_ENDPOINT_URL for an S3-compatible store other than AWS)."""
    url = config.get("BACKUP_URL") or ""
    if url.startswith("s3://"):
        parts = urlsplit(url)
        prefix = "/".join(part for part in (parts.path.strip("/"), ROOT) if part)
        return BucketStore(parts.netloc, prefix, config.get("AWS_ENDPOINT_URL"))
    if url.startswith("file://"):
        return FolderStore(Path(url.removeprefix("file://")) / ROOT)
    raise ExportError(f"BACKUP_URL must start with file:// or s3:// (it is {url!r})")


def key_of(dataset: str, day: dt.date) -> str:
    return f"{dataset}/day={day.isoformat()}/{PART}"


# ---- the export -------------------------------------------------------------------------------

def export_day(day: dt.date, *, store: FolderStore | BucketStore | None = None
               ) -> dict[str, int]:
    """Write every dataset's file for the Colombo `day`, replacing what was there. Returns
    the rows written per dataset. Raises ExportError when the store refuses."""
    store = store or store_for(current_app.config)
    period = Period(day, day)
    # Everything is read first, then written: no database transaction stays open while
    # files travel to a bucket.
    with reading(timeout_ms=EXPORT_TIMEOUT_MS) as reads:
        _one_snapshot(reads)
        tables = {dataset.name: _table(dataset, reads.execute(dataset.query(period)).all())
                  for dataset in DATASETS}
    for name, table in tables.items():
        store.put(key_of(name, day), _parquet(table))
    rows = {name: table.num_rows for name, table in tables.items()}
    log.info("analytics_exported", extra={"day": day.isoformat(), "rows": rows,
                                          "store": store.describe()})
    return rows


def export_days(first: dt.date, last: dt.date) -> dict[dt.date, dict[str, int]]:
    """Export each day from `first` to `last` (a backfill, or a range to write again)."""
    store = store_for(current_app.config)
    return {day: export_day(day, store=store) for day in Period(first, last).each_day()}


def nightly(today: dt.date | None = None) -> list[dt.date]:
    """The nightly run, just after Colombo's midnight: yesterday, the CATCH_UP_DAYS before
    it, and every earlier day holding an order, payment or refund that changed since then.
    Returns the days written, oldest first.

    An order placed yesterday may still change the day's figures: a bank transfer paid, or
    left unpaid and cancelled, days later (a plan's renewal, weeks later). Its day is written
    again the night after, from what the database says then, so the files keep agreeing
    with the sales report."""
    today = today or days.today()
    yesterday = today - dt.timedelta(days=1)
    first = yesterday - dt.timedelta(days=CATCH_UP_DAYS)
    with reading(timeout_ms=EXPORT_TIMEOUT_MS) as reads:
        changed = _days_changed_since(reads, start_of(first))
    chosen = sorted({*Period(first, yesterday).each_day(),
                     *(day for day in changed if day < first)})
    store = store_for(current_app.config)
    for day in chosen:
        export_day(day, store=store)
    return chosen


def _days_changed_since(reads: Session, since: dt.datetime) -> set[dt.date]:
    """The days whose files a change since `since` made stale: the placing days of orders
    changed (status, payment status; through their own row or their payment's), the days of
    payments changed, and of refunds settled."""
    found: set[str] = set()
    placed = local_day(Order.placed_at)
    found.update(reads.scalars(select(placed).where(Order.updated_at >= since).distinct()))
    found.update(reads.scalars(
        select(placed).join(Payment, Payment.order_number == Order.number)
        .where(Payment.updated_at >= since).distinct()))
    found.update(reads.scalars(select(local_day(Payment.created_at))
                               .where(Payment.updated_at >= since).distinct()))
    found.update(reads.scalars(select(local_day(Refund.created_at))
                               .where(Refund.settled_at >= since).distinct()))
    return {dt.date.fromisoformat(day) for day in found if day}


def _one_snapshot(reads: Session) -> None:
    """PostgreSQL: the day's datasets from one snapshot of the database, so an order and its
    lines, or a refund and its lines, never come from two moments. Allowed after reading()'s
    SET LOCAL (a setting, not a query) and on a replica. SQLite has one writer and no
    server to ask."""
    if reads.get_bind().dialect.name == "postgresql":
        reads.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))


def arrow_schema(dataset: Dataset):
    import pyarrow as pa

    types = {INT: pa.int64(), TEXT: pa.string(), FLAG: pa.bool_(),
             TIME: pa.timestamp("us", tz="UTC")}
    return pa.schema([(name, types[kind]) for name, kind, _expr in dataset.columns])


def _table(dataset: Dataset, rows: Iterable[tuple]):
    import pyarrow as pa

    rows = list(rows)
    schema = arrow_schema(dataset)
    arrays = []
    for index, (_name, kind, _expr) in enumerate(dataset.columns):
        values = [row[index] for row in rows]
        if kind == FLAG:  # SQLite answers 0 and 1
            values = [None if value is None else bool(value) for value in values]
        arrays.append(pa.array(values, type=schema.field(index).type))
    return pa.Table.from_arrays(arrays, schema=schema)


def _parquet(table) -> bytes:
    """The table as a Parquet file. Snappy: what Spark reads without a codec to add, and
    the bytes depend on the rows alone (no time of writing inside), so a day written twice
    gives the same file."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="snappy")
    return sink.getvalue().to_pybytes()
