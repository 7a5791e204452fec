"""recommendations: the lists the nightly job stores (per customer, product, district,
category and the whole shop), read by a page in one query

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-06 21:07:53.870197
"""
from alembic import op
import sqlalchemy as sa


revision = '0034'
down_revision = '0033'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('recommendations_list',
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('owner', sa.String(length=40), nullable=False),
    sa.Column('items', sa.Text(), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('kind', 'owner', name=op.f('pk_recommendations_list'))
    )


def downgrade() -> None:
    op.drop_table('recommendations_list')
