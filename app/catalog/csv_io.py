"""The catalog as a CSV file: one row per variant, the product's columns repeated on each.

Reading checks the file's shape and every cell (types, lengths, formats) without touching the
database, and reports each problem with its spreadsheet row number (the header is row 1).
The rules that need the database (a SKU owned by another product, an unknown category) are
checked by `app.catalog.imports`.

Columns missing from a file keep what the catalog has. In a column that is there, an empty
cell clears an optional value, except `kind`, `status`, `is_featured`, `duration_minutes`,
`service_location` and `active`, where empty keeps the current value (the default for
something new). A service's place is `service_location` (address, shop or online) and, for
"address", `service_districts`: the district codes it covers, separated by spaces
(`colombo gampaha jaffna`). `cost` is what one unit cost the shop, in rupees like `price`
(staff and reports only; empty where it is not known). Product columns need only be filled
on a product's first row; where a later row fills them, it must say the same.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app import csv_export, db
from app.accounts import districts
from app.catalog import inputs
from app.catalog.models import Product
from app.errors import Invalid

_PRODUCT_FIRST = ("product_slug", "kind", "status", "category_slug", "name_en", "name_si",
                  "name_ta", "description_en", "description_si", "description_ta", "brand",
                  "is_featured", "duration_minutes", "attributes", "attributes_si",
                  "attributes_ta")
SERVICE_COLUMNS = ("service_location", "service_districts")
PRODUCT_COLUMNS = _PRODUCT_FIRST + SERVICE_COLUMNS
VARIANT_COLUMNS = ("sku", "price", "compare_at", "weight_grams", "barcode", "options",
                   "options_si", "options_ta", "active", "cost")
# Columns added later go last in an export (where a service happens, then translations, then
# the cost price), so the columns people know keep their places: a spreadsheet's column
# letters, a script's indexes. A file made before a column existed still imports: a column
# left out keeps what the catalog has.
TRANSLATION_COLUMNS = ("attributes_si", "attributes_ta", "options_si", "options_ta")
COST_COLUMNS = ("cost",)
COLUMNS = tuple(c for c in _PRODUCT_FIRST + VARIANT_COLUMNS
                if c not in TRANSLATION_COLUMNS + COST_COLUMNS) \
    + SERVICE_COLUMNS + TRANSLATION_COLUMNS + COST_COLUMNS
REQUIRED = ("product_slug", "name_en", "sku", "price")
# Empty means "keep what is there" in these; elsewhere it clears.
KEEP_IF_EMPTY = ("kind", "status", "is_featured", "duration_minutes", "service_location",
                 "active")
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 10_000
LENGTHS = {
    "product_slug": inputs.LIMITS["product_slug"],
    "category_slug": inputs.LIMITS["category_slug"],
    "name_en": inputs.LIMITS["product_name"], "name_si": inputs.LIMITS["product_name"],
    "name_ta": inputs.LIMITS["product_name"],
    "description_en": inputs.MAX_DESCRIPTION, "description_si": inputs.MAX_DESCRIPTION,
    "description_ta": inputs.MAX_DESCRIPTION,
    "brand": inputs.LIMITS["brand"], "sku": inputs.LIMITS["sku"],
    "barcode": inputs.LIMITS["barcode"], "attributes": 2000, "attributes_si": 2000,
    "attributes_ta": 2000, "options": 500,
    "options_si": 500, "options_ta": 500,
}
YES = {"yes", "y", "true", "1"}
NO = {"no", "n", "false", "0"}
# A cell that starts with one of these is a formula to a spreadsheet (CSV injection):
# exports put a ' in front (app.csv_export), and imports take it off again.
FORMULA_START = csv_export.FORMULA_START


class CsvProblem(Invalid):
    """The file as a whole cannot be read (empty, not UTF-8, wrong columns)."""

    code = "csv_problem"


@dataclass(frozen=True)
class RowError:
    row: int | None  # the spreadsheet row; None for the file as a whole
    message: str

    def as_dict(self) -> dict:
        return {"row": self.row, "message": self.message}


@dataclass
class ProductGroup:
    """One product of the file: its first row and the values its columns give."""

    slug: str
    first_row: int
    values: dict[str, Any] = field(default_factory=dict)  # model field -> value
    category_slug: str | None = None
    category_given: bool = False
    attributes: list[tuple[str, str]] | None = None  # None: no attributes column
    # {"si": {English value: Sinhala value}, …} from attributes_si/_ta; None: no such column
    value_translations: dict[str, dict[str, str]] | None = None


@dataclass
class VariantRow:
    row: int
    product_slug: str
    sku: str
    values: dict[str, Any] = field(default_factory=dict)  # model field -> value


@dataclass
class ParsedFile:
    columns: tuple[str, ...]
    groups: dict[str, ProductGroup]
    rows: list[VariantRow]  # the rows without a problem
    errors: list[RowError]
    total: int  # data rows in the file, blank lines not counted


def _uncell(raw: str) -> str:
    raw = raw.strip()
    if len(raw) > 1 and raw[0] == "'" and raw[1] in FORMULA_START:
        return raw[1:]
    return raw


def _decode(data: bytes) -> str:
    if not data.strip(b"\xef\xbb\xbf \t\r\n"):
        raise CsvProblem(_l("The file is empty."), field="file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        row = data[:exc.start].count(b"\n") + 1
        raise CsvProblem(_l("The file is not UTF-8 text (row %(row)d has characters that "
                            "cannot be read). In Excel, save it as “CSV UTF-8”.", row=row),
                         field="file") from exc


def _header(first: list[str]) -> tuple[str, ...]:
    header = tuple(name.strip().lower() for name in first)
    unknown = [name for name in header if name not in COLUMNS]
    if unknown:
        raise CsvProblem(_l("Unknown columns: %(names)s. The columns are: %(known)s.",
                            names=", ".join(n or "(blank)" for n in unknown),
                            known=", ".join(COLUMNS)), field="file")
    doubled = sorted({name for name in header if header.count(name) > 1})
    if doubled:
        raise CsvProblem(_l("Columns given twice: %(names)s.", names=", ".join(doubled)),
                         field="file")
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise CsvProblem(_l("Missing columns: %(names)s.", names=", ".join(missing)),
                         field="file")
    return header


def check_file(data: bytes) -> tuple[str, ...]:
    """The quick checks an upload gets at once: size, encoding, header. Raises CsvProblem."""
    if len(data) > MAX_FILE_BYTES:
        raise CsvProblem(_l("The file is larger than 5 MB. Split it into smaller files."),
                         field="file")
    text = _decode(data)
    try:
        first = next(csv.reader(io.StringIO(text, newline="")), [])
    except csv.Error as exc:
        raise CsvProblem(_l("The header row could not be read."), field="file") from exc
    return _header(first)


def read(data: bytes) -> ParsedFile:
    """Every row of the file, parsed, with every problem found. Raises CsvProblem when the
    file as a whole is unusable."""
    columns = check_file(data)
    reader = csv.reader(io.StringIO(_decode(data), newline=""))
    next(reader)
    groups: dict[str, ProductGroup] = {}
    first_cells: dict[str, dict[str, str]] = {}
    rows: list[VariantRow] = []
    errors: list[RowError] = []
    sku_rows: dict[str, int] = {}
    number, total = 1, 0
    while True:
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            errors.append(RowError(number + 1, str(_l(
                "This row could not be read (%(why)s); nothing after it was checked.",
                why=str(exc)))))
            break
        number += 1
        if not any(cell.strip() for cell in record):
            continue  # blank lines, as spreadsheets leave at the end
        total += 1
        if total > MAX_ROWS:
            raise CsvProblem(_l("The file has more than %(max)d rows. Split it into smaller "
                                "files.", max=MAX_ROWS), field="file")
        if len(record) > len(columns):
            errors.append(RowError(number, str(_l(
                "This row has %(cells)d cells but the header has %(columns)d.",
                cells=len(record), columns=len(columns)))))
            continue
        cells = dict(zip(columns, (_uncell(c) for c in record), strict=False))
        cells.update({name: "" for name in columns if name not in cells})
        row_errors = _too_long(cells) or _row(number, cells, columns, groups, first_cells,
                                              rows, sku_rows)
        errors.extend(RowError(number, message) for message in row_errors)
    return ParsedFile(columns, groups, rows, errors, total)


def _too_long(cells: dict[str, str]) -> list[str]:
    """Cells too long, or with control characters (NUL cannot even be stored)."""
    return [f"{name}: " + str(_l("Use at most %(max)d characters.", max=limit))
            for name, limit in LENGTHS.items() if len(cells.get(name, "")) > limit] + [
        f"{name}: " + str(_l("Remove the invisible control characters."))
        for name, value in cells.items() if inputs.has_control_characters(value)]


def _row(number, cells, columns, groups, first_cells, rows, sku_rows) -> list[str]:
    problems: list[str] = []

    def problem(column: str, message) -> None:
        problems.append(f"{column}: {message}")

    slug = cells["product_slug"]
    try:
        inputs.check_slug(slug, "product_slug")
    except Invalid as exc:
        problem("product_slug", exc.message if slug else _l("This field is required."))
        return problems
    product_cells = {name: cells[name] for name in PRODUCT_COLUMNS if name in columns}
    if slug in first_cells:
        first = first_cells[slug]
        for name, value in product_cells.items():
            if value and value != first[name]:
                problem(name, _l("Row %(row)d gives another value for this product.",
                                 row=groups[slug].first_row))
    else:
        first_cells[slug] = product_cells
        group = ProductGroup(slug=slug, first_row=number)
        _product_values(group, product_cells, problem)
        groups[slug] = group
    variant = VariantRow(row=number, product_slug=slug, sku=cells["sku"])
    _variant_values(variant, cells, columns, problem)
    if variant.sku and variant.sku in sku_rows:
        problem("sku", _l("SKU %(sku)s is also on row %(row)d.", sku=variant.sku,
                          row=sku_rows[variant.sku]))
    elif variant.sku:
        sku_rows[variant.sku] = number
    if not problems:
        rows.append(variant)
    return problems


def _yes_no(raw: str) -> bool | None:
    value = raw.lower()
    return True if value in YES else False if value in NO else None


def _whole_number(raw: str) -> int | None:
    value = raw.replace(",", "")
    return int(value) if value.isascii() and value.isdigit() and len(value) < 10 else None


def _product_values(group: ProductGroup, cells: dict[str, str], problem) -> None:
    values = group.values
    for name in ("name_en", "name_si", "name_ta", "description_en", "description_si",
                 "description_ta", "brand"):
        if name in cells:
            values[name] = cells[name] or ("" if name == "description_en" else None)
    if "name_en" in cells and not cells["name_en"]:
        problem("name_en", _l("This field is required."))
    for name, choices in (("kind", inputs.KINDS), ("status", inputs.STATUSES)):
        raw = cells.get(name, "").lower()
        if raw and raw not in choices:
            problem(name, _l("Use one of: %(choices)s.", choices=", ".join(choices)))
        elif raw:
            values[name] = raw
    if cells.get("is_featured"):
        flag = _yes_no(cells["is_featured"])
        if flag is None:
            problem("is_featured", _l("Write yes or no."))
        else:
            values["is_featured"] = flag
    if cells.get("duration_minutes"):
        minutes = _whole_number(cells["duration_minutes"])
        if minutes is None or not 0 < minutes <= inputs.MAX_DURATION_MINUTES:
            problem("duration_minutes", _l("Enter minutes from 1 to %(max)d.",
                                           max=inputs.MAX_DURATION_MINUTES))
        else:
            values["duration_minutes"] = minutes
    raw = cells.get("service_location", "").lower()
    if raw and raw not in inputs.SERVICE_LOCATIONS:
        problem("service_location", _l("Use one of: %(choices)s.",
                                       choices=", ".join(inputs.SERVICE_LOCATIONS)))
    elif raw:
        values["service_location"] = raw
    if "service_districts" in cells:
        codes = tuple(dict.fromkeys(cells["service_districts"].replace(",", " ").lower().split()))
        unknown = [code for code in codes if not districts.is_district(code)]
        if unknown:
            problem("service_districts", _l("Not a district code: %(codes)s.",
                                            codes=", ".join(unknown[:5])))
        else:
            values["service_districts"] = codes
    if "category_slug" in cells:
        group.category_given = True
        group.category_slug = cells["category_slug"] or None
        if group.category_slug:
            try:
                inputs.check_slug(group.category_slug, "category_slug",
                                  inputs.LIMITS["category_slug"])
            except Invalid as exc:
                problem("category_slug", exc.message)
    if "attributes" in cells:
        try:
            group.attributes = inputs.parse_pairs(cells["attributes"], field="attributes")
        except Invalid as exc:
            problem("attributes", exc.message)
    for lang in ("si", "ta"):
        column = f"attributes_{lang}"
        if column in cells:
            try:
                pairs = inputs.parse_pairs(cells[column], field=column, unique_names=True)
            except Invalid as exc:
                problem(column, exc.message)
                continue
            group.value_translations = {**(group.value_translations or {}),
                                        lang: dict(pairs)}
            if group.attributes is not None:
                try:
                    inputs.check_value_translations({v for _n, v in group.attributes},
                                                    {lang: dict(pairs)})
                except Invalid as exc:
                    problem(column, exc.message)


def _variant_values(variant: VariantRow, cells: dict[str, str], columns, problem) -> None:
    values = variant.values
    if not variant.sku:
        problem("sku", _l("This field is required."))
    elif not inputs.SKU_RE.match(variant.sku):
        problem("sku", _l("Letters, digits and . _ / - only, starting with a letter or digit."))
    for column, name in (("price", "price_cents"), ("compare_at", "compare_at_cents"),
                         ("cost", "cost_cents")):
        if column not in columns:
            continue
        if not cells[column]:
            if column == "price":
                problem("price", _l("This field is required."))
            else:
                values[name] = None
            continue
        try:
            values[name] = inputs.parse_rupees(cells[column], field=column)
        except Invalid as exc:
            problem(column, exc.message)
    if "weight_grams" in columns:
        raw = cells["weight_grams"]
        grams = _whole_number(raw) if raw else None
        if raw and (grams is None or grams > inputs.MAX_WEIGHT_GRAMS):
            problem("weight_grams", _l("Enter a weight from 0 to %(max)d grams.",
                                       max=inputs.MAX_WEIGHT_GRAMS))
        else:
            values["weight_grams"] = grams
    if "barcode" in columns:
        values["barcode"] = cells["barcode"] or None
    if "options" in columns:
        try:
            values["options"] = dict(inputs.parse_pairs(cells["options"], field="options",
                                                        unique_names=True))
        except Invalid as exc:
            problem("options", exc.message)
    for column in ("options_si", "options_ta"):
        if column in columns:
            try:
                values[column] = dict(inputs.parse_pairs(cells[column], field=column,
                                                         unique_names=True)) or None
            except Invalid as exc:
                problem(column, exc.message)
    if cells.get("active"):
        flag = _yes_no(cells["active"])
        if flag is None:
            problem("active", _l("Write yes or no."))
        else:
            values["is_active"] = flag
    price, old = values.get("price_cents"), values.get("compare_at_cents")
    if price is not None and old is not None and old <= price:
        problem("compare_at", _l("The compare-at price is the old price: make it higher than "
                                 "the price, or leave it empty."))


# ---- export ----------------------------------------------------------------------------------

def _product_cells(p: Product) -> list:
    return [p.slug, p.kind, p.status, p.category.slug if p.category else None, p.name_en,
            p.name_si, p.name_ta, p.description_en, p.description_si, p.description_ta,
            p.brand, p.is_featured, p.duration_minutes,
            inputs.format_pairs(sorted((a.name, a.value) for a in p.attributes)),
            *(inputs.format_pairs(sorted({(a.value, getattr(a, f"value_{lang}"))
                                          for a in p.attributes if getattr(a, f"value_{lang}")}))
              for lang in ("si", "ta"))]


def _service_cells(p: Product) -> list:
    return [p.service_location, " ".join(p.service_districts or ()) or None]


def export_lines(batch: int = 200) -> Iterator[bytes]:
    """The whole catalog as CSV (app.csv_export: UTF-8 chunks with a byte-order mark, so
    Excel reads Sinhala and Tamil), a batch of products at a time: memory stays flat for
    any catalog size."""
    return csv_export.stream(COLUMNS, _export_rows(batch))


def _export_rows(batch: int) -> Iterator[list]:
    last_id = 0
    while True:
        products = list(db.session.scalars(
            select(Product).where(Product.id > last_id).order_by(Product.id).limit(batch)
            .options(selectinload(Product.variants), selectinload(Product.attributes),
                     selectinload(Product.category))))
        if not products:
            return
        for product in products:
            cells, service = _product_cells(product), _service_cells(product)
            for v in product.variants or [None]:
                variant = [None] * len(VARIANT_COLUMNS) if v is None else [
                    v.sku, inputs.rupees(v.price_cents), inputs.rupees(v.compare_at_cents),
                    v.weight_grams, v.barcode, inputs.format_pairs(v.options.items()),
                    inputs.format_pairs((v.options_si or {}).items()),
                    inputs.format_pairs((v.options_ta or {}).items()), v.is_active,
                    inputs.rupees(v.cost_cents)]
                named = dict(zip(_PRODUCT_FIRST + VARIANT_COLUMNS + SERVICE_COLUMNS,
                                 cells + variant + service, strict=True))
                yield [named.get(column) for column in COLUMNS]
        last_id = products[-1].id
        for product in products:  # a big catalog need not stay in memory
            db.session.expunge(product)
