"""recommendations: shopper events (views, searches, cart adds, purchases) and each
customer's personalisation choice

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-06 18:49:34.656094
"""
from alembic import op
import sqlalchemy as sa


revision = '0033'
down_revision = '0032'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('recommendations_event',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('visitor_id', sa.String(length=32), nullable=True),
    sa.Column('product_id', sa.Integer(), nullable=True),
    sa.Column('variant_id', sa.Integer(), nullable=True),
    sa.Column('quantity', sa.Integer(), nullable=True),
    sa.Column('query', sa.String(length=64), nullable=True),
    sa.Column('found', sa.Boolean(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('view', 'search', 'cart_add', 'purchase')", name=op.f('ck_recommendations_event_kind_known')),
    sa.CheckConstraint('customer_id IS NOT NULL OR visitor_id IS NOT NULL', name=op.f('ck_recommendations_event_someone')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recommendations_event'))
    )
    with op.batch_alter_table('recommendations_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recommendations_event_created_at'), ['created_at'], unique=False)
        batch_op.create_index('ix_recommendations_event_customer', ['customer_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_recommendations_event_visitor_id'), ['visitor_id'], unique=False)

    op.create_table('recommendations_choice',
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('personalised', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['accounts_user.id'], name=op.f('fk_recommendations_choice_customer_id_accounts_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('customer_id', name=op.f('pk_recommendations_choice'))
    )


def downgrade() -> None:
    op.drop_table('recommendations_choice')
    with op.batch_alter_table('recommendations_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recommendations_event_visitor_id'))
        batch_op.drop_index('ix_recommendations_event_customer')
        batch_op.drop_index(batch_op.f('ix_recommendations_event_created_at'))

    op.drop_table('recommendations_event')
