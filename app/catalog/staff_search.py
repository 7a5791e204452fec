"""The staff's view of the catalog: products in every status (drafts included) found by name
or SKU, one product with what its edit page shows, and the whole category tree. Catalog managers
and admins only (Forbidden for anyone else); `actor` None is the system itself.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import selectinload

from app import db
from app.accounts.services import User  # the type of `actor`
from app.catalog import category_tree
from app.catalog.editing import MAX_ID, _get, _require
from app.catalog.inputs import CONTROL_CHARACTERS, KINDS, STATUSES
from app.catalog.models import Category, Product, Variant
from app.errors import NotFound

# ---- the category tree ----------------------------------------------------------------------

def category_rows(*, actor: User | None = None) -> list[tuple[Category, int]]:
    """Every category (inactive too) in tree order, with its depth: for the staff's tree
    and for choosing a parent."""
    _require(actor)
    every = list(db.session.scalars(select(Category).order_by(Category.position,
                                                              Category.name_en)))
    children: dict[int | None, list[Category]] = {}
    for category in every:
        children.setdefault(category.parent_id, []).append(category)
    rows: list[tuple[Category, int]] = []

    def walk(parent_id, depth):
        for category in children.get(parent_id, []):
            rows.append((category, depth))
            walk(category.id, depth + 1)

    walk(None, 0)
    return rows


def get_category(category_id: int, *, actor: User | None = None) -> Category:
    _require(actor)
    category = _get(Category, category_id)
    if category is None:
        raise NotFound()
    return category



# ---- the staff's view: every status, search by name or SKU --------------------------------------

@dataclass(frozen=True)
class ProductQuery:
    text: str = ""
    status: str | None = None
    kind: str | None = None
    category_id: int | None = None


@dataclass(frozen=True)
class StaffProductPage:
    items: list[Product]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


def find_products(query: ProductQuery = ProductQuery(), *, page: int = 1, per_page: int = 50,
                  actor: User | None = None) -> StaffProductPage:
    """Products in any status whose English, Sinhala or Tamil name, or a variant's SKU,
    contains `query.text`; newest change first."""
    _require(actor)
    stmt = select(Product)
    text = CONTROL_CHARACTERS.sub("", query.text).strip()[:200]
    if text:
        stmt = stmt.where(or_(
            Product.name_en.icontains(text, autoescape=True),
            Product.name_si.icontains(text, autoescape=True),
            Product.name_ta.icontains(text, autoescape=True),
            Product.slug.icontains(text, autoescape=True),
            exists().where(Variant.product_id == Product.id,
                           Variant.sku.icontains(text, autoescape=True))))
    if query.status in STATUSES:
        stmt = stmt.where(Product.status == query.status)
    if query.kind in KINDS:
        stmt = stmt.where(Product.kind == query.kind)
    if query.category_id is not None:
        stmt = stmt.where(Product.category_id.in_(category_tree.below(query.category_id)))
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    page = max(1, min(page, 100_000))
    items = list(db.session.scalars(
        stmt.options(selectinload(Product.variants), selectinload(Product.images),
                     selectinload(Product.category))
        .order_by(Product.updated_at.desc(), Product.id.desc())
        .limit(per_page).offset((page - 1) * per_page)))
    return StaffProductPage(items, total, page, per_page)


def get_product(product_id: int, *, actor: User | None = None) -> Product:
    """A product in any status, with what its edit page shows. Raises NotFound, Forbidden."""
    _require(actor)
    if not 0 < product_id <= MAX_ID:
        raise NotFound()
    product = db.session.scalar(
        select(Product).where(Product.id == product_id)
        .options(selectinload(Product.variants), selectinload(Product.images),
                 selectinload(Product.attributes), selectinload(Product.category)))
    if product is None:
        raise NotFound()
    return product
