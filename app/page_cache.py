"""A short-lived cache of rendered storefront pages for visitors who are not signed in, and
of the JSON API's public catalogue answers.

Why: a product, category or search page costs several queries and a template render, and
most visits to them are anonymous and identical. Kept for PAGE_CACHE_SECONDS (production:
10 s; 0, the default elsewhere, turns it off), the stock shown may lag that long (checkout
checks stock again) and a staff edit shows within that time.

What differs per visitor is put back on every hit: the CSRF token, the CSP nonce and the
cart link. The page is rendered once with markers in their place (`rendering()`), kept, and
each hit replaces the markers with this request's values. Nothing else may differ, so:

- only GET requests from visitors who are not signed in, with no flash message waiting;
- the key is the host, the path with its query, the language (the API's own, from
  Accept-Language, comes as `vary`) and the htmx request kind;
- only 200 answers are kept; a view's side effects that must happen on every visit (the
  product page remembers it was viewed) run from the `extra` the view stored with the page.

Two levels: per process, bounded (least recently used goes first), no network round trip;
then, with REDIS_URL, Redis (app/shared_pages.py), where a page one process rendered serves
every other process and machine for the rest of its time. No invalidation: the time limit
is the rule. A view's `extra` must be JSON (an id), to travel through Redis.

Pages that answer conditional requests (app/revalidation.py) give a `validator`: the page's
own part of its ETag is made before the page is rendered and kept with it, so a hit carries
the ETag of the page it serves, and a visitor whose copy is that page gets a 304 from the
cache without the page being personalised.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app, g, make_response, render_template, request, session
from flask_login import current_user

from app import revalidation
from app.i18n import current_language
from app.memo import TTLCache, seconds as lag_seconds
from app.ops import metrics
from app.shared_pages import shared_pages

CSRF_MARK = "KADE-PAGE-CACHE-CSRF-3f9a"
NONCE_MARK = "KADE-PAGE-CACHE-NONCE-3f9a"
CART_MARK = "<!--kade-page-cache-cart-link-->"
MAX_ENTRIES = 256


@dataclass(frozen=True)
class Entry:
    body: str
    headers: tuple[tuple[str, str], ...]
    extra: object
    tag: str | None = None  # the page's own part of its ETag (app/revalidation.py)


def _store(app) -> TTLCache:
    return app.extensions.setdefault("kade_page_cache", TTLCache(MAX_ENTRIES))


def rendering() -> bool:
    """True while a page is rendered for the cache: templates put markers, not values."""
    return bool(g.get("page_cache_rendering"))


def csrf_token() -> str:
    """The template global `csrf_token()`: Flask-WTF's token, or the marker while rendering
    a page to keep. A page asks for it three times or more: Flask-WTF's answer is kept for
    the request (as Flask-WTF itself keeps it, in fewer lookups)."""
    if rendering():
        return CSRF_MARK
    found = g.get("_kade_csrf_token")
    if found is None:
        from flask_wtf.csrf import generate_csrf

        found = g._kade_csrf_token = generate_csrf()
    return found


def template_nonce() -> str:
    """The nonce for a template: a marker while rendering a page to keep (each visitor's own
    nonce is put there on every hit)."""
    from app.headers import nonce

    return NONCE_MARK if rendering() else nonce()


def _eligible() -> bool:
    if request.method != "GET" or current_user.is_authenticated:
        return False
    # Peek without consuming: a flash waiting for this page makes it personal.
    return not session.get("_flashes")


def _key(vary: str) -> tuple:
    return (request.host, request.full_path, current_language(), vary,
            request.headers.get("HX-Request"), request.headers.get("HX-Boosted"))


# What a kept answer keeps of its headers: the rest (cookies, request ids, security headers)
# belongs to the request that made it, and is made again for each hit.
KEPT_HEADERS = frozenset({"content-type", "vary", "cache-control"})


def serve(produce: Callable[[], tuple[object, object]],
          on_hit: Callable[[object], None] = lambda _extra: None, *, vary: str = "",
          validator: revalidation.Validator | None = None):
    """The page from the cache, or `produce()`d and kept. `produce` returns (response,
    extra); `on_hit(extra)` runs for every visit served, cached or not, for the view's
    side effects (none by default). `vary` names what else the answer depends on beyond
    the URL and the pages' language (the API's Accept-Language). `validator`: for a page
    that answers conditional requests, returns (its tag, extra) without rendering, or None
    (app/revalidation.py)."""
    keep = lag_seconds()
    if not keep or not _eligible():
        return revalidation.answer(produce, validator, on_hit)
    conditional = validator is not None and revalidation.eligible()
    store, shared = _store(current_app), shared_pages(current_app)
    key = _key(vary)
    entry = store.get(key) or _from_shared(shared, store, key)
    metrics.page_cache_lookup(entry is not None)
    if entry is not None:
        on_hit(entry.extra)
        unchanged = revalidation.not_modified(entry.tag) if conditional else None
        if unchanged is not None:
            return unchanged
        return revalidation.mark(_personal(entry.body, _response(entry)),
                                 entry.tag if conditional else None)
    # Made before the page is: a change meanwhile shows in the page, not in the tag, and
    # the visitor's next visit fetches the page again.
    tag, known_extra = (validator() if conditional else None) or (None, None)
    unchanged = revalidation.not_modified(tag)
    if unchanged is not None:
        on_hit(known_extra)
        return unchanged
    g.page_cache_rendering = True
    try:
        response, extra = produce()
    finally:
        g.page_cache_rendering = False
    if response.status_code != 200:
        on_hit(extra)
        return _personal(response.get_data(as_text=True), response)
    entry = Entry(body=response.get_data(as_text=True),
                  headers=tuple((k, v) for k, v in response.headers.items()
                                if k.lower() in KEPT_HEADERS),
                  extra=extra, tag=tag)
    store.put(key, entry, keep)
    if shared is not None:
        shared.put(key, {"body": entry.body, "headers": entry.headers,
                         "extra": entry.extra, "tag": entry.tag}, keep)
    on_hit(entry.extra)
    return revalidation.mark(_personal(entry.body, _response(entry)), tag)


def _response(entry: Entry):
    response = make_response(entry.body)
    for name, value in entry.headers:
        response.headers[name] = value
    return response


def _from_shared(shared, store: TTLCache, key: tuple) -> Entry | None:
    """The page another process kept in Redis (app/shared_pages.py), now kept here too for
    the rest of its time."""
    found = shared.get(key) if shared is not None else None
    if found is None:
        return None
    page, seconds_left = found
    entry = Entry(body=page["body"], headers=tuple(tuple(pair) for pair in page["headers"]),
                  extra=page["extra"], tag=page.get("tag"))
    store.put(key, entry, seconds_left)
    return entry


def cart_link_from(app, make: Callable[[], str]) -> None:
    """How this app makes the header's cart link for a kept page (checkout's, handed over
    when the app is built; this module cannot import checkout). Without one, the link's
    template is rendered."""
    app.extensions["kade_cart_link"] = make


def _cart_link() -> str:
    make = current_app.extensions.get("kade_cart_link")
    return make() if make is not None else render_template("checkout/_cart_link.html")


def _personal(body: str, response):
    """Put this visitor's token, nonce and cart link where the markers are."""
    from flask_wtf.csrf import generate_csrf

    from app.headers import nonce

    if CSRF_MARK in body:
        body = body.replace(CSRF_MARK, generate_csrf())
    if NONCE_MARK in body:
        body = body.replace(NONCE_MARK, nonce())
    if CART_MARK in body:
        body = body.replace(CART_MARK, _cart_link())
    response.set_data(body)
    return response


def clear(app) -> None:
    _store(app).clear()
    shared = shared_pages(app)
    if shared is not None:
        shared.clear()
