"""search: names and brand by their beginning

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-06 10:00:00

A search ranks a name equal to the query first, then names starting with it
(app/catalog/search.py). With these indexes it finds those two groups directly, however many
other products merely contain the words, instead of scoring every match to find them: one
btree index a column (English, Sinhala and Tamil names, brand), over the column as the search
compares it (lower case, without zero-width joiners), published products only.

PostgreSQL: the index collation is "C", so that `>= 'tea' AND < 'tea' || U+10FFFF` is exactly
"starts with tea" (byte order), whatever the database's collation. SQLite compares bytes
anyway. Like migration 0004's objects these are not in the models (the names start with
`ix_catalog_product_search_`). A later migration that rebuilds catalog_product in batch mode
on SQLite loses them (SQLAlchemy does not reflect expression indexes) and must create them
again: tests/catalog/test_search.py checks the plans on both backends.
"""
from alembic import op


revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None

SEARCHED = ("name_en", "name_si", "name_ta", "brand")


def _lowered(column: str, chr_function: str) -> str:
    # Exactly the expression of app/catalog/search.py (`_PG_COLUMN`, `_SQLITE_COLUMN`), or
    # the planner would not use the index.
    return (f"lower(replace(replace(coalesce({column}, ''), {chr_function}(8205), ''), "
            f"{chr_function}(8204), ''))")


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for column in SEARCHED:
        name = f"ix_catalog_product_search_{column}"
        if dialect == "postgresql":
            op.execute(f'CREATE INDEX {name} ON catalog_product (({_lowered(column, "chr")}) '
                       f'COLLATE "C") WHERE status = \'published\'')
        elif dialect == "sqlite":
            op.execute(f"CREATE INDEX {name} ON catalog_product ({_lowered(column, 'char')}) "
                       f"WHERE status = 'published'")


def downgrade() -> None:
    for column in SEARCHED:
        op.execute(f"DROP INDEX IF EXISTS ix_catalog_product_search_{column}")
