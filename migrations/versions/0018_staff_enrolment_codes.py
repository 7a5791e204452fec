"""staff enrolment codes: a one-time code the first staff sign-in needs besides the password

Revision ID: 0018
Revises: 0016
Create Date: 2026-12-05 21:36:24.942436
"""
from alembic import op
import sqlalchemy as sa


revision = '0018'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('accounts_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('enrolment_code_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('enrolment_expires_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('accounts_user', schema=None) as batch_op:
        batch_op.drop_column('enrolment_expires_at')
        batch_op.drop_column('enrolment_code_hash')
