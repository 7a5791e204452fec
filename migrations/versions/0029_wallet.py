"""the wallet: an account per customer and unit (store credit, points) and its ledger; an
order's parts paid with store credit and with points; the points scheme

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-06 15:20:28.135831
"""
from alembic import op
import sqlalchemy as sa


revision = '0029'
down_revision = '0028'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('wallet_account',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('unit', sa.String(length=8), nullable=False),
    sa.Column('balance', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('balance >= 0', name=op.f('ck_wallet_account_balance_not_negative')),
    sa.ForeignKeyConstraint(['user_id'], ['accounts_user.id'], name=op.f('fk_wallet_account_user_id_accounts_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wallet_account')),
    sa.UniqueConstraint('user_id', 'unit', name='one_account_per_unit')
    )
    op.create_table('wallet_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('amount', sa.Integer(), nullable=False),
    sa.Column('balance_after', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=300), nullable=True),
    sa.Column('order_number', sa.String(length=24), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('lot_id', sa.Integer(), nullable=True),
    sa.Column('dedupe_key', sa.String(length=160), nullable=True),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount <> 0', name=op.f('ck_wallet_entry_amount_not_zero')),
    sa.CheckConstraint('balance_after >= 0', name=op.f('ck_wallet_entry_balance_after_not_negative')),
    sa.ForeignKeyConstraint(['account_id'], ['wallet_account.id'], name=op.f('fk_wallet_entry_account_id_wallet_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wallet_entry')),
    sa.UniqueConstraint('dedupe_key', name='one_entry_per_key')
    )
    with op.batch_alter_table('wallet_entry', schema=None) as batch_op:
        batch_op.create_index('ix_wallet_entry_account_id', ['account_id', 'id'], unique=False)
        batch_op.create_index('ix_wallet_entry_expiring', ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_wallet_entry_order_number'), ['order_number'], unique=False)
    op.create_table('wallet_points_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('points_per_100_rupees', sa.Integer(), nullable=False),
    sa.Column('point_value_cents', sa.Integer(), nullable=False),
    sa.Column('expiry_months', sa.Integer(), nullable=False),
    sa.Column('reminder_days', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.CheckConstraint('points_per_100_rupees >= 0 AND points_per_100_rupees <= 100', name=op.f('ck_wallet_points_settings_earn_rate_in_range')),
    sa.CheckConstraint('point_value_cents >= 1 AND point_value_cents <= 10000', name=op.f('ck_wallet_points_settings_point_value_in_range')),
    sa.CheckConstraint('expiry_months >= 1 AND expiry_months <= 60', name=op.f('ck_wallet_points_settings_expiry_in_range')),
    sa.CheckConstraint('reminder_days >= 0 AND reminder_days <= 90', name=op.f('ck_wallet_points_settings_reminder_in_range')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wallet_points_settings'))
    )
    with op.batch_alter_table('orders_order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('credit_cents', sa.Integer(), server_default='0',
                                      nullable=False))
        batch_op.add_column(sa.Column('points_cents', sa.Integer(), server_default='0',
                                      nullable=False))
        batch_op.create_check_constraint(
            op.f('ck_orders_order_prepaid_within_total'),
            'credit_cents >= 0 AND points_cents >= 0 '
            'AND credit_cents + points_cents <= total_cents')



def downgrade() -> None:
    with op.batch_alter_table('orders_order', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_orders_order_prepaid_within_total'),
                                 type_='check')
        batch_op.drop_column('points_cents')
        batch_op.drop_column('credit_cents')
    with op.batch_alter_table('wallet_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_wallet_entry_order_number'))
        batch_op.drop_index('ix_wallet_entry_expiring')
        batch_op.drop_index('ix_wallet_entry_account_id')

    op.drop_table('wallet_points_settings')
    op.drop_table('wallet_entry')
    op.drop_table('wallet_account')
