"""Every CSV export (catalog, orders, stock, a promotion's codes) goes through the one
streaming writer (app.csv_export): a download of UTF-8 chunks, a byte-order mark first, the
columns it always had, no cell a formula, and a body streamed, never built in memory."""

from __future__ import annotations

import csv
import io
import itertools
import re

import pytest
from flask import request_finished

from app import csv_export
from app.backoffice import inventory as stock_view, orders as order_view
from app.catalog import csv_io
from app.promotions import admin as promotions
from tests.checkout.factories import place_guest_order, stocked
from tests.factories import make_staff


@pytest.fixture()
def staff_client(client, db_session, sign_in_staff):
    return sign_in_staff(make_staff("admin"))


@pytest.fixture()
def answered(app):
    """The responses the app gave, as the views made them (before the test client reads
    their bodies)."""
    responses = []

    def keep(sender, response, **extra):
        responses.append(response)

    request_finished.connect(keep, app)
    yield responses
    request_finished.disconnect(keep, app)


@pytest.fixture()
def shop(db_session):
    """One product in stock, one order of it, one promotion with a code."""
    tea = stocked("=Ceylon tea", units=10, sku="TEA-1")
    order = place_guest_order((tea, 2))
    promotion = promotions.create_promotion(make_staff("marketing"), {
        "name_en": "Avurudu sale", "benefit": "order_percent", "percent": 10})
    promotions.add_code(None, promotion.id, "AVURUDU", max_uses=3)
    return {"order": order, "promotion": promotion}


EXPORTS = {
    "catalog": ("/staff/catalog/export.csv", "kade-catalog", csv_io.COLUMNS),
    "orders": ("/staff/orders.csv", "kade-orders", order_view.CSV_COLUMNS),
    "stock": ("/staff/inventory.csv", "kade-stock", stock_view.CSV_COLUMNS),
    "codes": ("/staff/promotions/{promotion}/codes.csv", "kade-promotion-{promotion}-codes",
              promotions.CSV_COLUMNS),
}


@pytest.mark.parametrize("export", EXPORTS)
def test_each_export_streams_its_columns_with_a_bom(staff_client, shop, answered, export):
    path, name, columns = EXPORTS[export]
    path, name = (s.format(promotion=shop["promotion"].id) for s in (path, name))

    # Buffered: the test client reads the chunks inside the request's own context.
    response = staff_client.get(path, buffered=True)
    chunks = list(response.response)

    assert response.status_code == 200
    assert answered[-1].is_streamed  # a generator of chunks, not a body built first
    assert response.content_type == "text/csv; charset=utf-8"
    assert re.fullmatch(rf'attachment; filename="{name}-\d{{8}}-\d{{4}}\.csv"',
                        response.headers["Content-Disposition"])
    assert all(isinstance(chunk, bytes) for chunk in chunks) and len(chunks) >= 2
    body = b"".join(chunks)
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0] == list(columns)
    assert len(rows) >= 2 and all(len(row) == len(columns) for row in rows)


@pytest.mark.parametrize("export, column, value", [
    ("catalog", "name_en", "'=Ceylon tea"),
    ("stock", "product", "'=Ceylon tea"),
])
def test_a_name_that_looks_like_a_formula_is_defused(staff_client, shop, export, column,
                                                     value):
    path, _name, columns = EXPORTS[export]

    body = staff_client.get(path, buffered=True).data.decode("utf-8-sig")

    [row] = list(csv.DictReader(io.StringIO(body)))
    assert row[column] == value


def test_a_large_stock_export_comes_a_batch_at_a_time(staff_client, db_session, answered,
                                                      monkeypatch):
    monkeypatch.setattr(stock_view, "CSV_BATCH", 2)
    for n in range(5):
        stocked(f"Tea {n}", units=1, sku=f"TEA-{n}")

    chunks = list(staff_client.get("/staff/inventory.csv", buffered=True).response)

    assert answered[-1].is_streamed
    data_rows = [chunk.decode("utf-8-sig").count("\r\n") for chunk in chunks]
    assert data_rows == [1, 2, 2, 1]  # the header, then two rows a chunk


# ---- the writer itself -------------------------------------------------------------------------

def test_the_writer_reads_rows_lazily_and_keeps_chunks_small():
    taken = []

    def endless():
        for n in itertools.count():
            taken.append(n)
            yield (n, "කොළ තේ", "தேநீர்", None, True)

    chunks = csv_export.stream(("n", "si", "ta", "empty", "flag"), endless(),
                               rows_per_chunk=100)
    first = [next(chunks) for _ in range(3)]

    assert first[0] == "\ufeffn,si,ta,empty,flag\r\n".encode()
    assert first[1].decode().splitlines()[0] == "0,කොළ තේ,தேநீர்,,yes"
    assert len(taken) == 200  # read no further than the chunks asked for
    assert max(len(chunk) for chunk in first) < 100 * 64


@pytest.mark.parametrize("value, cell", [
    ("=SUM(A1)", "'=SUM(A1)"), ("+94771234567", "'+94771234567"), ("-CMD", "'-CMD"),
    ("@here", "'@here"), ("\tx", "'\tx"), (-5, "-5"), (0, "0"), (None, ""),
    (False, "no"), ("Ceylon tea", "Ceylon tea"), ("කොළ තේ", "කොළ තේ"),
])
def test_cells_that_a_spreadsheet_would_run_get_a_quote(value, cell):
    assert csv_export.cell(value) == cell


def test_an_export_with_no_rows_is_the_header_alone():
    assert list(csv_export.stream(("a", "b"), iter(()))) == ["\ufeffa,b\r\n".encode()]
