"""product search

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 10:00:00

Search indexes over the product names (English, Sinhala, Tamil) and the brand. Nothing here
is in the models: app/catalog/search.py reads these objects with its own SQL, and
migrations/env.py leaves them out of the model comparison (`catalog_product_search*`,
`ix_catalog_product_search_*`).

SQLite: an FTS5 table with the trigram tokenizer (substrings in any script; the default
unicode61 tokenizer would cut Sinhala and Tamil words at every vowel sign), filled and kept
in step by triggers on catalog_product. Each column is stored after a space, so that " te"
(a two-letter word at a word start) is a trigram too. A later migration that rebuilds
catalog_product in batch mode drops these triggers with the old table and must create them
again (tests/catalog/test_search.py fails if it does not).

PostgreSQL: pg_trgm and two expression indexes over the same normalised text: a trigram GIN
index (substrings, typos) and a tsvector GIN index ('simple': there are no Sinhala or Tamil
stemmers) for words under three letters, matched at the start of a word. The queries in
app/catalog/search.py repeat the expression exactly, or the planner would not use the
indexes (a test on PostgreSQL checks the plans).

Both backends drop the zero-width joiner and non-joiner: Sinhala keyboards differ on whether
they type the ZWJ in ශ්‍රී, and a shopper should find the product either way.
"""
from alembic import op


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

SEARCHED = ("name_en", "name_si", "name_ta", "brand")


def _sqlite_clean(ref: str) -> str:
    # The leading space makes the start of every word a trigram (" te"), so that a
    # two-letter word is found through the index too.
    return f"' ' || replace(replace(coalesce({ref}, ''), char(8205), ''), char(8204), '')"


def _pg_text() -> str:
    joined = " || ' ' || ".join(f"coalesce({c}, '')" for c in SEARCHED)
    return f"lower(replace(replace({joined}, chr(8205), ''), chr(8204), ''))"


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        columns = ", ".join(SEARCHED)
        new_values = ", ".join(_sqlite_clean(f"new.{c}") for c in SEARCHED)
        op.execute(f"CREATE VIRTUAL TABLE catalog_product_search USING fts5("
                   f"{columns}, tokenize = 'trigram')")
        op.execute(f"INSERT INTO catalog_product_search (rowid, {columns}) "  # noqa: S608
                   f"SELECT id, {', '.join(_sqlite_clean(c) for c in SEARCHED)} "
                   f"FROM catalog_product")
        insert = f"INSERT INTO catalog_product_search (rowid, {columns}) VALUES (new.id, {new_values});"  # noqa: S608
        op.execute(f"""
            CREATE TRIGGER catalog_product_search_ai AFTER INSERT ON catalog_product BEGIN
                {insert}
            END""")
        delete = "DELETE FROM catalog_product_search WHERE rowid = old.id;"
        op.execute(f"""
            CREATE TRIGGER catalog_product_search_ad AFTER DELETE ON catalog_product BEGIN
                {delete}
            END""")
        op.execute(f"""
            CREATE TRIGGER catalog_product_search_au AFTER UPDATE OF id, {columns}
            ON catalog_product BEGIN
                {delete}
                {insert}
            END""")
    elif dialect == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute(f"CREATE INDEX ix_catalog_product_search_trgm ON catalog_product "
                   f"USING gin (({_pg_text()}) gin_trgm_ops)")
        op.execute(f"CREATE INDEX ix_catalog_product_search_words ON catalog_product "
                   f"USING gin (to_tsvector('simple'::regconfig, {_pg_text()}))")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for suffix in ("ai", "ad", "au"):
            op.execute(f"DROP TRIGGER IF EXISTS catalog_product_search_{suffix}")
        op.execute("DROP TABLE IF EXISTS catalog_product_search")
    elif dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_catalog_product_search_words")
        op.execute("DROP INDEX IF EXISTS ix_catalog_product_search_trgm")
        # The extension may have been there before us, or be used since by someone else:
        # drop it only when nothing depends on it.
        op.execute("""
            DO $$ BEGIN
                DROP EXTENSION IF EXISTS pg_trgm;
            EXCEPTION WHEN dependent_objects_still_exist THEN
                RAISE NOTICE 'pg_trgm kept: other objects use it';
            END $$""")
