"""Parts of the layout rendered once and kept: the header's links, its language menu, the
search box and the footer.

Why: every page pays for its layout, and most of the layout is the same on every page for
everyone in a language: some forty template calls (links, translated labels, the language
buttons, the shop's details). Rendering them cost a product page about a tenth of its CPU
(bench/README.md). A part wrapped in `{% call kept("name", key...) %}…{% endcall %}` is
rendered once per language and key, kept with the shop's reference data (app.memo:
REFERENCE_CACHE_SECONDS, forgotten at once by a staff save in the process that made it; once
a request when 0, as in the tests), and used as it is by the pages that follow. Unlike the
page cache (app/page_cache.py), this serves the first visitor of every page, the signed-in
customer included: what it keeps is the layout, never a page's content.

The key names everything the part shows that is not the same for everyone: the template
passes it (the shop's details, who is signed in, the page the footer marks as current); the
language and the app's root are always part of it. What differs on every request is put in
its place on every use, from markers the part is rendered with:

- the CSRF token and the CSP nonce (app/page_cache.py's own markers: a page rendered for the
  page cache keeps them as markers, to be filled for each of its visitors);
- `return_to()`: the address the language buttons come back to, the page's own;
- `searched()`: the words in the search box.

Each is escaped as the template would have escaped it. A part must use nothing else that
varies between requests; tests/ops/test_layout_parts.py holds kept parts equal to parts
rendered afresh, for each kind of visitor and language.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from flask import g, request, url_for
from jinja2 import pass_context
from markupsafe import Markup, escape

from app import memo, page_cache
from app.i18n import current_language

RENDERING = "kade_layout_rendering"
NEXT_MARK = "KADE-LAYOUT-NEXT-3f9a"
SEARCH_MARK = "KADE-LAYOUT-SEARCH-3f9a"
_MARKS = re.compile("(" + "|".join(re.escape(mark) for mark in (
    page_cache.CSRF_MARK, page_cache.NONCE_MARK, NEXT_MARK, SEARCH_MARK)) + ")")


def init_app(app) -> None:
    app.jinja_env.globals.update(kept=kept, return_to=return_to, searched=searched)


@pass_context
def kept(context, name: str, *key: object, caller: Callable[[], str]) -> Markup:
    """The part `caller` renders, kept per language, app root and `key` (see above)."""
    pieces = memo.reference(("layout", name, current_language(), request.script_root, *key),
                            lambda: _render(caller), kept_in=memo.LAYOUT)
    # The pieces are the template's own output, escaped as it rendered them; the values put
    # at the markers are escaped here.
    if len(pieces) == 1:
        return Markup(pieces[0])  # noqa: S704
    filled = list(pieces)
    for index in range(1, len(filled), 2):  # the markers sit at the odd places
        filled[index] = _value_of(filled[index], context)
    return Markup("".join(filled))  # noqa: S704


def _render(caller: Callable[[], str]) -> tuple[str, ...]:
    """The part with markers where the request's own values go, split around them."""
    was_page, was_layout = g.get("page_cache_rendering"), g.get(RENDERING)
    g.page_cache_rendering = True  # csrf_token() and csp_nonce() give their markers
    setattr(g, RENDERING, True)
    try:
        return tuple(_MARKS.split(str(caller())))
    finally:
        g.page_cache_rendering = was_page
        setattr(g, RENDERING, was_layout)


def _value_of(mark: str, context) -> str:
    if mark == page_cache.CSRF_MARK:
        return str(escape(page_cache.csrf_token()))
    if mark == page_cache.NONCE_MARK:
        return str(escape(page_cache.template_nonce()))
    if mark == NEXT_MARK:
        return str(escape(_return_path()))
    return str(escape(_search_query(context)))


def return_to() -> str:
    """The address a form in the layout comes back to: this page's own (the language
    buttons); the marker while a kept part is rendered."""
    return NEXT_MARK if g.get(RENDERING) else _return_path()


@pass_context
def searched(context) -> str:
    """The words in the search box, the page's `search_query`; the marker while a kept part
    is rendered."""
    return SEARCH_MARK if g.get(RENDERING) else _search_query(context)


def _search_query(context) -> str:
    words = context.get("search_query")
    return words if isinstance(words, str) else ""


def _return_path() -> str:
    return request.full_path if request.method == "GET" else url_for("pages.home")
