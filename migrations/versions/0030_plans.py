"""plans: what a plan gives (member prices, service credits), subscriptions, each period's
invoice, and the service visits credits paid for

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-06 15:50:20.235149
"""
from alembic import op
import sqlalchemy as sa


revision = '0030'
down_revision = '0029'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('plans_plan',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name_en', sa.String(length=80), nullable=False),
    sa.Column('name_si', sa.String(length=80), nullable=True),
    sa.Column('name_ta', sa.String(length=80), nullable=True),
    sa.Column('description_en', sa.Text(), nullable=True),
    sa.Column('description_si', sa.Text(), nullable=True),
    sa.Column('description_ta', sa.Text(), nullable=True),
    sa.Column('price_cents', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=8), nullable=False),
    sa.Column('trial_days', sa.Integer(), nullable=False),
    sa.Column('grace_days', sa.Integer(), nullable=False),
    sa.Column('free_delivery', sa.Boolean(), nullable=False),
    sa.Column('free_delivery_districts', sa.JSON(), nullable=True),
    sa.Column('percent_off', sa.Integer(), nullable=True),
    sa.Column('percent_off_category_ids', sa.JSON(), nullable=True),
    sa.Column('priority_support', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('grace_days >= 0 AND grace_days <= 30', name=op.f('ck_plans_plan_grace_in_range')),
    sa.CheckConstraint('percent_off IS NULL OR (percent_off >= 1 AND percent_off <= 90)', name=op.f('ck_plans_plan_percent_in_range')),
    sa.CheckConstraint('price_cents > 0', name=op.f('ck_plans_plan_price_positive')),
    sa.CheckConstraint('trial_days >= 0 AND trial_days <= 90', name=op.f('ck_plans_plan_trial_in_range')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plans_plan')),
    sa.UniqueConstraint('code', name=op.f('uq_plans_plan_code'))
    )
    op.create_table('plans_subscription',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('next_plan_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('payment_method', sa.String(length=16), nullable=False),
    sa.Column('period_start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('period_end', sa.DateTime(timezone=True), nullable=False),
    sa.Column('grace_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancel_at_period_end', sa.Boolean(), nullable=False),
    sa.Column('payhere_subscription_id', sa.String(length=64), nullable=True),
    sa.Column('renewal_reminded_for', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['next_plan_id'], ['plans_plan.id'], name=op.f('fk_plans_subscription_next_plan_id_plans_plan')),
    sa.ForeignKeyConstraint(['plan_id'], ['plans_plan.id'], name=op.f('fk_plans_subscription_plan_id_plans_plan')),
    sa.ForeignKeyConstraint(['user_id'], ['accounts_user.id'], name=op.f('fk_plans_subscription_user_id_accounts_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plans_subscription'))
    )
    with op.batch_alter_table('plans_subscription', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plans_subscription_payhere_subscription_id'), ['payhere_subscription_id'], unique=False)
        batch_op.create_index('ix_plans_subscription_period_end', ['period_end'], unique=False)
        batch_op.create_index(batch_op.f('ix_plans_subscription_state'), ['state'], unique=False)
        batch_op.create_index('ix_plans_subscription_user_state', ['user_id', 'state'], unique=False)
        batch_op.create_index('uq_plans_subscription_live', ['user_id'], unique=True,
                              postgresql_where=sa.text("state <> 'expired'"),
                              sqlite_where=sa.text("state <> 'expired'"))

    op.create_table('plans_credit_use',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subscription_id', sa.Integer(), nullable=False),
    sa.Column('period_start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('order_number', sa.String(length=24), nullable=False),
    sa.Column('visits', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('visits > 0', name=op.f('ck_plans_credit_use_visits_positive')),
    sa.ForeignKeyConstraint(['subscription_id'], ['plans_subscription.id'], name=op.f('fk_plans_credit_use_subscription_id_plans_subscription'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plans_credit_use'))
    )
    with op.batch_alter_table('plans_credit_use', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plans_credit_use_order_number'), ['order_number'], unique=False)
        batch_op.create_index('ix_plans_credit_use_period', ['subscription_id', 'period_start', 'product_id'], unique=False)

    op.create_table('plans_invoice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=24), nullable=False),
    sa.Column('subscription_id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('period_start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('period_end', sa.DateTime(timezone=True), nullable=False),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=8), nullable=False),
    sa.Column('payment_ref', sa.String(length=64), nullable=True),
    sa.Column('paid_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount_cents >= 0', name=op.f('ck_plans_invoice_amount_not_negative')),
    sa.ForeignKeyConstraint(['plan_id'], ['plans_plan.id'], name=op.f('fk_plans_invoice_plan_id_plans_plan')),
    sa.ForeignKeyConstraint(['subscription_id'], ['plans_subscription.id'], name=op.f('fk_plans_invoice_subscription_id_plans_subscription'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plans_invoice')),
    sa.UniqueConstraint('number', name=op.f('uq_plans_invoice_number')),
    sa.UniqueConstraint('subscription_id', 'period_start', name='one_invoice_per_period')
    )
    with op.batch_alter_table('plans_invoice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plans_invoice_state'), ['state'], unique=False)
        batch_op.create_index(batch_op.f('ix_plans_invoice_subscription_id'), ['subscription_id'], unique=False)

    op.create_table('plans_service_credit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('visits', sa.Integer(), nullable=False),
    sa.CheckConstraint('visits >= 1 AND visits <= 100', name=op.f('ck_plans_service_credit_visits_in_range')),
    sa.ForeignKeyConstraint(['plan_id'], ['plans_plan.id'], name=op.f('fk_plans_service_credit_plan_id_plans_plan'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['product_id'], ['catalog_product.id'], name=op.f('fk_plans_service_credit_product_id_catalog_product'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plans_service_credit')),
    sa.UniqueConstraint('plan_id', 'product_id', name='one_credit_per_service')
    )
    with op.batch_alter_table('plans_service_credit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plans_service_credit_product_id'), ['product_id'], unique=False)

    op.create_table('plans_member_price',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('variant_id', sa.Integer(), nullable=False),
    sa.Column('price_cents', sa.Integer(), nullable=False),
    sa.CheckConstraint('price_cents >= 0', name=op.f('ck_plans_member_price_price_not_negative')),
    sa.ForeignKeyConstraint(['plan_id'], ['plans_plan.id'], name=op.f('fk_plans_member_price_plan_id_plans_plan'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['variant_id'], ['catalog_variant.id'], name=op.f('fk_plans_member_price_variant_id_catalog_variant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plans_member_price')),
    sa.UniqueConstraint('plan_id', 'variant_id', name='one_price_per_variant')
    )
    with op.batch_alter_table('plans_member_price', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plans_member_price_variant_id'), ['variant_id'], unique=False)


    op.create_table('plans_payment_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subscription_id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('amount_cents', sa.Integer(), nullable=True),
    sa.Column('dedupe_key', sa.String(length=160), nullable=False),
    sa.Column('payment_ref', sa.String(length=64), nullable=True),
    sa.Column('raw', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['subscription_id'], ['plans_subscription.id'], name=op.f('fk_plans_payment_event_subscription_id_plans_subscription'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plans_payment_event')),
    sa.UniqueConstraint('dedupe_key', name='one_event_per_notification')
    )
    with op.batch_alter_table('plans_payment_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plans_payment_event_subscription_id'), ['subscription_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('plans_payment_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plans_payment_event_subscription_id'))
    op.drop_table('plans_payment_event')
    with op.batch_alter_table('plans_member_price', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plans_member_price_variant_id'))

    op.drop_table('plans_member_price')
    with op.batch_alter_table('plans_service_credit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plans_service_credit_product_id'))

    op.drop_table('plans_service_credit')
    with op.batch_alter_table('plans_invoice', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plans_invoice_subscription_id'))
        batch_op.drop_index(batch_op.f('ix_plans_invoice_state'))

    op.drop_table('plans_invoice')
    with op.batch_alter_table('plans_credit_use', schema=None) as batch_op:
        batch_op.drop_index('ix_plans_credit_use_period')
        batch_op.drop_index(batch_op.f('ix_plans_credit_use_order_number'))

    op.drop_table('plans_credit_use')
    with op.batch_alter_table('plans_subscription', schema=None) as batch_op:
        batch_op.drop_index('uq_plans_subscription_live')
        batch_op.drop_index('ix_plans_subscription_user_state')
        batch_op.drop_index(batch_op.f('ix_plans_subscription_state'))
        batch_op.drop_index('ix_plans_subscription_period_end')
        batch_op.drop_index(batch_op.f('ix_plans_subscription_payhere_subscription_id'))

    op.drop_table('plans_subscription')
    op.drop_table('plans_plan')
