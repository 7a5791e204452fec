"""promotions, voucher codes, redemptions; orders keep their adjustments; a cart keeps its voucher

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06 03:24:56.337641
"""
from alembic import op
import sqlalchemy as sa


revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('promotions_promotion',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name_en', sa.String(length=120), nullable=False),
    sa.Column('name_si', sa.String(length=120), nullable=True),
    sa.Column('name_ta', sa.String(length=120), nullable=True),
    sa.Column('description_en', sa.Text(), nullable=True),
    sa.Column('description_si', sa.Text(), nullable=True),
    sa.Column('description_ta', sa.Text(), nullable=True),
    sa.Column('is_public', sa.Boolean(), nullable=False),
    sa.Column('paused', sa.Boolean(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('exclusive', sa.Boolean(), nullable=False),
    sa.Column('combines_with', sa.JSON(), nullable=False),
    sa.Column('benefit', sa.String(length=20), nullable=False),
    sa.Column('percent', sa.Integer(), nullable=True),
    sa.Column('amount_cents', sa.Integer(), nullable=True),
    sa.Column('buy_quantity', sa.Integer(), nullable=True),
    sa.Column('get_quantity', sa.Integer(), nullable=True),
    sa.Column('tiers', sa.JSON(), nullable=False),
    sa.Column('bundle_variant_ids', sa.JSON(), nullable=False),
    sa.Column('product_ids', sa.JSON(), nullable=False),
    sa.Column('variant_ids', sa.JSON(), nullable=False),
    sa.Column('category_ids', sa.JSON(), nullable=False),
    sa.Column('min_subtotal_cents', sa.Integer(), nullable=True),
    sa.Column('min_quantity', sa.Integer(), nullable=True),
    sa.Column('districts', sa.JSON(), nullable=False),
    sa.Column('first_order_only', sa.Boolean(), nullable=False),
    sa.Column('signed_in_only', sa.Boolean(), nullable=False),
    sa.Column('segment_customer_ids', sa.JSON(), nullable=False),
    sa.Column('requires_code', sa.Boolean(), nullable=False),
    sa.Column('max_uses', sa.Integer(), nullable=True),
    sa.Column('max_uses_per_customer', sa.Integer(), nullable=True),
    sa.Column('max_discount_cents', sa.Integer(), nullable=True),
    sa.Column('uses_count', sa.Integer(), nullable=False),
    sa.Column('discount_given_cents', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount_cents IS NULL OR amount_cents >= 0', name=op.f('ck_promotions_promotion_amount_positive')),
    sa.CheckConstraint('percent IS NULL OR (percent >= 1 AND percent <= 100)', name=op.f('ck_promotions_promotion_percent_in_range')),
    sa.CheckConstraint('uses_count >= 0 AND discount_given_cents >= 0', name=op.f('ck_promotions_promotion_counters_positive')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_promotions_promotion'))
    )
    op.create_table('promotions_voucher_code',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('promotion_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('max_uses', sa.Integer(), nullable=True),
    sa.Column('uses_count', sa.Integer(), nullable=False),
    sa.Column('batch', sa.String(length=40), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('uses_count >= 0', name=op.f('ck_promotions_voucher_code_uses_positive')),
    sa.ForeignKeyConstraint(['promotion_id'], ['promotions_promotion.id'], name=op.f('fk_promotions_voucher_code_promotion_id_promotions_promotion'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_promotions_voucher_code')),
    sa.UniqueConstraint('code', name=op.f('uq_promotions_voucher_code_code'))
    )
    with op.batch_alter_table('promotions_voucher_code', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_promotions_voucher_code_promotion_id'), ['promotion_id'], unique=False)

    op.create_table('promotions_redemption',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('promotion_id', sa.Integer(), nullable=False),
    sa.Column('code_id', sa.Integer(), nullable=True),
    sa.Column('order_number', sa.String(length=24), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('phone_index', sa.String(length=64), nullable=True),
    sa.Column('email_index', sa.String(length=64), nullable=True),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('released_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['code_id'], ['promotions_voucher_code.id'], name=op.f('fk_promotions_redemption_code_id_promotions_voucher_code'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['promotion_id'], ['promotions_promotion.id'], name=op.f('fk_promotions_redemption_promotion_id_promotions_promotion'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['accounts_user.id'], name=op.f('fk_promotions_redemption_user_id_accounts_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_promotions_redemption'))
    )
    with op.batch_alter_table('promotions_redemption', schema=None) as batch_op:
        batch_op.create_index('ix_promotions_redemption_customer', ['promotion_id', 'user_id'], unique=False)
        batch_op.create_index('ix_promotions_redemption_email', ['promotion_id', 'email_index'], unique=False)
        batch_op.create_index(batch_op.f('ix_promotions_redemption_order_number'), ['order_number'], unique=False)
        batch_op.create_index('ix_promotions_redemption_phone', ['promotion_id', 'phone_index'], unique=False)

    op.create_table('orders_order_adjustment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('line_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('promotion_id', sa.Integer(), nullable=True),
    sa.Column('rule', sa.String(length=40), nullable=False),
    sa.Column('voucher', sa.String(length=32), nullable=True),
    sa.Column('label_en', sa.String(length=160), nullable=False),
    sa.Column('label_si', sa.String(length=160), nullable=True),
    sa.Column('label_ta', sa.String(length=160), nullable=True),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.CheckConstraint('amount_cents > 0', name=op.f('ck_orders_order_adjustment_amount_positive')),
    sa.ForeignKeyConstraint(['line_id'], ['orders_order_line.id'], name=op.f('fk_orders_order_adjustment_line_id_orders_order_line'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['order_id'], ['orders_order.id'], name=op.f('fk_orders_order_adjustment_order_id_orders_order'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_orders_order_adjustment'))
    )
    with op.batch_alter_table('orders_order_adjustment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_orders_order_adjustment_order_id'), ['order_id'], unique=False)

    with op.batch_alter_table('checkout_cart', schema=None) as batch_op:
        batch_op.add_column(sa.Column('voucher_code', sa.String(length=32), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('checkout_cart', schema=None) as batch_op:
        batch_op.drop_column('voucher_code')

    with op.batch_alter_table('orders_order_adjustment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_orders_order_adjustment_order_id'))

    op.drop_table('orders_order_adjustment')
    with op.batch_alter_table('promotions_redemption', schema=None) as batch_op:
        batch_op.drop_index('ix_promotions_redemption_phone')
        batch_op.drop_index(batch_op.f('ix_promotions_redemption_order_number'))
        batch_op.drop_index('ix_promotions_redemption_email')
        batch_op.drop_index('ix_promotions_redemption_customer')

    op.drop_table('promotions_redemption')
    with op.batch_alter_table('promotions_voucher_code', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_promotions_voucher_code_promotion_id'))

    op.drop_table('promotions_voucher_code')
    op.drop_table('promotions_promotion')
