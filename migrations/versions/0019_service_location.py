"""service location: where a service happens (customer's address in some districts, shop,
online), on the catalog product and copied onto order lines

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 00:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Only columns added: SQLite adds them in place. A constraint would make batch mode
    # rebuild catalog_product and lose the search triggers of 0004.
    with op.batch_alter_table('catalog_product', schema=None) as batch_op:
        batch_op.add_column(sa.Column('service_location', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('service_districts', sa.JSON(), nullable=True))
    with op.batch_alter_table('orders_order_line', schema=None) as batch_op:
        batch_op.add_column(sa.Column('service_location', sa.String(length=10), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('orders_order_line', schema=None) as batch_op:
        batch_op.drop_column('service_location')
    # ALTER TABLE … DROP COLUMN (SQLite 3.35+, PostgreSQL) rather than batch mode: a rebuilt
    # catalog_product would lose the search triggers.
    op.execute("ALTER TABLE catalog_product DROP COLUMN service_districts")
    op.execute("ALTER TABLE catalog_product DROP COLUMN service_location")
