"""login sessions: the server-side identity behind every session and remember-me cookie

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 21:36:24.942436

Cookies made before this revision name an account, not a session: they stop working, and
everyone signs in once more.
"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('accounts_login_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('remember', sa.Boolean(), nullable=False),
    sa.Column('session_version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['accounts_user.id'], name=op.f('fk_accounts_login_session_user_id_accounts_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_accounts_login_session')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_accounts_login_session_key_hash'))
    )
    with op.batch_alter_table('accounts_login_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_accounts_login_session_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_accounts_login_session_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('accounts_login_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_accounts_login_session_user_id'))
        batch_op.drop_index(batch_op.f('ix_accounts_login_session_expires_at'))

    op.drop_table('accounts_login_session')
