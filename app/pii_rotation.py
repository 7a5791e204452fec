"""Re-seal personal data under the newest PII key, table by table, in batches.

It reads every domain's tables (app.models), so it sits above them all, here, and not in
app.security, which the column type in app.db uses: there it closed a package cycle."""

from __future__ import annotations

from sqlalchemy import Text, select, text, type_coerce

from app import db
from app.db import Base, EncryptedText, transaction
from app.models import import_all
from app.security import pii


def encrypted_columns() -> dict[str, list[str]]:
    import_all()
    found: dict[str, list[str]] = {}
    for table in Base.metadata.sorted_tables:
        cols = [c.name for c in table.columns if isinstance(c.type, EncryptedText)]
        if cols:
            found[table.name] = cols
    return found


def rotate_all(batch_size: int = 500) -> dict[str, int]:
    """Raw SQL on purpose: values are opened and sealed here, not by the column type, so
    rows already under the active key are skipped and the rest change in place."""
    vault = pii.vault()
    active = vault.active_key_id
    counts: dict[str, int] = {}
    for table_name, columns in encrypted_columns().items():
        table = Base.metadata.tables[table_name]
        changed = 0
        last_id = 0
        while True:
            # One batch per transaction: read and re-seal under the write lock (see
            # db.transaction: on SQLite a read-then-write outside it can fail as "locked").
            with transaction():
                rows = db.session.execute(
                    select(table.c.id,
                           *[type_coerce(table.c[c], Text()).label(c) for c in columns])
                    .where(table.c.id > last_id).order_by(table.c.id).limit(batch_size)
                ).all()
                for row in rows:
                    values = {}
                    for col in columns:
                        sealed = getattr(row, col)
                        if sealed and vault.key_id_of(sealed) != active:
                            values[col] = vault.seal(vault.open(sealed))
                    if values:
                        sets = ", ".join(f"{c} = :{c}" for c in values)
                        db.session.execute(text(f"UPDATE {table_name} SET {sets} WHERE id = :id"),  # noqa: S608 — names come from our metadata
                                           {**values, "id": row.id})
                        changed += 1
            if not rows:
                break
            last_id = rows[-1].id
        counts[table_name] = changed
    return counts
