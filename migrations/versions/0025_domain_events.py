"""domain events: the events services publish and each handler's handling of them

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-06 07:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('events_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_events_event'))
    )
    with op.batch_alter_table('events_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_events_event_key'), ['key'], unique=False)

    op.create_table('events_handling',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('handler', sa.String(length=96), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('leased_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['event_id'], ['events_event.id'], name=op.f('fk_events_handling_event_id_events_event'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_events_handling'))
    )
    with op.batch_alter_table('events_handling', schema=None) as batch_op:
        batch_op.create_index('ix_events_handling_due', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_events_handling_event_id'), ['event_id'], unique=False)
        batch_op.create_index('ix_events_handling_order', ['handler', 'key', 'event_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('events_handling', schema=None) as batch_op:
        batch_op.drop_index('ix_events_handling_order')
        batch_op.drop_index(batch_op.f('ix_events_handling_event_id'))
        batch_op.drop_index('ix_events_handling_due')

    op.drop_table('events_handling')
    with op.batch_alter_table('events_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_events_event_key'))

    op.drop_table('events_event')
