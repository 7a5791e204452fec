"""`url_for` for templates, with the URLs every page links to built once per process.

Each page's layout links to the same two dozen addresses: its stylesheets and scripts (with
their content hash, app/static_assets.py), the home page, the shop, sign in, the footer's
pages. Building one through Flask's routing costs several microseconds; a page paid that
some twenty times, for the same answers. These are kept: a static file's URL, and the URL of
an endpoint called with no values. Everything else (a product by its slug, a relative
`.endpoint`, `_external`, `_anchor` …) is built by Flask as before.

The kept URL depends only on the endpoint (and the file), the host and the application root
the request came under, which are the key. Never kept outside a request (a mail's links are
absolute, for PUBLIC_URL), nor in debug, where a static file's hash follows its edits.
"""

from __future__ import annotations

# The request's context variable itself, as Flask's own url_for reads it: `request` is a
# proxy whose every attribute costs a lookup, and this runs a couple of dozen times a page.
from flask.globals import _cv_request

MAX_KEPT = 1024  # the layout's few dozen, with room; never more than this


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

    app.jinja_env.globals["url_for"] = url_for
