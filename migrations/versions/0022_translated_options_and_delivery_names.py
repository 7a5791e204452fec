"""translated variant options and attribute values; orders keep options and delivery names
in three languages

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06 00:30:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('catalog_variant', schema=None) as batch_op:
        batch_op.add_column(sa.Column('options_si', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('options_ta', sa.JSON(), nullable=True))
    with op.batch_alter_table('catalog_product_attribute', schema=None) as batch_op:
        batch_op.add_column(sa.Column('value_si', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('value_ta', sa.String(length=80), nullable=True))
    with op.batch_alter_table('orders_order_line', schema=None) as batch_op:
        batch_op.add_column(sa.Column('options_si', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('options_ta', sa.String(length=200), nullable=True))
    with op.batch_alter_table('orders_order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('delivery_name_si', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('delivery_name_ta', sa.String(length=80), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('orders_order', schema=None) as batch_op:
        batch_op.drop_column('delivery_name_ta')
        batch_op.drop_column('delivery_name_si')
    with op.batch_alter_table('orders_order_line', schema=None) as batch_op:
        batch_op.drop_column('options_ta')
        batch_op.drop_column('options_si')
    with op.batch_alter_table('catalog_product_attribute', schema=None) as batch_op:
        batch_op.drop_column('value_ta')
        batch_op.drop_column('value_si')
    with op.batch_alter_table('catalog_variant', schema=None) as batch_op:
        batch_op.drop_column('options_ta')
        batch_op.drop_column('options_si')
