"""change clocks for conditional requests: when a category last changed, when a stock level
last changed while few units were left, and indexes that read the newest change cheaply

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-06 09:30:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('catalog_category', schema=None) as batch_op:
        batch_op.add_column(sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True))
    # A category's first change time is its creation: the clock starts somewhere known.
    op.execute("UPDATE catalog_category SET updated_at = created_at")
    with op.batch_alter_table('inventory_stock_level', schema=None) as batch_op:
        batch_op.add_column(sa.Column('low_changed_at', sa.DateTime(timezone=True),
                                      nullable=True))
        batch_op.create_index(batch_op.f('ix_inventory_stock_level_low_changed_at'),
                              ['low_changed_at'], unique=False)
    # The newest change among a category's products (its listing's ETag), read from the
    # index alone; and among all products (the all-products listing, staff's "recently
    # updated").
    op.create_index('ix_catalog_product_category_changes', 'catalog_product',
                    ['category_id', 'updated_at'])
    op.create_index('ix_catalog_product_updated_at', 'catalog_product', ['updated_at'])


def downgrade() -> None:
    op.drop_index('ix_catalog_product_updated_at', table_name='catalog_product')
    op.drop_index('ix_catalog_product_category_changes', table_name='catalog_product')
    with op.batch_alter_table('inventory_stock_level', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inventory_stock_level_low_changed_at'))
        batch_op.drop_column('low_changed_at')
    with op.batch_alter_table('catalog_category', schema=None) as batch_op:
        batch_op.drop_column('updated_at')
