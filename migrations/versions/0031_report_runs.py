"""reports: a report run (a big report prepared as a CSV by a job), its progress and its
file; orders indexed by when they were placed and refunds by when they were made (reports
read both by day)

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-06 18:13:04.454998
"""
from alembic import op
import sqlalchemy as sa


revision = '0031'
down_revision = '0030'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('reports_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('params_key', sa.String(length=200), nullable=False),
    sa.Column('requested_by', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('progress', sa.Integer(), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('file_key', sa.String(length=200), nullable=True),
    sa.Column('error', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name=op.f('ck_reports_run_status_known')),
    sa.CheckConstraint('progress >= 0 AND progress <= 100', name=op.f('ck_reports_run_progress_percent')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reports_run'))
    )
    with op.batch_alter_table('reports_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reports_run_params_key'), ['params_key'], unique=False)
    with op.batch_alter_table('orders_order', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_orders_order_placed_at'), ['placed_at'], unique=False)
    with op.batch_alter_table('payments_refund', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payments_refund_created_at'), ['created_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('payments_refund', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payments_refund_created_at'))
    with op.batch_alter_table('orders_order', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_orders_order_placed_at'))
    with op.batch_alter_table('reports_run', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reports_run_params_key'))

    op.drop_table('reports_run')
