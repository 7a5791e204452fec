"""A report as a table: its columns (each with a kind that says how to show it), its rows, an
optional total row and chart. The reports other than sales (promotions, customers, stock,
VAT, the funnel) return one, and one template and one CSV writer serve them all."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from app import csv_export
from app.csv_export import rupees

KINDS = ("text", "count", "money", "percent", "ratio", "days")


@dataclass(frozen=True)
class Column:
    key: str
    label: object  # a lazy string: the reader's language
    kind: str = "text"

    @property
    def numeric(self) -> bool:
        return self.kind != "text"


@dataclass
class Table:
    columns: list[Column]
    rows: list[dict]
    total: dict | None = None
    # (label, value) pairs for a bar chart of `chart_column`, when a picture helps.
    chart: list[tuple[str, int]] = field(default_factory=list)
    chart_kind: str = "money"  # how the chart's figures read: money or count
    chart_caption: object = ""
    notes: list[object] = field(default_factory=list)  # said under the table
    # Headline figures shown above the table: (label, value, kind).
    summary: list[tuple[object, object, str]] = field(default_factory=list)


def percent(part: int, whole: int) -> Decimal | None:
    """part / whole as a percentage with one decimal (None when whole is 0)."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"))


def ratio(part: int, whole: int) -> Decimal | None:
    """part / whole with two decimals (None when whole is 0): orders per customer, say."""
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.01"))


def _csv_value(column: Column, value):
    if value is None:
        return None
    if column.kind == "money":
        return rupees(value)
    return value


def csv_chunks(table: Table) -> Iterator[bytes]:
    """The table as CSV: a header of column keys, the rows, then the total (money in rupees
    as numbers, formula-safe text, a byte-order mark for spreadsheets)."""
    rows = [*table.rows, *([table.total] if table.total else [])]
    return csv_export.stream(
        [column.key for column in table.columns],
        ([_csv_value(column, row.get(column.key)) for column in table.columns]
         for row in rows))
