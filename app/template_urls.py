"""`url_for` for templates, with the URLs every page links to built once per process.

Each page's layout links to the same two dozen addresses: its stylesheets and scripts (with
their content hash, app/static_assets.py), the home page, the shop, sign in, the footer's
pages. Building one through Flask's routing costs several microseconds; a page paid that
some twenty times, for the same answers; a listing's cards as many again. These are kept: a
static file's URL, the URL of an endpoint called with no values, and, for an endpoint called
with one plain value (a product's or category's slug), the URL's two halves around it.
Everything else (a value Flask would quote, a relative `.endpoint`, `_external`, `_anchor` …)
is built by Flask as before.

The kept URL depends only on the endpoint (and the file), the host and the application root
the request came under, which are the key. Never kept outside a request (a mail's links are
absolute, for PUBLIC_URL), nor in debug, where a static file's hash follows its edits.
"""

from __future__ import annotations

import re

# The request's context variable itself, as Flask's own url_for reads it: `request` is a
# proxy whose every attribute costs a lookup, and this runs a couple of dozen times a page.
from flask.globals import _cv_request
from werkzeug.routing import BuildError

MAX_KEPT = 1024  # the layout's few dozen, with room; never more than this
_PLAIN = re.compile(r"[A-Za-z0-9-]+")  # what a URL carries as it is (so does every slug)
_SLOT = "kade0slot0value"  # stands for the value while the URL's halves are found


def init_app(app) -> None:
    build = app.url_for
    if app.debug:
        return
    kept: dict[tuple, str] = {}

    def url_for(endpoint: str, /, **values) -> str:
        context = _cv_request.get(None)
        if context is None or endpoint[:1] == ".":
            return build(endpoint, **values)
        if not values:
            name = None
        elif endpoint == "static" and len(values) == 1 and "filename" in values:
            name = values["filename"]
        elif len(values) == 1:
            return _with_one_value(context.request, endpoint, values)
        else:
            return build(endpoint, **values)
        request = context.request
        key = (request.host, request.script_root, endpoint, name)
        url = kept.get(key)
        if url is None:
            url = build(endpoint, **values)
            if len(kept) < MAX_KEPT:
                kept[key] = url
        return url

    shapes: dict[tuple, tuple[str, str] | None] = {}

    def _with_one_value(request, endpoint: str, values: dict) -> str:
        # A product's or a category's link (a card's, a breadcrumb's): the URL with one
        # value is kept as its two halves around that value, and a plain value (letters,
        # digits, hyphens: every slug) goes between them, as Flask's quoting leaves it as it
        # is. Anything else (a value to quote, a number for an int converter, `_external`
        # …) is built by Flask.
        (argument, value), = values.items()
        if not (isinstance(value, str) and _PLAIN.fullmatch(value)) or argument[:1] == "_":
            return build(endpoint, **values)
        key = (request.host, request.script_root, endpoint, argument)
        if key not in shapes:
            try:
                made = build(endpoint, **{argument: _SLOT})
            except (BuildError, ValueError, TypeError):  # a converter refused the stand-in
                made = ""
            halves = made.split(_SLOT)
            shape = (halves[0], halves[1]) if len(halves) == 2 else None
            if len(shapes) >= MAX_KEPT:
                return build(endpoint, **values)
            shapes[key] = shape
        shape = shapes[key]
        return build(endpoint, **values) if shape is None else shape[0] + value + shape[1]

    app.jinja_env.globals["url_for"] = url_for
