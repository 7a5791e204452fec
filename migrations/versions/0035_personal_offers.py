"""recommendations: personal offer templates, and each night's decision per customer
(a voucher sent, or held out); promotions: a personal voucher's promotion is marked, so it
is never loaded with the running ones

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-06 21:15:30.170620
"""
from alembic import op
import sqlalchemy as sa


revision = '0035'
down_revision = '0034'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('promotions_promotion', schema=None) as batch_op:
        batch_op.add_column(sa.Column('personal', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
    op.create_table('recommendations_offer_template',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('percent', sa.Integer(), nullable=True),
    sa.Column('amount_cents', sa.Integer(), nullable=True),
    sa.Column('valid_days', sa.Integer(), nullable=False),
    sa.Column('holdout_percent', sa.Integer(), nullable=False),
    sa.Column('measure_days', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("source IN ('for_you', 'buy_again')", name=op.f('ck_recommendations_offer_template_source_known')),
    sa.CheckConstraint('(percent IS NULL) <> (amount_cents IS NULL)', name=op.f('ck_recommendations_offer_template_one_benefit')),
    sa.CheckConstraint('amount_cents IS NULL OR amount_cents > 0', name=op.f('ck_recommendations_offer_template_amount_positive')),
    sa.CheckConstraint('holdout_percent >= 0 AND holdout_percent <= 50', name=op.f('ck_recommendations_offer_template_holdout_in_range')),
    sa.CheckConstraint('percent IS NULL OR (percent >= 1 AND percent <= 90)', name=op.f('ck_recommendations_offer_template_percent_in_range')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recommendations_offer_template'))
    )
    op.create_table('recommendations_offer_send',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('template_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('week', sa.String(length=8), nullable=False),
    sa.Column('held_out', sa.Boolean(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=True),
    sa.Column('promotion_id', sa.Integer(), nullable=True),
    sa.Column('code', sa.String(length=32), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['accounts_user.id'], name=op.f('fk_recommendations_offer_send_customer_id_accounts_user'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['template_id'], ['recommendations_offer_template.id'], name=op.f('fk_recommendations_offer_send_template_id_recommendations_offer_template'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recommendations_offer_send')),
    sa.UniqueConstraint('template_id', 'customer_id', 'week', name='once_a_week')
    )
    with op.batch_alter_table('recommendations_offer_send', schema=None) as batch_op:
        batch_op.create_index('ix_recommendations_offer_send_customer', ['customer_id', 'created_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('recommendations_offer_send', schema=None) as batch_op:
        batch_op.drop_index('ix_recommendations_offer_send_customer')

    op.drop_table('recommendations_offer_send')
    op.drop_table('recommendations_offer_template')
    with op.batch_alter_table('promotions_promotion', schema=None) as batch_op:
        batch_op.drop_column('personal')
