"""CSV imports of products and variants: all rows or none.

An upload is saved to storage and recorded as a CatalogImport; the job `jobs.catalog
.run_import` then calls `run_import`, which works in two phases:

1. Check. Every row is parsed and checked, the rules needing the database included (a SKU
   that belongs to another product, an unknown category), a chunk of rows at a time. No
   write transaction is open in this phase, so after each chunk the progress
   (`done_rows` of `total_rows`) is committed and the page polling it sees it move.
2. Apply. Only if no row has a problem: every product and variant is written in ONE
   transaction, which also marks the import done. The products and "1000 rows imported"
   become visible in the same instant; a failure part-way leaves nothing behind.

Why not one transaction with progress committed on a second connection? On SQLite a second
writer waits for the first one's lock: the progress writes would stall behind the import
they report on. Checking first costs one more read of each row and gives the page something
true to show on both databases. The apply phase is short (a second or two for 1 000 rows);
the page shows "Saving" meanwhile. The apply phase checks the database rules again, inside
its transaction, for whatever changed since phase 1.

A job may run twice (RQ retries, a double click): only an import still "queued" is claimed,
with a conditional update, so a second run finds it taken and does nothing.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Iterator

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from app import db
from app.accounts.services import User  # the type of `actor`
from app.audit import services as audit
from app.catalog import csv_io, editing, inputs
from app.catalog.csv_io import ParsedFile, ProductGroup, RowError, VariantRow
from app.catalog.models import CatalogImport, Category, Product, ProductAttribute, Variant
from app.catalog.services import refresh_min_price
from app.db import transaction, utcnow
from app.errors import Invalid, NotFound
from app.queue import enqueue
from app.storage import storage

log = logging.getLogger(__name__)

CHUNK = 100  # rows checked between two progress commits
IN_BATCH = 500  # ids in one SQL IN (…)
MAX_ERRORS = 200  # kept on the import; a file of nonsense must not make a huge row
JOB = "jobs.catalog.run_import"
# A service field's name → the CSV column a person fixes.
COLUMN_OF = {"slug": "product_slug", "category": "category_slug", "variant": "sku"}
_DETAIL_DEFAULTS = {"name_en": "", "kind": "product", "status": "draft", "name_si": None,
                    "name_ta": None, "description_en": "", "description_si": None,
                    "description_ta": None, "brand": None, "is_featured": False,
                    "duration_minutes": None, "service_location": None,
                    "service_districts": None}
_VARIANT_DEFAULTS = {"options": {}, "compare_at_cents": None, "cost_cents": None,
                     "weight_grams": None, "barcode": None, "options_si": None,
                     "options_ta": None}


class _Refused(Exception):
    def __init__(self, errors: list[RowError]):
        super().__init__("import refused")
        self.errors = errors


def start_import(filename: str, data: bytes, *, actor: User | None) -> CatalogImport:
    """Keep the file, record the import and queue its job. The file's size, encoding and
    columns are checked now, so those mistakes show on the form at once. Raises CsvProblem,
    Forbidden."""
    editing.require_catalog_manager(actor)
    csv_io.check_file(data)
    name = inputs.CONTROL_CHARACTERS.sub("", (filename or "").replace("\\", "/"))
    name = name.rsplit("/", 1)[-1].strip()[:200] or "catalog.csv"
    key = f"imports/{secrets.token_hex(12)}.csv"
    storage().save(key, data, "text/csv")
    with transaction():
        record = CatalogImport(actor_id=actor.id if actor else None, filename=name,
                               file_key=key, status="queued", total_rows=0, done_rows=0,
                               errors=[])
        db.session.add(record)
        db.session.flush()
        audit.record("catalog.import_upload", actor_id=record.actor_id, target_type="import",
                     target_id=record.id, size=len(data))
    enqueue(JOB, record.id)  # after the commit: the job must find the row
    return record


def get_import(import_id: int, *, actor: User | None) -> CatalogImport:
    editing.require_catalog_manager(actor)
    record = db.session.get(CatalogImport, import_id) if 0 < import_id <= editing.MAX_ID \
        else None
    if record is None:
        raise NotFound()
    db.session.refresh(record)  # the job writes it from another session
    return record


def recent_imports(*, actor: User | None, limit: int = 10) -> list[CatalogImport]:
    editing.require_catalog_manager(actor)
    return list(db.session.scalars(select(CatalogImport)
                                   .order_by(CatalogImport.id.desc()).limit(limit)))


def export_catalog(*, actor: User | None) -> Iterator[bytes]:
    """The whole catalog as CSV chunks of UTF-8 (see csv_io). Raises Forbidden."""
    editing.require_catalog_manager(actor)
    audit.record("catalog.export", actor_id=actor.id if actor else None)
    return csv_io.export_lines()


# ---- the job's side ----------------------------------------------------------------------------

def run_import(import_id: int) -> CatalogImport | None:
    """Check every row, then write them all in one transaction, or write nothing and keep
    the row errors on the import. Returns None when the import was not queued (already run
    or running)."""
    if not _claim(import_id):
        log.info("catalog_import_skipped", extra={"import_id": import_id})
        return None
    started = time.monotonic()
    record = db.session.get(CatalogImport, import_id)
    try:
        try:
            data = storage().read(record.file_key)
        except FileNotFoundError:
            return _fail(import_id, [RowError(None, str(_l(
                "The uploaded file is missing. Upload it again.")))])
        try:
            parsed = csv_io.read(data)
        except csv_io.CsvProblem as exc:
            return _fail(import_id, [RowError(None, str(exc.message))])
        with transaction():  # on SQLite: write under the lock (see db.transaction)
            record.total_rows, record.done_rows = parsed.total, 0
        errors = parsed.errors + _check(record, parsed)
        if not parsed.total:
            errors.append(RowError(None, str(_l("The file has a header but no rows."))))
        if errors:
            return _fail(import_id, errors)
        counts = _apply(import_id, parsed)
    except _Refused as exc:
        return _fail(import_id, exc.errors)
    except Exception:
        log.exception("catalog_import_crashed", extra={"import_id": import_id})
        return _fail(import_id, [RowError(None, str(_l(
            "Something went wrong on our side; nothing was imported. Please try again.")))])
    log.info("catalog_import_done", extra={"import_id": import_id, "rows": parsed.total,
                                           "seconds": round(time.monotonic() - started, 2),
                                           **counts})
    return db.session.get(CatalogImport, import_id)


def _claim(import_id: int) -> bool:
    with transaction():
        result = db.session.execute(
            update(CatalogImport)
            .where(CatalogImport.id == import_id, CatalogImport.status == "queued")
            .values(status="running"))
    return result.rowcount == 1


def _fail(import_id: int, errors: list[RowError]) -> CatalogImport:
    db.session.rollback()
    errors = sorted(errors, key=lambda e: e.row or 0)
    kept = [e.as_dict() for e in errors[:MAX_ERRORS]]
    if len(errors) > MAX_ERRORS:
        kept.append({"row": None, "message": str(_l("… and %(count)d more problems.",
                                                     count=len(errors) - MAX_ERRORS))})
    with transaction():
        record = db.session.get(CatalogImport, import_id)
        record.status, record.errors, record.finished_at = "failed", kept, utcnow()
        audit.record("catalog.import", actor_id=record.actor_id, target_type="import",
                     target_id=record.id, success=False, problems=len(errors))
    return record


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _column(exc: Invalid) -> str:
    return COLUMN_OF.get(exc.field or "", exc.field or "file")


def _details(existing: Product | None, group: ProductGroup) -> inputs.ProductDetails:
    base = dict(_DETAIL_DEFAULTS)
    if existing is not None:
        base = {name: getattr(existing, name) for name in _DETAIL_DEFAULTS}
    base.update(group.values)
    # A service saved before services had a place is at the shop until staff say otherwise.
    base["service_location"] = base["service_location"] or "shop"
    base["service_districts"] = tuple(base["service_districts"] or ())
    return inputs.ProductDetails(**base)


def _variant(existing: Variant | None, row: VariantRow) -> inputs.VariantInput:
    base = dict(_VARIANT_DEFAULTS)
    if existing is not None:
        base = {name: getattr(existing, name) for name in _VARIANT_DEFAULTS}
    base.update({k: v for k, v in row.values.items() if k != "is_active"})
    return inputs.VariantInput(sku=row.sku, **base)


def _database_problems(rows: list[VariantRow], groups: dict[str, ProductGroup],
                       categories: set[str], checked: set[str]) -> list[RowError]:
    """The rules that need the catalog, for some rows (and their products, once each)."""
    errors: list[RowError] = []
    slugs = {row.product_slug for row in rows} - checked
    products = {p.slug: p for p in db.session.scalars(
        select(Product).where(Product.slug.in_(slugs)))} if slugs else {}
    for slug in sorted(slugs, key=lambda s: groups[s].first_row):
        group = groups[slug]
        try:
            inputs.check_details(_details(products.get(slug), group))
        except Invalid as exc:
            errors.append(RowError(group.first_row, f"{_column(exc)}: {exc.message}"))
        if group.category_slug and group.category_slug not in categories:
            errors.append(RowError(group.first_row, "category_slug: " + str(_l(
                "There is no category %(slug)s.", slug=group.category_slug))))
    checked |= slugs
    owned = {variant.sku: (variant, slug) for variant, slug in db.session.execute(
        select(Variant, Product.slug).join(Variant.product)
        .where(Variant.sku.in_([row.sku for row in rows])))}
    for row in rows:
        variant, owner = owned.get(row.sku, (None, row.product_slug))
        if owner != row.product_slug:
            errors.append(RowError(row.row, "sku: " + str(_l(
                "SKU %(sku)s belongs to another product (%(slug)s).", sku=row.sku,
                slug=owner))))
            continue
        try:
            inputs.check_variant(_variant(variant, row))
        except Invalid as exc:
            errors.append(RowError(row.row, f"{_column(exc)}: {exc.message}"))
    return errors


def _check(record: CatalogImport, parsed: ParsedFile) -> list[RowError]:
    """Phase 1: the database rules, a chunk at a time, committing progress between chunks
    (only reads happen here, so the commit never waits behind our own lock)."""
    categories = set(db.session.scalars(select(Category.slug)))
    checked: set[str] = set()
    errors: list[RowError] = []
    for number, chunk in enumerate(_chunks(parsed.rows, CHUNK), 1):
        errors += _database_problems(chunk, parsed.groups, categories, checked)
        done = min(number * CHUNK, len(parsed.rows))
        # Rows with a parse problem count too, so the bar ends at the file's row count.
        with transaction():
            record.done_rows = done * parsed.total // max(len(parsed.rows), 1)
    return errors


def _apply(import_id: int, parsed: ParsedFile) -> dict[str, int]:
    """Phase 2: every product and variant in one transaction, with the import marked done
    in the same commit. Raises _Refused when the catalog changed since phase 1."""
    counts = {"products_created": 0, "products_updated": 0, "variants_created": 0,
              "variants_updated": 0}
    now = utcnow()
    with transaction():
        record = db.session.get(CatalogImport, import_id)
        categories = dict(db.session.execute(select(Category.slug, Category.id)).all())
        existing: dict[str, Product] = {}
        for part in _chunks(list(parsed.groups), IN_BATCH):
            # populate_existing: phase 1 left some of these in the session; reload them
            # inside this transaction.
            existing.update((p.slug, p) for p in db.session.scalars(
                select(Product).where(Product.slug.in_(part))
                .options(selectinload(Product.variants), selectinload(Product.attributes))
                .execution_options(populate_existing=True)))
        owners: dict[str, str] = {}
        for part in _chunks([row.sku for row in parsed.rows], IN_BATCH):
            owners.update(db.session.execute(select(Variant.sku, Product.slug)
                                             .join(Variant.product)
                                             .where(Variant.sku.in_(part))).all())
        _recheck(parsed, owners, categories)
        rows_of: dict[str, list[VariantRow]] = {}
        for row in parsed.rows:
            rows_of.setdefault(row.product_slug, []).append(row)
        for slug, group in parsed.groups.items():
            product = existing.get(slug)
            counts["products_created" if product is None else "products_updated"] += 1
            if product is None:
                product = Product(slug=slug, is_featured=False, min_price_cents=0,
                                  **{k: v for k, v in _DETAIL_DEFAULTS.items()
                                     if k not in ("is_featured",)})
                db.session.add(product)
            _apply_product(product, group, categories, now)
            by_sku = {v.sku: v for v in product.variants}
            for row in rows_of.get(slug, []):
                variant = by_sku.get(row.sku)
                counts["variants_created" if variant is None else "variants_updated"] += 1
                if variant is None:
                    variant = Variant(sku=row.sku, position=len(product.variants), options={},
                                      is_active=True)
                    product.variants.append(variant)
                for name, value in row.values.items():
                    setattr(variant, name, value)
            refresh_min_price(product)
        record.status, record.done_rows, record.errors = "done", record.total_rows, []
        record.finished_at = utcnow()
        audit.record("catalog.import", actor_id=record.actor_id, target_type="import",
                     target_id=record.id, rows=record.total_rows, **counts)
    return counts


def _recheck(parsed: ParsedFile, owners: dict[str, str], categories: dict[str, int]) -> None:
    errors = [RowError(row.row, "sku: " + str(_l(
        "SKU %(sku)s belongs to another product (%(slug)s).", sku=row.sku,
        slug=owners[row.sku]))) for row in parsed.rows
        if owners.get(row.sku, row.product_slug) != row.product_slug]
    errors += [RowError(group.first_row, "category_slug: " + str(_l(
        "There is no category %(slug)s.", slug=group.category_slug)))
        for group in parsed.groups.values()
        if group.category_slug and group.category_slug not in categories]
    if errors:
        raise _Refused(errors)


def _apply_product(product: Product, group: ProductGroup, categories: dict[str, int],
                   now) -> None:
    for name, value in group.values.items():
        setattr(product, name, value)
    if group.category_given:
        product.category_id = categories[group.category_slug] if group.category_slug else None
    if product.kind != "service":
        product.duration_minutes = None
    place = inputs.service_place(product if product.kind != "service" else inputs.ProductDetails(
        name_en="", kind="service", service_location=product.service_location or "shop",
        service_districts=tuple(product.service_districts or ())))
    product.service_location = place["service_location"]
    product.service_districts = place["service_districts"]
    if product.status == "published" and product.published_at is None:
        product.published_at = now
    product.updated_at = now
    if group.attributes is not None:
        wanted = list(dict.fromkeys(group.attributes))
        keep = [a for a in product.attributes if (a.name, a.value) in set(wanted)]
        have = {(a.name, a.value) for a in keep}
        product.attributes = keep + [ProductAttribute(name=n, value=v) for n, v in wanted
                                     if (n, v) not in have]
    if group.value_translations is not None:
        for attribute in product.attributes:
            for lang, pairs in group.value_translations.items():
                setattr(attribute, f"value_{lang}", pairs.get(attribute.value))
