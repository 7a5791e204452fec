"""shipment lines: which order lines, and how many units, went in each shipment

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 00:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('orders_shipment_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('order_line_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_orders_shipment_line_quantity_positive')),
    sa.ForeignKeyConstraint(['event_id'], ['orders_order_event.id'],
                            name=op.f('fk_orders_shipment_line_event_id_orders_order_event'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['order_line_id'], ['orders_order_line.id'],
                            name=op.f('fk_orders_shipment_line_order_line_id_orders_order_line'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_orders_shipment_line'))
    )
    with op.batch_alter_table('orders_shipment_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_orders_shipment_line_event_id'), ['event_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_orders_shipment_line_order_line_id'),
                              ['order_line_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('orders_shipment_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_orders_shipment_line_order_line_id'))
        batch_op.drop_index(batch_op.f('ix_orders_shipment_line_event_id'))
    op.drop_table('orders_shipment_line')
