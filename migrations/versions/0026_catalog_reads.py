"""catalog reads: attribute values counted per category (kept on change), featured index

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-06 09:40:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('catalog_facet_count',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('value', sa.String(length=80), nullable=False),
    sa.Column('products', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['catalog_category.id'], name=op.f('fk_catalog_facet_count_category_id_catalog_category'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalog_facet_count'))
    )
    with op.batch_alter_table('catalog_facet_count', schema=None) as batch_op:
        batch_op.create_index('ix_catalog_facet_count_category', ['category_id', 'name', 'value'], unique=False)
    with op.batch_alter_table('catalog_product', schema=None) as batch_op:
        batch_op.create_index('ix_catalog_product_featured', ['published_at', 'id'], unique=False, postgresql_where=sa.text("status = 'published' AND is_featured"), sqlite_where=sa.text("status = 'published' AND is_featured"))
    # The counts of the products already there (what app.catalog.facet_counts counts; the
    # row named '' counts a category's published products).
    op.execute(
        "INSERT INTO catalog_facet_count (category_id, name, value, products) "
        "SELECT p.category_id, a.name, a.value, count(*) FROM catalog_product_attribute AS a "
        "JOIN catalog_product AS p ON p.id = a.product_id WHERE p.status = 'published' "
        "GROUP BY p.category_id, a.name, a.value "
        "UNION ALL SELECT category_id, '', '', count(*) FROM catalog_product "
        "WHERE status = 'published' GROUP BY category_id")


def downgrade() -> None:
    with op.batch_alter_table('catalog_product', schema=None) as batch_op:
        batch_op.drop_index('ix_catalog_product_featured', postgresql_where=sa.text("status = 'published' AND is_featured"), sqlite_where=sa.text("status = 'published' AND is_featured"))
    with op.batch_alter_table('catalog_facet_count', schema=None) as batch_op:
        batch_op.drop_index('ix_catalog_facet_count_category')
    op.drop_table('catalog_facet_count')
