"""the shop's pages and details, and support tickets from guests

Staff edit the shop's pages (about, contact, delivery and returns, privacy, terms) and its
details (name, address, phones, email, hours) in three languages: content_page and
content_shop_details. A guest asks about their order from its page: such a ticket has no
account, so support_ticket.user_id may be empty (the ticket names the order).

Three changes in one revision because they ship together as one feature (issue 15, "trust");
the downgrade removes guests' tickets before user_id is required again.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 00:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'content_page',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('slug', sa.String(length=40), nullable=False),
        sa.Column('title_en', sa.String(length=120), nullable=False),
        sa.Column('title_si', sa.String(length=120), nullable=True),
        sa.Column('title_ta', sa.String(length=120), nullable=True),
        sa.Column('body_en', sa.Text(), nullable=False),
        sa.Column('body_si', sa.Text(), nullable=True),
        sa.Column('body_ta', sa.Text(), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_by', sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_content_page')),
        sa.UniqueConstraint('slug', name=op.f('uq_content_page_slug')),
    )
    op.create_table(
        'content_shop_details',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=80), nullable=True),
        sa.Column('address_en', sa.Text(), nullable=True),
        sa.Column('address_si', sa.Text(), nullable=True),
        sa.Column('address_ta', sa.Text(), nullable=True),
        sa.Column('hotline', sa.String(length=16), nullable=True),
        sa.Column('whatsapp', sa.String(length=16), nullable=True),
        sa.Column('email', sa.String(length=254), nullable=True),
        sa.Column('hours_en', sa.Text(), nullable=True),
        sa.Column('hours_si', sa.Text(), nullable=True),
        sa.Column('hours_ta', sa.Text(), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_by', sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_content_shop_details')),
    )
    with op.batch_alter_table('support_ticket', schema=None) as batch_op:
        batch_op.alter_column('user_id', existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    # Messages first: SQLite runs migrations with foreign keys off (migrations/env.py), so
    # no cascade would take them.
    op.execute("DELETE FROM support_message WHERE ticket_id IN "
               "(SELECT id FROM support_ticket WHERE user_id IS NULL)")
    op.execute("DELETE FROM support_ticket WHERE user_id IS NULL")
    with op.batch_alter_table('support_ticket', schema=None) as batch_op:
        batch_op.alter_column('user_id', existing_type=sa.Integer(), nullable=False)
    op.drop_table('content_shop_details')
    op.drop_table('content_page')
