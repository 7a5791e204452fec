"""Search pages: /search (results with the listing's filters and sorts) and /search/suggest
(the live suggestions under the header's search box). Any query string gives a normal page:
an empty, punctuation-only or 5 000-character query is "nothing found", never an error."""

from __future__ import annotations

import dataclasses
import unicodedata

from flask import Blueprint, request, url_for
from flask_babel import gettext as _

from app import page_cache
from app.catalog import search, services as catalog
from app.catalog.views import PER_PAGE, listing_query, parse_listing_args
from app.db import reads_only
from app.errors import NotFound
from app.i18n import current_language
from app.web import render

bp = Blueprint("search", __name__)

SUGGESTIONS = 6
# Ten pages of the best matches. A broad word matches thousands of products; ranking more of
# them would cost every page of it, and a shopper who has not found it by then adds a word
# (the page says so: `found.more`).
RESULTS = 10 * PER_PAGE


def _query() -> str:
    # Shown back in the page and the search box: no longer than what is searched, without
    # control characters (a NUL would reach the page).
    raw = request.args.get("q", "")[:search.MAX_QUERY_CHARS]
    return " ".join("".join(" " if unicodedata.category(ch) == "Cc" else ch
                            for ch in raw).split())


def _category_arg() -> str | None:
    slug = request.args.get("category", "")
    if not slug or len(slug) > 80:
        return None
    try:
        return catalog.get_category(slug).slug
    except NotFound:
        return None  # a stale or made-up link: search everything rather than fail


@bp.get("/search")
@reads_only
def results():
    # The same for every visitor not signed in: the page cache may keep it (app/page_cache.py).
    return page_cache.serve(lambda: (_results(), None))


def _results():
    q = _query()
    filters, _sort, page_number = parse_listing_args(request.args, _category_arg())
    sort = request.args.get("sort", "relevance")
    if sort not in catalog.SORTS:
        sort = "relevance"
    found = search.search(q, limit=RESULTS)
    filters = dataclasses.replace(filters, product_ids=tuple(found.ids))
    page = catalog.list_products(filters, sort=sort, page=page_number, per_page=PER_PAGE)

    query = {"q": q, **({"category": filters.category} if filters.category else {}),
             **listing_query(filters, "newest")}
    if sort != "relevance":
        query["sort"] = sort

    def page_url(n: int) -> str:
        return url_for("search.results", **query, **({"page": n} if n > 1 else {}))

    hidden = {"q": q, **({"category": filters.category} if filters.category else {})}
    return render(
        "catalog/search.html", "catalog/_product_grid.html",
        q=q, search_query=q, found=found, page=page, page_url=page_url, filters=filters,
        sort=sort, sorts=[("relevance", _("Best match")), ("newest", _("Newest")),
                          ("price_asc", _("Price: low to high")),
                          ("price_desc", _("Price: high to low")), ("name", _("Name"))],
        facets=catalog.attribute_facets(filters) if found.ids else {},
        action=url_for("search.results"), hidden=hidden,
        category=catalog.get_category(filters.category) if filters.category else None,
        categories=catalog.category_tree() if not found.ids else [],
        empty_message=_("No products match these filters."))


@bp.get("/search/suggest")
@reads_only
def suggest():
    """Always the fragment: only the search box asks for it."""
    q = _query()
    suggestions = search.suggest(q, SUGGESTIONS, locale=current_language())
    return render("catalog/_suggestions.html", "catalog/_suggestions.html",
                  q=q, suggestions=suggestions)
