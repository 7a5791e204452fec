"""catalog: a variant's optional cost price (what the shop paid for one unit), so reports
can value stock at cost; NULL where it is not known

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-06 18:18:29.088625
"""
from alembic import op
import sqlalchemy as sa


revision = '0032'
down_revision = '0031'
branch_labels = None
depends_on = None


# SQLite adds a check constraint by rebuilding the table from its reflection. Reflecting the
# table the foreign key points to (catalog_product) is not needed to copy the key, and would
# warn about the search's expression indexes on it (migration 0028), which it cannot read.
_REFLECT = {"resolve_fks": False}


def upgrade() -> None:
    with op.batch_alter_table('catalog_variant', schema=None,
                              reflect_kwargs=_REFLECT) as batch_op:
        batch_op.add_column(sa.Column('cost_cents', sa.Integer(), nullable=True))
        batch_op.create_check_constraint(op.f('ck_catalog_variant_cost_not_negative'),
                                         'cost_cents IS NULL OR cost_cents >= 0')


def downgrade() -> None:
    with op.batch_alter_table('catalog_variant', schema=None,
                              reflect_kwargs=_REFLECT) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_catalog_variant_cost_not_negative'),
                                 type_='check')
        batch_op.drop_column('cost_cents')
