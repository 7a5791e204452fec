"""orders: a link version on each order, part of its guest link token, so older links can be revoked

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 21:50:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing orders start at 0: links already mailed (which carry no version) stay valid
    # until a new link is sent.
    with op.batch_alter_table('orders_order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('link_version', sa.Integer(), server_default='0',
                                      nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('orders_order', schema=None) as batch_op:
        batch_op.drop_column('link_version')
