"""seal ticket subjects and order timeline notes like other personal data

Customers write names, phone numbers and addresses into a ticket's subject and into the
reasons they give for cancelling or returning (the order timeline's notes). Both columns now
hold AES-GCM sealed values (app.db.EncryptedText, a TEXT column): the subject's VARCHAR(120)
becomes TEXT, and the rows already there are sealed under the active PII key.

The type change and the sealing are one revision on purpose: the app of this revision opens
every value of these columns, so a database with the new type and plaintext rows (or the old
type and sealed rows, too long for VARCHAR(120)) would fail on every ticket and order page.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 22:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

COLUMNS = (("support_ticket", "subject"), ("orders_order_event", "note"))
BATCH = 500


def _vault():
    """The app's PII keys: configured already under `flask db upgrade` and restores; read
    from the environment (or the development instance folder) when run on its own."""
    from app.security import pii

    try:
        return pii.vault()
    except RuntimeError:
        from app import config

        settings = config.from_environment()
        if not settings.get("PII_KEYS") or not settings.get("PII_INDEX_KEY"):
            raise RuntimeError("migration 0016 seals rows: set PII_KEYS and PII_INDEX_KEY") from None
        return pii.configure(settings["PII_KEYS"], settings["PII_INDEX_KEY"])


def _is_sealed(vault, value: str) -> bool:
    try:
        vault.open(value)
    except Exception:  # unknown key id, not base64, does not verify: plaintext
        return False
    return True


def _rewrite(table: str, column: str, change) -> None:
    """Apply `change(value) -> new value or None (keep)` to every non-null value, in id
    order and in batches, so a large table is never read into memory at once."""
    conn = op.get_bind()
    last_id = 0
    while True:
        rows = conn.execute(sa.text(
            f"SELECT id, {column} FROM {table} WHERE id > :last AND {column} IS NOT NULL "  # noqa: S608 — our names
            f"ORDER BY id LIMIT {BATCH}"), {"last": last_id}).all()
        if not rows:
            return
        for row_id, value in rows:
            new = change(value)
            if new is not None:
                conn.execute(sa.text(f"UPDATE {table} SET {column} = :v WHERE id = :id"),  # noqa: S608
                             {"v": new, "id": row_id})
        last_id = rows[-1][0]


def _any_rows() -> bool:
    conn = op.get_bind()
    return any(conn.execute(sa.text(
        f"SELECT 1 FROM {table} WHERE {column} IS NOT NULL LIMIT 1")).first()  # noqa: S608
        for table, column in COLUMNS)


def upgrade() -> None:
    with op.batch_alter_table('support_ticket', schema=None) as batch_op:
        batch_op.alter_column('subject', existing_type=sa.String(length=120),
                              type_=sa.Text(), existing_nullable=False)
    if not _any_rows():
        return  # a new database: no keys needed
    vault = _vault()
    for table, column in COLUMNS:
        _rewrite(table, column,
                 lambda value: None if _is_sealed(vault, value) else vault.seal(value))


def downgrade() -> None:
    if _any_rows():
        vault = _vault()
        for table, column in COLUMNS:
            _rewrite(table, column,
                     lambda value: vault.open(value) if _is_sealed(vault, value) else None)
    with op.batch_alter_table('support_ticket', schema=None) as batch_op:
        batch_op.alter_column('subject', existing_type=sa.Text(),
                              type_=sa.String(length=120), existing_nullable=False)
