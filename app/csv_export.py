"""One streaming CSV writer for every export (the catalog, orders, stock, a promotion's
codes): rows in, UTF-8 bytes out a chunk at a time, so memory stays flat for any size.

The first chunk starts with a byte-order mark: Excel then reads the file as UTF-8 and shows
Sinhala and Tamil, not mojibake. No cell is a formula to a spreadsheet (CSV injection): text
starting = + - @ (or a tab or carriage return) gets a leading ', which the catalog import
takes off again.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from decimal import Decimal

BOM = "\ufeff"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
ROWS_PER_CHUNK = 200


def cell(value) -> str:
    """A value as an exported CSV cell. Text that a spreadsheet would run as a formula gets a
    leading quote; numbers (int, Decimal) are numbers, a negative one too; None is empty; a
    flag yes or no."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | Decimal):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def stream(columns: Iterable[str], rows: Iterable[Iterable],
           *, rows_per_chunk: int = ROWS_PER_CHUNK) -> Iterator[bytes]:
    """The header row, then `rows` (each an iterable of values, made into cells here), as
    UTF-8 chunks of `rows_per_chunk` rows. `rows` is read lazily, one chunk ahead at most:
    give it a generator that loads its data in batches."""
    out = io.StringIO()
    writer = csv.writer(out)

    def take() -> bytes:
        text = out.getvalue()
        out.seek(0)
        out.truncate()
        return text.encode("utf-8")

    writer.writerow(list(columns))
    yield BOM.encode("utf-8") + take()
    for n, row in enumerate(rows, start=1):
        writer.writerow([cell(value) for value in row])
        if n % rows_per_chunk == 0:
            yield take()
    if out.tell():
        yield take()


def rupees(cents: int | None) -> Decimal | None:
    """Integer cents as a number of rupees for a CSV cell: -150 → -1.50 (a number, so a
    refund's minus sign is not taken for the start of a formula)."""
    if cents is None:
        return None
    return Decimal(cents).scaleb(-2)
