"""The import and export pages: upload, a progress bar polled with htmx, row errors, the CSV
download."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import func, select

from app.catalog import imports
from app.catalog.models import CatalogImport, Product
from app.queue import wait_for_local_jobs
from tests.catalog.factories import make_product
from tests.catalog.test_imports import catalog_csv
from tests.factories import make_staff


@pytest.fixture()
def manager_client(db_session, sign_in_staff):
    return sign_in_staff(make_staff("catalog_manager"))


def _upload(client, data: bytes, name: str = "catalog.csv"):
    return client.post("/staff/catalog/import", data={"file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def test_an_upload_runs_in_the_background_and_the_page_shows_the_result(
        manager_client, db_session, app):
    response = _upload(manager_client, catalog_csv(40))
    wait_for_local_jobs(app)
    page = manager_client.get(response.location)

    record = db_session.scalar(select(CatalogImport))
    assert response.status_code == 303
    assert response.location == f"/staff/catalog/imports/{record.id}"
    assert "40 rows imported" in page.text
    assert '<progress id="import-bar" value="1" max="1">' in page.text
    assert 'hx-trigger="every 1s"' not in page.text  # finished: no more polling
    assert db_session.scalar(select(func.count()).select_from(Product)) == 10


def test_a_queued_import_shows_a_progress_bar_that_polls(manager_client, db_session,
                                                         monkeypatch):
    monkeypatch.setattr(imports, "enqueue", lambda *args: None)  # the job has not started
    response = _upload(manager_client, catalog_csv(8))

    page = manager_client.get(response.location)
    fragment = manager_client.get(response.location, headers={"HX-Request": "true"})

    assert "<progress" in page.text and "Waiting to start" in page.text
    assert f'hx-get="{response.location}"' in page.text
    assert 'hx-trigger="every 1s"' in page.text
    assert fragment.text.lstrip().startswith('<section id="import-progress"')
    assert "<html" not in fragment.text


def test_progress_while_checking_shows_rows_done(manager_client, db_session, monkeypatch):
    monkeypatch.setattr(imports, "enqueue", lambda *args: None)
    response = _upload(manager_client, catalog_csv(8))
    record = db_session.scalar(select(CatalogImport))
    record.status, record.total_rows, record.done_rows = "running", 1000, 400
    db_session.commit()

    fragment = manager_client.get(response.location, headers={"HX-Request": "true"})

    assert "Checking rows: 400 of 1000" in fragment.text
    assert '<progress id="import-bar" value="400" max="1000">' in fragment.text


def test_a_file_with_a_bad_row_shows_the_row_and_imports_nothing(manager_client, db_session,
                                                                 app):
    def change(i, row):
        if i == 6:
            row["price"] = "<b>free</b>"

    response = _upload(manager_client, catalog_csv(12, change=change))
    wait_for_local_jobs(app)
    page = manager_client.get(response.location)

    assert "Nothing was imported" in page.text
    assert "1 problem. Fix it in the file and upload it again." in page.text
    assert '<td data-label="Row" class="num">8</td>' in page.text
    assert "price: Enter an amount in rupees, like 1,250.00." in page.text
    assert db_session.scalar(select(func.count()).select_from(Product)) == 0


@pytest.mark.parametrize(("data", "name", "message"), [
    (b"", "empty.csv", "Choose a CSV file."),
    (b"sku;price\n1;2\n", "semi.csv", "Unknown columns: sku;price."),
    (b"product_slug,name_en,sku\n", "short.csv", "Missing columns: price."),
    ("product_slug,name_en,sku,price\nx,Caf\xe9,X-1,1\n".encode("cp1252"), "excel.csv",
     "The file is not UTF-8 text (row 2 has characters that cannot be read)."),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, "picture.csv", "The file is not UTF-8 text"),
])
def test_unusable_files_are_refused_on_the_form(manager_client, db_session, data, name,
                                                message):
    response = _upload(manager_client, data, name) if data else manager_client.post(
        "/staff/catalog/import", data={}, content_type="multipart/form-data")

    assert response.status_code == 422
    assert message in response.text
    assert 'id="file-error"' in response.text
    assert db_session.scalar(select(func.count()).select_from(CatalogImport)) == 0


def test_a_file_name_with_markup_is_escaped(manager_client, db_session, app):
    response = _upload(manager_client, catalog_csv(4), name="<img src=x onerror=alert(1)>.csv")
    wait_for_local_jobs(app)

    page = manager_client.get(response.location)
    listing = manager_client.get("/staff/catalog/import")

    for html in (page.text, listing.text):
        assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;.csv" in html


def test_control_characters_in_a_file_name_are_dropped(manager_client, db_session,
                                                      monkeypatch):
    monkeypatch.setattr(imports, "enqueue", lambda *args: None)

    response = _upload(manager_client, catalog_csv(4), name="price\x00list.csv")

    assert response.status_code == 303
    assert db_session.scalar(select(CatalogImport.filename)) == "pricelist.csv"


def test_the_export_is_a_utf8_csv_with_a_bom(manager_client, db_session):
    make_product("Green tea", name_si="කොළ තේ", sku="GT-1", price_cents=1250_00)

    # Buffered: the streamed body is read inside the request's own context.
    response = manager_client.get("/staff/catalog/export.csv", buffered=True)

    assert response.status_code == 200
    assert response.content_type == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith(
        'attachment; filename="kade-catalog-')
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert [(r["product_slug"], r["name_si"], r["sku"], r["price"]) for r in rows] == [
        ("green-tea", "කොළ තේ", "GT-1", "1250.00")]
