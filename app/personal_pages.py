"""Personal answers are never kept by a browser's cache or a shared proxy: one rule, here,
for every response of the app (pages, fragments, redirects, error pages and the API).

An answer is personal, and gets `Cache-Control: private, no-store`, when
- it comes from a blueprint that is about one person whoever asks: the account pages and
  their addresses, the cart and checkout, orders (a guest's by their link too), payments,
  transfer slips, support, the back office and the JSON API (its tokens, `me`, cart,
  checkout, orders, support); or
- someone is signed in (a session) or the API caller sent a token: the page shows their
  name, their cart, their messages; or
- the view said so with `mark_personal()`: the header's cart count for a visitor with a
  cart, or a flash message shown once to this visitor.

A view that declares its answer `public` (the catalogue API, pictures, static files) keeps
its own header: it promises the answer is the same for everyone. Anonymous catalogue pages
are left as they are, so the page cache (app/page_cache.py) and shared caches keep working
for the visits that are alike.

One exception: a storefront page whose ETag names this visitor (app/revalidation.py: the
product and category pages) gets `private, no-cache` instead. Why a signed-in customer's
product page may be kept by their own browser: what it shows of them is the header (their
cart's count, "My account" and "Sign out", no name) and their CSRF token, and the ETag
names all of it (who is signed in, the cart count, a hash of the CSRF secret), so the
browser asks every time (`no-cache`) and is sent the page again as soon as any of it
changes, or someone else signs in; `private` keeps it out of every shared cache. What it
risks: someone later using the same browser profile may find in its history a product page
with the previous customer's cart count, and nothing else of theirs. In exchange a
signed-in customer (and a guest with a cart) revisiting a page gets a 304 instead of the
page, as everyone else does. It never applies to the personal blueprints above (always
`no-store`), to an API caller, or to an answer that showed a flash message.
"""

from __future__ import annotations

from flask import g, request
from flask.globals import request_ctx

PRIVATE = "private, no-store"
REVALIDATED = "private, no-cache"

# Blueprints (and the blueprints nested in them) whose every answer concerns one person.
PERSONAL_BLUEPRINTS = frozenset({"accounts", "checkout", "orders", "payments",
                                 "payment_slips", "support", "staff", "api"})


def mark_personal() -> None:
    """This answer carries something of this visitor's own: never to be cached."""
    g.personal_answer = True


def revalidated() -> None:
    """This answer carries an ETag that names this visitor (app/revalidation.py)."""
    g.revalidated_answer = True


def is_personal() -> bool:
    if request.endpoint == "static":
        return False  # the app's own CSS, scripts and icons: everyone's
    if g.get("personal_answer") or g.get("flask_httpauth_user") is not None:
        return True
    if _personal_blueprint():
        return True
    if request_ctx.flashes:  # messages shown to this visitor once (get_flashed_messages)
        return True
    return _signed_in()


def _personal_blueprint() -> bool:
    return any(name.split(".")[0] in PERSONAL_BLUEPRINTS for name in request.blueprints)


def _revalidated(response) -> bool:
    """May this personal answer be kept by the visitor's own browser (see the module)?"""
    return (bool(g.get("revalidated_answer")) and response.get_etag()[0] is not None
            and g.get("flask_httpauth_user") is None and not _personal_blueprint()
            and not request_ctx.flashes)


def _signed_in() -> bool:
    # The user Flask-Login has looked up for this request, if it has: a page that shows
    # anything of a signed-in customer's looked them up. Not looking them up here keeps the
    # session untouched, so public answers do not gain a `Vary: Cookie`.
    user = g.get("_login_user")
    return user is not None and bool(user.is_authenticated)


def init_app(app) -> None:
    @app.after_request
    def _no_store_when_personal(response):
        if not is_personal():
            return response
        declared = response.headers.get("Cache-Control", "")
        if "public" in declared.lower():
            return response  # the view vouches the answer is everyone's
        response.headers["Cache-Control"] = REVALIDATED if _revalidated(response) else PRIVATE
        response.headers.pop("Expires", None)
        return response
