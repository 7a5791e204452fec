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
"""

from __future__ import annotations

from flask import g, request
from flask.globals import request_ctx

PRIVATE = "private, no-store"

# Blueprints (and the blueprints nested in them) whose every answer concerns one person.
PERSONAL_BLUEPRINTS = frozenset({"accounts", "checkout", "orders", "payments",
                                 "payment_slips", "support", "staff", "api"})


def mark_personal() -> None:
    """This answer carries something of this visitor's own: never to be cached."""
    g.personal_answer = True


def is_personal() -> bool:
    if request.endpoint == "static":
        return False  # the app's own CSS, scripts and icons: everyone's
    if g.get("personal_answer") or g.get("flask_httpauth_user") is not None:
        return True
    if any(name.split(".")[0] in PERSONAL_BLUEPRINTS for name in request.blueprints):
        return True
    if request_ctx.flashes:  # messages shown to this visitor once (get_flashed_messages)
        return True
    return _signed_in()


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
        response.headers["Cache-Control"] = PRIVATE
        response.headers.pop("Expires", None)
        return response
