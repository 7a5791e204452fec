"""orders record the channel they came from; staff hold draft orders as carts

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-06 07:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('orders_order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel', sa.String(length=16), nullable=False,
                                      server_default='web'))
        batch_op.create_index(batch_op.f('ix_orders_order_channel'), ['channel'], unique=False)
    with op.batch_alter_table('checkout_cart', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=8), nullable=False,
                                      server_default='cart'))
        batch_op.add_column(sa.Column('staff_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('customer_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_checkout_cart_kind'), ['kind'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_checkout_cart_staff_id_accounts_user'),
                                    'accounts_user', ['staff_id'], ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key(batch_op.f('fk_checkout_cart_customer_id_accounts_user'),
                                    'accounts_user', ['customer_id'], ['id'],
                                    ondelete='SET NULL')


def downgrade() -> None:
    with op.batch_alter_table('checkout_cart', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_checkout_cart_customer_id_accounts_user'),
                                 type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_checkout_cart_staff_id_accounts_user'),
                                 type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_checkout_cart_kind'))
        batch_op.drop_column('customer_id')
        batch_op.drop_column('staff_id')
        batch_op.drop_column('kind')
    with op.batch_alter_table('orders_order', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_orders_order_channel'))
        batch_op.drop_column('channel')
