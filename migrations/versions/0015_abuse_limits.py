"""abuse limits: wrong passwords counted per email (known or not), and orders indexed by
contact phone and place, so checkout can count a person's and a place's unpaid orders

Revision ID: 0015
Revises: 0013
Create Date: 2026-12-05 21:40:00.000000

Orders placed before this revision have no indexes: they are not counted (an unpaid one
expires within UNPAID_ORDER_HOURS anyway; reading sealed fields to fill them in would need
the PII keys in a migration).
"""
from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('accounts_sign_in_failure',
    sa.Column('email_index', sa.String(length=64), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_failed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('email_index', name=op.f('pk_accounts_sign_in_failure'))
    )
    with op.batch_alter_table('accounts_sign_in_failure', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_accounts_sign_in_failure_last_failed_at'),
                              ['last_failed_at'], unique=False)

    with op.batch_alter_table('orders_order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contact_phone_index', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('place_index', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_orders_order_contact_phone_index'),
                              ['contact_phone_index'], unique=False)
        batch_op.create_index(batch_op.f('ix_orders_order_place_index'), ['place_index'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('orders_order', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_orders_order_place_index'))
        batch_op.drop_index(batch_op.f('ix_orders_order_contact_phone_index'))
        batch_op.drop_column('place_index')
        batch_op.drop_column('contact_phone_index')

    with op.batch_alter_table('accounts_sign_in_failure', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_accounts_sign_in_failure_last_failed_at'))

    op.drop_table('accounts_sign_in_failure')
