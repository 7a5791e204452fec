"""Conditional requests for storefront pages: a phone that kept a product or category page
asks again with `If-None-Match`, and gets `304 Not Modified`, no body, when nothing it would
see has changed, answered before the page is rendered.

A page's ETag names everything the page shows, in two parts:

- the page's own (`page_tag`): the view's validator (app/catalog/versions.py: a product's
  change time and units available, a category's newest change …), made with a query or two
  of small columns *before* the page is rendered, so that a page is never labelled newer
  than it is; with what every such page shares: the deploy (a hash of the code, templates,
  translations and static files, made once at start), the language, the htmx request kind
  (fragment or page), the host and address, and the parts other domains register
  (`add_page_part`: the promotions' badges, the shop's details in the footer). The page
  cache keeps this part with the page it keeps (app/page_cache.py).
- the visitor's own, made for each answer: who is signed in, a hash of the session's CSRF
  secret (the token in a kept page's forms works as long as that secret does:
  WTF_CSRF_TIME_LIMIT is None; the secret itself never goes out), and the parts other
  domains register (`add_visitor_part`: the header's cart count). These are what the page
  cache puts back into a kept page for each visitor; the CSP nonce is not one of them (see
  below).

ETags are weak (W/"…"): two answers' bytes differ (each has its own CSP nonce and freshly
signed CSRF token) while what they say is the same. app/compression.py adds `-br` or `-gzip`
to a compressed answer's ETag; a revalidation naming any of these forms matches.

Never for a page with a flash message waiting (it is shown once: no ETag, no 304), nor for
anything but GET and HEAD. A 304 carries the ETag, Cache-Control and Vary the page had and
no Content-Security-Policy: a browser merges a 304's headers into the page it kept, whose
scripts carry the old nonce (app/headers.py sends none with a 304).

Cache-Control: `no-cache` (keep it, but ask every time) for visitors who are not signed in;
`private, no-cache` when the answer is the visitor's own (app/personal_pages.py says why).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

from flask import current_app, make_response, request, session
from flask_login import current_user

from app import compression, personal_pages
from app.headers import vary
from app.i18n import current_language

NO_CACHE = "no-cache"
CSRF_SESSION_KEY = "csrf_token"  # where Flask-WTF keeps the session's CSRF secret
CONFIG_SHOWN = ("PUBLIC_URL", "MEDIA_PUBLIC_URL", "KADE_ENV")  # settings pages print

Validator = Callable[[], "tuple[str, object] | None"]


# ---- what other domains add -----------------------------------------------------------------

def _parts(app) -> dict[str, list[Callable[[], object]]]:
    return app.extensions.setdefault("kade_revalidation", {"page": [], "visitor": []})


def add_page_part(app, part: Callable[[], object]) -> None:
    """Something every revalidated page shows, the same for every visitor (the footer's shop
    details, the promotions' badges): `part()`, called once per request before the page is
    rendered, must change whenever what the page shows of it does. Its value goes into the
    ETag through repr(): keep it deterministic (no sets of strings)."""
    _parts(app)["page"].append(part)


def add_visitor_part(app, part: Callable[[], object]) -> None:
    """Something every revalidated page shows of this visitor's own (the cart count): made
    again for each answer, cached page or not."""
    _parts(app)["visitor"].append(part)


# ---- the deploy ---------------------------------------------------------------------------------

def _source_files(app) -> list[Path]:
    code = Path(app.root_path)
    return sorted([*code.rglob("*.py"), *code.rglob("*.mo"),
                   *Path(app.template_folder).rglob("*")])


def deploy_version(app) -> str:
    """A hash of what makes a page besides the data: the code, the templates, the
    translations, the static files and the settings pages print. The same on every
    process and machine of one deploy (the files' bytes, not start times); made once at
    the first page, or from the files' times for each page in debug (edits without a
    restart)."""
    found = app.extensions.get("kade_deploy_version")
    if found is not None and not app.debug:
        return found
    digest = hashlib.sha256()
    for path in _source_files(app):
        if not path.is_file():
            continue
        digest.update(str(path.relative_to(Path(app.root_path).parent)).encode())
        if app.debug:
            stat = path.stat()
            digest.update(f"{stat.st_mtime_ns}:{stat.st_size}".encode())
        else:
            digest.update(path.read_bytes())
    statics = app.extensions.get("kade_static_hashes")
    if statics is not None:
        digest.update(repr(sorted(statics.hashes.items())).encode())
    digest.update(repr([app.config.get(name) for name in CONFIG_SHOWN]).encode())
    found = digest.hexdigest()[:16]
    app.extensions["kade_deploy_version"] = found
    return found


# ---- tags -----------------------------------------------------------------------------------

def _digest(values: list) -> str:
    return hashlib.sha256(repr(values).encode()).hexdigest()[:32]


def eligible() -> bool:
    """May this request be answered by a 304, and its page carry an ETag?"""
    if request.method not in ("GET", "HEAD"):
        return False
    # Peek without consuming: a flash waiting is shown once, on this page.
    return not session.get("_flashes")


def page_tag(*parts: object) -> str:
    """The page's own part of its ETag: the view's `parts` (what its page shows that
    changes) with what every page shares. Call before rendering the page."""
    app = current_app._get_current_object()
    shared = [deploy_version(app), current_language(), request.host_url,
              request.full_path, request.headers.get("HX-Request"),
              request.headers.get("HX-Boosted"),
              *(part() for part in _parts(app)["page"])]
    return _digest([*shared, *parts])


def _visitor() -> list:
    if current_user.is_authenticated:  # the account, not its session key (a secret)
        who = (getattr(current_user, "id", None), getattr(current_user, "role", None))
    else:
        who = None
    secret = session.get(CSRF_SESSION_KEY)
    csrf = (hashlib.sha256(secret.encode()).hexdigest()[:16] if isinstance(secret, str)
            else None)
    return [who, csrf, *(part() for part in _parts(current_app)["visitor"])]


def etag(tag: str) -> str:
    """The ETag of a page whose own part is `tag`, for this visitor as they are now."""
    return _digest([tag, _visitor()])


# ---- answers ------------------------------------------------------------------------------

def not_modified(tag: str | None):
    """A 304 when the request names this page's ETag as it stands for this visitor, in any
    of the forms compression gives it; else None."""
    if not tag or not request.if_none_match:
        return None
    current = etag(tag)
    for form in compression.etag_forms(current):
        if request.if_none_match.contains_weak(form):
            response = make_response("", 304)
            response.set_etag(form, weak=True)  # the one the browser kept
            _revalidated(response)
            return response
    return None


def mark(response, tag: str | None):
    """Give a page (200) its ETag and its Cache-Control. Call after rendering: rendering
    may have started the session's CSRF secret, which the ETag names."""
    if tag and response.status_code == 200:
        response.set_etag(etag(tag), weak=True)
        _revalidated(response)
    return response


def _revalidated(response) -> None:
    response.headers["Cache-Control"] = NO_CACHE
    vary(response, "HX-Request")  # as app.web.render says of the page itself
    personal_pages.revalidated()


def answer(produce: Callable[[], tuple[object, object]], validator: Validator | None,
           on_hit: Callable[[object], None] = lambda _extra: None):
    """A page that is not kept by the page cache: a 304 when the visitor's copy is current,
    else `produce()`d with its ETag. `validator()` returns (page_tag(...), extra) without
    rendering, or None (no such page, or no ETag to give); `produce()` returns (response,
    extra); `on_hit(extra)` runs either way (the view's side effects)."""
    checked = validator() if validator is not None and eligible() else None
    tag, extra = checked or (None, None)
    unchanged = not_modified(tag)
    if unchanged is not None:
        on_hit(extra)
        return unchanged
    response, extra = produce()
    on_hit(extra)
    return mark(response, tag)
