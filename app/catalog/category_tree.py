"""The category tree as plain data, read once and kept (app.memo.reference): every storefront
page shows some of it (the home tiles, a listing's chips and breadcrumbs, a product's
breadcrumbs, a card's category in the API), and a category listing needs the ids below it.

A few dozen rows that staff rarely change: one query builds the whole tree, and pages then
walk it in memory instead of asking the database per page (a recursive CTE for a listing's
ids, a join for a product's breadcrumbs). A staff save forgets it (app.catalog.editing), so
the process that saved shows the change at once; other processes within
REFERENCE_CACHE_SECONDS.

Nodes are never changed once built: they are shared by every request of the process.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import select

from app import db, memo
from app.catalog.models import Category, InLanguages
from app.errors import NotFound

_COLUMNS = (Category.id, Category.slug, Category.parent_id, Category.position,
            Category.name_en, Category.name_si, Category.name_ta, Category.is_active,
            Category.updated_at)


@dataclass(eq=False)
class Node(InLanguages):
    """One category, duck-typed like the Category model where templates read it: `slug`,
    `text("name", locale)`, `children` (active or not, by position), `is_active`."""

    id: int
    slug: str
    parent_id: int | None
    position: int
    name_en: str
    name_si: str | None
    name_ta: str | None
    is_active: bool
    updated_at: dt.datetime | None
    parent: Node | None = None
    children: list[Node] = field(default_factory=list)



@dataclass(frozen=True)
class Tree:
    by_id: dict[int, Node]
    by_slug: dict[str, Node]
    top: list[Node]  # active top-level categories, in display order

    @property
    def version(self) -> tuple:
        """What changes whenever this tree does (a category saved, added or removed): for a
        page's ETag, which must name the tree the page was made from, this one, even while
        another process already reads a newer one."""
        times = [n.updated_at for n in self.by_id.values() if n.updated_at is not None]
        return (max(times, default=None), len(self.by_id))


def _build() -> Tree:
    rows = db.session.execute(select(*_COLUMNS).order_by(
        Category.position, Category.name_en, Category.id)).all()
    by_id = {row.id: Node(**row._asdict()) for row in rows}
    for node in by_id.values():  # in display order, so children come out sorted
        parent = by_id.get(node.parent_id) if node.parent_id is not None else None
        if parent is not None:
            node.parent = parent
            parent.children.append(node)
    top = [n for n in by_id.values() if n.parent_id is None and n.is_active]
    return Tree(by_id, {n.slug: n for n in by_id.values()}, top)


def tree() -> Tree:
    return memo.reference(("category_tree",), _build)


def forget() -> None:
    """After a staff save: this process reads the tree again at once."""
    memo.forget_reference(current_app)


def active(slug: str) -> Node:
    """The active category `slug`. Raises NotFound."""
    node = tree().by_slug.get(slug) if isinstance(slug, str) else None
    if node is None or not node.is_active:
        raise NotFound()
    return node


def node(category_id: int | None) -> Node | None:
    """Any category by id (a product's, active or not), or None."""
    return tree().by_id.get(category_id) if category_id is not None else None


def subtree_ids(slug: str) -> list[int]:
    """The active category `slug` and every one below it, at any depth (a sub-category
    switched off for a while still lists its products under its parent). Raises NotFound."""
    return below(active(slug).id)


def below(category_id: int) -> list[int]:
    """`category_id` and every category below it, active or not, at any depth (just the id
    when it names no category)."""
    by_id = tree().by_id
    ids, todo, seen = [], [category_id], set()
    while todo:
        current = todo.pop()
        if current in seen:  # a parent loop in bad data ends here
            continue
        seen.add(current)
        ids.append(current)
        if current in by_id:
            todo.extend(child.id for child in by_id[current].children)
    return ids


def trail(category: Node | None) -> list[Node]:
    """The path from the top category down to `category`; stops at a parent loop."""
    path: list[Node] = []
    while category is not None and category not in path:
        path.append(category)
        category = category.parent
    return list(reversed(path))
