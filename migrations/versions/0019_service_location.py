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
    with op.batch_alter_table('catalog_product', schema=None) as batch_op:
        batch_op.add_column(sa.Column('service_location', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('service_districts', sa.JSON(), nullable=True))
        batch_op.create_check_constraint(
            op.f('ck_catalog_product_service_location_known'),
            "service_location IS NULL OR service_location IN ('address', 'shop', 'online')")
    with op.batch_alter_table('orders_order_line', schema=None) as batch_op:
        batch_op.add_column(sa.Column('service_location', sa.String(length=10), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('orders_order_line', schema=None) as batch_op:
        batch_op.drop_column('service_location')
    with op.batch_alter_table('catalog_product', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_catalog_product_service_location_known'), type_='check')
        batch_op.drop_column('service_districts')
        batch_op.drop_column('service_location')
