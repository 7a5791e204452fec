"""CSV import and export: how a file is read, and the import job (all rows or none, progress
others can see, safe to run twice)."""

from __future__ import annotations

import csv
import io
import time

import pytest
from sqlalchemy import func, select, text

from app.audit.models import AuditEntry
from app.catalog import csv_io, editing, imports, inputs
from app.catalog.models import CatalogImport, Product, Variant
from app.errors import Forbidden
from jobs import catalog as catalog_jobs
from tests.catalog.factories import make_category, make_product
from tests.factories import make_staff

HEADER = ["product_slug", "kind", "status", "category_slug", "name_en", "name_si", "name_ta",
          "description_en", "brand", "attributes", "sku", "price", "compare_at",
          "weight_grams", "barcode", "options"]
SIZES = ["S", "M", "L", "XL"]


def catalog_csv(rows: int = 1000, *, prefix: str = "imp", category: str = "",
                change=None) -> bytes:
    """`rows` variant rows, four sizes per product; `change(i, row)` edits row i (0-based)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    for i in range(rows):
        n = i // 4
        row = {"product_slug": f"{prefix}-shirt-{n:04d}", "kind": "product",
               "status": "published", "category_slug": category,
               "name_en": f"Cotton shirt {n}", "name_si": f"කපු කමිසය {n}",
               "name_ta": f"பருத்தி சட்டை {n}", "description_en": "Soft, cool, made in Sri Lanka.",
               "brand": "Kade", "attributes": "material=cotton;colour=white",
               "sku": f"{prefix.upper()}-{n:04d}-{SIZES[i % 4]}",
               "price": f"{1000 + (i % 4) * 250:,}.00", "compare_at": "",
               "weight_grams": "250", "barcode": "", "options": f"size={SIZES[i % 4]}"}
        if change:
            change(i, row)
        writer.writerow([row[c] for c in HEADER])
    return out.getvalue().encode("utf-8")


def rows_of(lines: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(lines)
    return out.getvalue().encode("utf-8")


MINIMAL = ["product_slug", "name_en", "sku", "price"]


def problems(data: bytes) -> list[tuple[int | None, str]]:
    return [(e.row, e.message) for e in csv_io.read(data).errors]


# ---- reading a file ----------------------------------------------------------------------------

@pytest.mark.parametrize(("data", "message"), [
    (b"", "The file is empty."),
    (b"\xef\xbb\xbf\r\n", "The file is empty."),
    ("product_slug,name_en,sku,price\ntea,T\xe9a,T-1,10\n".encode("latin-1"),
     "The file is not UTF-8 text (row 2 has characters that cannot be read)."),
    (b"product_slug,name_en,sku,prce\n", "Unknown columns: prce."),
    (b"product_slug,name_en,sku\n", "Missing columns: price."),
    (b"product_slug,name_en,sku,price,sku\n", "Columns given twice: sku."),
    (b"slug;name;sku;price\n", "Unknown columns: slug;name;sku;price."),  # semicolons
])
def test_unusable_files_are_refused_whole(data, message):
    with pytest.raises(csv_io.CsvProblem) as caught:
        csv_io.read(data)

    assert str(caught.value.message).startswith(message)


def test_a_good_file_reads_into_products_and_variants():
    parsed = csv_io.read("\ufeff".encode() + catalog_csv(8))

    assert parsed.errors == [] and parsed.total == 8
    assert list(parsed.groups) == ["imp-shirt-0000", "imp-shirt-0001"]
    first = parsed.groups["imp-shirt-0000"]
    assert first.values["name_si"] == "කපු කමිසය 0" and first.first_row == 2
    assert first.attributes == [("material", "cotton"), ("colour", "white")]
    assert [(r.row, r.sku, r.values["price_cents"], r.values["options"])
            for r in parsed.rows[:2]] == [(2, "IMP-0000-S", 1000_00, {"size": "S"}),
                                         (3, "IMP-0000-M", 1250_00, {"size": "M"})]


@pytest.mark.parametrize(("cells", "message"), [
    ({"price": "abc"}, "price: Enter an amount in rupees, like 1,250.00."),
    ({"price": "-10"}, "price: A price cannot be negative."),
    ({"price": ""}, "price: This field is required."),
    ({"compare_at": "500"}, "compare_at: The compare-at price is the old price"),
    ({"weight_grams": "heavy"}, "weight_grams: Enter a weight from 0 to 1000000 grams."),
    ({"kind": "gadget"}, "kind: Use one of: product, service."),
    ({"status": "live"}, "status: Use one of: draft, published, archived."),
    ({"name_en": ""}, "name_en: This field is required."),
    ({"name_en": "x" * 10_000}, "name_en: Use at most 200 characters."),
    ({"description_en": "x" * 10_000}, "description_en: Use at most 5000 characters."),
    ({"sku": "bad sku"}, "sku: Letters, digits and . _ / - only"),
    ({"product_slug": "Not A Slug"}, "product_slug: Lower-case letters, digits and hyphens"),
    ({"options": "size"}, "options: Write each pair as name=value, like colour=red."),
    ({"attributes": "colour=red;oops"}, "attributes: Write each pair as name=value"),
    ({"name_si": "නම\x00"}, "name_si: Remove the invisible control characters."),
])
def test_a_bad_cell_is_reported_with_its_row_and_column(cells, message):
    def change(i, row):
        row["product_slug"] = f"one-row-product-{i}"
        if i == 2:
            row.update(cells)

    found = problems(catalog_csv(4, change=change))

    assert len(found) == 1
    assert found[0][0] == 4  # the header is row 1, the third data row is row 4
    assert found[0][1].startswith(message)


def test_every_bad_row_is_reported_not_only_the_first():
    def change(i, row):
        if i in (1, 5):
            row["price"] = "1O0"  # a letter O

    assert [row for row, _ in problems(catalog_csv(8, change=change))] == [3, 7]


def test_a_sku_twice_in_the_file_names_both_rows():
    def change(i, row):
        if i == 5:
            row["sku"] = "IMP-0000-S"

    assert problems(catalog_csv(8, change=change)) == [
        (7, "sku: SKU IMP-0000-S is also on row 2.")]


def test_a_later_row_must_not_contradict_its_products_first_row():
    def change(i, row):
        if i == 1:
            row["name_en"] = "Another name"
        if i in (2, 3):
            row["name_en"] = ""  # empty: the first row's value holds

    assert problems(catalog_csv(4, change=change)) == [
        (3, "name_en: Row 2 gives another value for this product.")]


def test_rows_with_too_many_cells_and_huge_cells_are_reported():
    data = rows_of([MINIMAL, ["a", "A", "A-1", "1", "extra"], ["b", "B", "B-1", "1"]])
    huge = rows_of([MINIMAL, ["a", "A", "A-1", "1"], ["b", "x" * 200_000, "B-1", "1"]])

    assert problems(data) == [(2, "This row has 5 cells but the header has 4.")]
    [(row, message)] = problems(huge)
    assert row == 3 and message.startswith("This row could not be read")


def test_blank_lines_are_skipped_and_short_rows_padded():
    parsed = csv_io.read(b"product_slug,name_en,sku,price,brand\r\n"
                         b"tea,Tea,TEA-1,100\r\n\r\n,,,,\r\ntea,,TEA-2,200,\r\n")

    assert parsed.errors == [] and parsed.total == 2
    assert [r.row for r in parsed.rows] == [2, 5]


# ---- the import job ------------------------------------------------------------------------------

@pytest.fixture()
def queued(monkeypatch):
    """Jobs the upload queued, to be run by the test: [(job name, args)]."""
    jobs: list = []
    monkeypatch.setattr(imports, "enqueue", lambda name, *args: jobs.append((name, args)))
    return jobs


@pytest.fixture()
def manager(db_session):
    return make_staff("catalog_manager")


def _count(db_session, model) -> int:
    db_session.expire_all()
    return db_session.scalar(select(func.count()).select_from(model))


def _run(db_session, record_id: int) -> CatalogImport:
    catalog_jobs.run_import(record_id)
    db_session.expire_all()
    return db_session.get(CatalogImport, record_id)


def test_a_file_with_one_bad_row_changes_nothing_and_says_which_row(db_session, queued,
                                                                    manager):
    existing = make_product("Cotton shirt 0", sku="IMP-0000-S", price_cents=999_00)
    db_session.execute(text("UPDATE catalog_product SET slug = 'imp-shirt-0000'"))
    db_session.commit()

    def change(i, row):
        if i == 499:
            row["price"] = "12.345"

    record = imports.start_import("shirts.csv", catalog_csv(1000, change=change),
                                  actor=manager)
    done = _run(db_session, record.id)

    assert done.status == "failed"
    assert done.errors == [{"row": 501, "message": "price: Enter an amount in rupees, like "
                                                   "1,250.00."}]
    assert _count(db_session, Product) == 1 and _count(db_session, Variant) == 1
    assert db_session.get(Variant, existing.variants[0].id).price_cents == 999_00


def test_a_good_file_of_1000_rows_imports_in_one_go(db_session, queued, manager, capsys):
    make_category("clothing")
    record = imports.start_import("shirts.csv", catalog_csv(1000, category="clothing"),
                                  actor=manager)
    assert queued == [("jobs.catalog.run_import", (record.id,))]

    started = time.perf_counter()
    done = _run(db_session, record.id)
    seconds = time.perf_counter() - started

    assert (done.status, done.total_rows, done.done_rows, done.errors) == \
        ("done", 1000, 1000, [])
    assert _count(db_session, Product) == 250 and _count(db_session, Variant) == 1000
    shirt = db_session.scalar(select(Product).where(Product.slug == "imp-shirt-0007"))
    assert (shirt.name_ta, shirt.category.slug, shirt.status, shirt.min_price_cents) == \
        ("பருத்தி சட்டை 7", "clothing", "published", 1000_00)
    assert shirt.published_at is not None
    assert sorted((a.name, a.value) for a in shirt.attributes) == [
        ("colour", "white"), ("material", "cotton")]
    entry = db_session.scalars(select(AuditEntry).where(
        AuditEntry.action == "catalog.import")).one()
    assert (entry.actor_id, entry.details["products_created"],
            entry.details["variants_created"]) == (manager.id, 250, 1000)
    with capsys.disabled():
        print(f"\n[import] 1000 rows on {db_session.get_bind().dialect.name}: {seconds:.2f}s")
    assert seconds < 60


def test_running_the_job_twice_imports_once(db_session, queued, manager):
    record = imports.start_import("shirts.csv", catalog_csv(8), actor=manager)

    first = _run(db_session, record.id)
    again = imports.run_import(record.id)

    assert first.status == "done" and again is None
    assert _count(db_session, Variant) == 8
    assert db_session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "catalog.import")) == 1


def test_an_import_updates_products_by_slug_and_variants_by_sku(db_session, queued, manager):
    imports.run_import(imports.start_import("v1.csv", catalog_csv(4), actor=manager).id)

    def change(i, row):
        if i < 4:
            row["name_en"] = "Linen shirt 0"
            row["price"] = "1,500.00" if i == 0 else row["price"]
            row["options"] = row["options"] + ";fit=slim"
            row["attributes"] = "material=linen"

    record = imports.start_import("v2.csv", catalog_csv(5, change=change), actor=manager)
    done = _run(db_session, record.id)

    assert done.status == "done"
    shirts = list(db_session.scalars(select(Product).order_by(Product.id)))
    assert [p.name_en for p in shirts] == ["Linen shirt 0", "Cotton shirt 1"]
    first = shirts[0]
    assert [(v.sku, v.price_cents, v.options) for v in first.variants][0] == \
        ("IMP-0000-S", 1500_00, {"size": "S", "fit": "slim"})
    assert [(a.name, a.value) for a in first.attributes] == [("material", "linen")]
    assert first.min_price_cents == 1250_00
    assert _count(db_session, Variant) == 5


def test_database_rules_are_checked_before_anything_is_written(db_session, queued, manager):
    make_product("Someone else's", sku="IMP-0001-M")

    def change(i, row):
        if i < 4:
            row["category_slug"] = "no-such-category"

    record = imports.start_import("x.csv", catalog_csv(8, change=change), actor=manager)
    done = _run(db_session, record.id)

    assert done.status == "failed"
    assert [e["row"] for e in done.errors] == [2, 7]
    assert "category_slug: There is no category no-such-category." == done.errors[0]["message"]
    assert done.errors[1]["message"].startswith("sku: SKU IMP-0001-M belongs to another")
    assert _count(db_session, Product) == 1


def test_progress_is_committed_as_rows_are_checked(db_session, queued, manager, monkeypatch,
                                                   app):
    """Another connection (the page's) sees the count move while the job runs."""
    seen: list[int] = []
    check = imports._database_problems
    engine = app.extensions["kade_engine"]
    record = imports.start_import("shirts.csv", catalog_csv(400), actor=manager)

    def watching(*args, **kwargs):
        with engine.connect() as other:
            seen.append(other.execute(text("SELECT done_rows FROM catalog_import WHERE id = "
                                           ":id"), {"id": record.id}).scalar())
        return check(*args, **kwargs)

    monkeypatch.setattr(imports, "_database_problems", watching)
    done = _run(db_session, record.id)

    assert seen == [0, 100, 200, 300]
    assert done.done_rows == 400


def test_a_service_without_a_duration_is_refused(db_session, queued, manager):
    def change(i, row):
        row["kind"] = "service"

    done = _run(db_session, imports.start_import("s.csv", catalog_csv(1, change=change),
                                                 actor=manager).id)

    assert done.errors == [{"row": 2, "message": "duration_minutes: A service needs a "
                                                 "duration from 1 to 10080 minutes."}]


def test_a_header_without_rows_is_a_failed_import(db_session, queued, manager):
    done = _run(db_session, imports.start_import(
        "empty.csv", b"product_slug,name_en,sku,price\n", actor=manager).id)

    assert done.status == "failed"
    assert done.errors == [{"row": None, "message": "The file has a header but no rows."}]


def test_upload_checks_columns_at_once_and_permission(db_session, queued, manager):
    agent = make_staff("support_agent")

    with pytest.raises(csv_io.CsvProblem):
        imports.start_import("x.csv", b"sku;price\n", actor=manager)
    with pytest.raises(Forbidden):
        imports.start_import("x.csv", catalog_csv(4), actor=agent)
    with pytest.raises(Forbidden):
        imports.export_catalog(actor=agent)

    assert queued == [] and _count(db_session, CatalogImport) == 0


def test_thousands_of_problems_are_capped(db_session, queued, manager):
    def change(i, row):
        row["price"] = "free"

    done = _run(db_session, imports.start_import("bad.csv", catalog_csv(300, change=change),
                                                 actor=manager).id)

    assert len(done.errors) == imports.MAX_ERRORS + 1
    assert done.errors[-1] == {"row": None, "message": "… and 100 more problems."}


# ---- export ------------------------------------------------------------------------------------

def test_export_has_a_bom_and_one_row_per_variant_and_imports_back_unchanged(
        db_session, queued, manager):
    make_category("tea")
    tea = make_product("Green tea", name_si="කොළ තේ", category="tea", sku="GT-1",
                       attributes={"origin": "Nuwara Eliya"})
    editing.add_variant(tea.id, inputs.VariantInput(
        sku="GT-2", price_cents=1250_50, compare_at_cents=1500_00, cost_cents=850_00,
        options={"pack": "500 g"}))
    make_product("=HYPERLINK(\"http://evil\")", sku="EVIL-1")
    make_product("Massage", kind="service", sku="MS-1")

    data = b"".join(imports.export_catalog(actor=manager))
    lines = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    done = _run(db_session, imports.start_import("again.csv", data, actor=manager).id)

    assert data.startswith(b"\xef\xbb\xbf")
    assert lines[0] == list(csv_io.COLUMNS)
    assert [line[14] for line in lines[1:]] == ["GT-1", "GT-2", "EVIL-1", "MS-1"]
    gt2 = dict(zip(lines[0], lines[2], strict=True))
    assert (gt2["name_si"], gt2["price"], gt2["compare_at"], gt2["cost"], gt2["options"],
            gt2["attributes"]) == ("කොළ තේ", "1250.50", "1500.00", "850.00", "pack=500 g",
                                   "origin=Nuwara Eliya")
    assert lines[0][-1] == "cost" and lines[1][-1] == ""  # the newest column last; GT-1 none
    assert lines[3][4] == "'=HYPERLINK(\"http://evil\")"  # not a formula in a spreadsheet
    assert done.status == "done", done.errors
    assert db_session.scalar(select(Product.name_en).where(Product.slug.startswith("hyper"))) \
        == "=HYPERLINK(\"http://evil\")"
    assert _count(db_session, Product) == 3 and _count(db_session, Variant) == 4
    assert db_session.scalar(select(Variant.cost_cents).where(Variant.sku == "GT-2")) == 850_00


# ---- a variant's cost price ------------------------------------------------------------------

COST_HEADER = [*MINIMAL, "cost"]


@pytest.mark.parametrize(("cost", "message"), [
    ("-850", "cost: A price cannot be negative."),
    ("cheap", "cost: Enter an amount in rupees, like 1,250.00."),
    ("850.005", "cost: Enter an amount in rupees, like 1,250.00."),
    ("99999999", "cost: That is more than Rs. 10,000,000.00. Check the amount."),
])
def test_a_bad_cost_is_reported_on_its_row_and_column(cost, message):
    found = problems(rows_of([COST_HEADER, ["tea", "Tea", "TEA-1", "1200", "700"],
                              ["tea", "", "TEA-2", "2200", cost]]))

    assert found == [(3, message)]


def test_costs_import_from_their_column_and_an_empty_cell_clears_one(db_session, queued,
                                                                     manager):
    make_product("Kettle", sku="K-1", price_cents=4500_00)
    db_session.execute(text("UPDATE catalog_product SET slug = 'kettle'"))
    db_session.execute(text("UPDATE catalog_variant SET cost_cents = 2500000"))
    db_session.commit()
    data = rows_of([COST_HEADER,
                    ["tea", "Tea", "TEA-1", "1,200.00", "Rs. 780.50"],
                    ["tea", "", "TEA-2", "2200", ""],
                    ["kettle", "Kettle", "K-1", "4500", ""]])

    done = _run(db_session, imports.start_import("costs.csv", data, actor=manager).id)

    assert done.status == "done", done.errors
    costs = dict(db_session.execute(select(Variant.sku, Variant.cost_cents)).all())
    assert costs == {"TEA-1": 780_50, "TEA-2": None, "K-1": None}


def test_a_file_made_before_the_cost_column_imports_and_keeps_the_costs(db_session, queued,
                                                                        manager):
    """Files exported before costs existed have no cost column: they import as they did, and
    the costs staff have entered since stay."""
    product = make_product("Kettle", sku="K-1", price_cents=4500_00)
    editing.update_variant(product.variants[0].id, inputs.VariantInput(
        sku="K-1", price_cents=4500_00, cost_cents=2900_00))
    header, kettle_row = csv.reader(io.StringIO(
        b"".join(csv_io.export_lines()).decode("utf-8-sig")))
    old_columns = [c for c in header if c != "cost"]  # the export's columns before costs
    kettle = {**dict(zip(header, kettle_row, strict=True)), "price": "4,750.00"}
    tea = {"product_slug": "tea", "name_en": "Tea", "sku": "TEA-1", "price": "1200"}
    old_file = rows_of([old_columns, *([row.get(c, "") for c in old_columns]
                                       for row in (kettle, tea))])

    done = _run(db_session, imports.start_import("old.csv", old_file, actor=manager).id)

    assert done.status == "done", done.errors
    assert db_session.execute(select(Variant.sku, Variant.price_cents, Variant.cost_cents)
                              .order_by(Variant.sku)).all() == [
        ("K-1", 4750_00, 2900_00), ("TEA-1", 1200_00, None)]


# ---- a service's place ----------------------------------------------------------------------

SERVICE_HEADER = [*MINIMAL, "kind", "duration_minutes", "service_location",
                  "service_districts"]


@pytest.mark.parametrize(("cells", "message"), [
    (["moon", ""], "service_location: Use one of: address, shop, online."),
    (["address", "jaffna atlantis"], "service_districts: Not a district code: atlantis."),
])
def test_a_bad_service_place_is_reported_on_its_column(cells, message):
    found = problems(rows_of([SERVICE_HEADER,
                              ["cleaning", "Cleaning", "CL-1", "100", "service", "60", *cells]]))

    assert found == [(2, message)]


def test_a_home_service_imports_with_its_districts_and_exports_them(db_session, queued,
                                                                    manager):
    data = rows_of([SERVICE_HEADER,
                    ["cleaning", "Home cleaning", "CL-1", "12000", "service", "240", "address",
                     "Jaffna, colombo"],
                    ["repair", "Phone repair", "PR-1", "4500", "service", "60", "shop",
                     "jaffna"]])

    done = _run(db_session, imports.start_import("s.csv", data, actor=manager).id)
    exported = list(csv.reader(io.StringIO(b"".join(csv_io.export_lines()).decode("utf-8-sig"))))

    assert done.status == "done", done.errors
    places = {p.slug: (p.service_location, p.service_districts)
              for p in db_session.scalars(select(Product))}
    assert places == {"cleaning": ("address", ["colombo", "jaffna"]), "repair": ("shop", None)}
    header = exported[0]
    rows = {row[0]: row for row in exported[1:]}
    at = header.index("service_location")
    assert rows["cleaning"][at:at + 2] == ["address", "colombo jaffna"]
    assert rows["repair"][at:at + 2] == ["shop", ""]


def test_a_home_service_without_districts_is_refused(db_session, queued, manager):
    data = rows_of([SERVICE_HEADER,
                    ["cleaning", "Home cleaning", "CL-1", "12000", "service", "240", "address",
                     ""]])

    done = _run(db_session, imports.start_import("s.csv", data, actor=manager).id)

    assert done.errors == [{"row": 2, "message": "service_districts: Tick the districts this "
                                                 "service covers at customers' addresses."}]
    assert _count(db_session, Product) == 0
