"""newest products index

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 10:40:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The default listing ("newest first") over published products, read backwards.
    op.create_index(
        "ix_catalog_product_newest", "catalog_product", ["published_at", "id"],
        postgresql_where=sa.text("status = 'published'"),
        sqlite_where=sa.text("status = 'published'"))


def downgrade() -> None:
    op.drop_index("ix_catalog_product_newest", table_name="catalog_product")
