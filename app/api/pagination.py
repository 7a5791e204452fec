"""Lists come in pages: `?page=1&per_page=24` (at most 100) answers
`{"items": [...], "page": 1, "per_page": 24, "total": 312}`.

A bad `page` or `per_page` (0, -1, 101, "abc") is a 422 like any other wrong input, never a
silently corrected value: a client with a paging bug should hear about it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_PER_PAGE = 24
MAX_PER_PAGE = 100
# Far beyond any real list, and small enough that page * per_page fits every SQL integer.
MAX_PAGE = 1_000_000

Item = TypeVar("Item")


class PageQuery(BaseModel):
    """The query string of a list. Other parameters (a list's own filters) are ignored here."""

    model_config = ConfigDict(extra="ignore")

    page: int = Field(1, ge=1, le=MAX_PAGE, description="1 is the first page.")
    per_page: int = Field(DEFAULT_PER_PAGE, ge=1, le=MAX_PER_PAGE)

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


class Page(BaseModel, Generic[Item]):
    """One page of a list. Subclass it per item type (`class AddressPage(Page[AddressOut])`)
    so the OpenAPI document gets a plain schema name."""

    items: list[Item]
    page: int
    per_page: int
    total: int = Field(description="Items in the whole list, on every page.")


def page_of(items: Sequence, query: PageQuery) -> dict:
    """The page `query` asks for, out of a list already in memory (a short list: an
    address book). Long lists page in the database: the service takes `offset` and
    `per_page` and returns the page with the total."""
    return {"items": list(items[query.offset:query.offset + query.per_page]),
            "page": query.page, "per_page": query.per_page, "total": len(items)}
