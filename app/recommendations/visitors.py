"""Who a request's events belong to: the signed-in customer, or a signed-out visitor known by
a random first-party cookie (`kade_visitor`, 13 months, HttpOnly), set only when an event is
recorded for someone without one. Staff browsing the shop are not shoppers: nothing is
recorded for them. At sign-in, the visitor's events become the customer's."""

from __future__ import annotations

import atexit
import re
import secrets
import weakref

from flask import g, request
from flask_login import current_user, user_logged_in

from app.checkout import signals as cart_signals
from app.recommendations import tracking

COOKIE = "kade_visitor"
MAX_AGE = 396 * 24 * 3600  # 13 months, as long as events are kept
_VISITOR = re.compile(r"^[0-9a-f]{32}$")
_NEW = "kade_new_visitor"


def init_app(app) -> None:
    app.after_request(_give_cookie)
    if app.config.get("REDIS_URL"):
        _with_redis.add(app)  # what a web process still holds goes to Redis at its exit
    user_logged_in.connect(_join, app)
    cart_signals.item_added.connect(_cart_add)


def _cart_add(_sender, *, variant_id: int, quantity: int) -> None:
    record_here("cart_add", variant_id=variant_id, quantity=quantity)  # buffered: never slow


def visitor_id() -> str | None:
    """The visitor's id from their cookie (None when absent or not one of ours)."""
    value = request.cookies.get(COOKIE, "")
    return value if _VISITOR.fullmatch(value) else None


def record_here(kind: str, **fields) -> bool:
    """Record an event for whoever makes this request (see tracking.record). Never raises."""
    if not tracking.recording():
        return False  # and no visitor cookie either
    try:
        if current_user.is_authenticated:
            if current_user.is_staff or not tracking.personalised(current_user.id):
                return False
            return tracking.record(kind, customer_id=current_user.id, **fields)
        visitor = visitor_id() or g.setdefault(_NEW, secrets.token_hex(16))
        return tracking.record(kind, visitor_id=visitor, **fields)
    except Exception:  # noqa: BLE001 — bookkeeping never breaks a page
        tracking.log.warning("shopper_event_dropped", exc_info=True)
        return False


# Weakly: an app a test made and dropped is not kept alive for the process's exit.
_with_redis: weakref.WeakSet = weakref.WeakSet()


@atexit.register
def _push_at_exit() -> None:
    for app in list(_with_redis):
        try:
            with app.app_context():
                tracking.push_held(quiet=True)
        except Exception:  # noqa: BLE001, S112 — on its way out, logging may be gone too
            continue


def _give_cookie(response):
    new = g.pop(_NEW, None)
    if new and not visitor_id():
        from flask import current_app

        response.set_cookie(COOKIE, new, max_age=MAX_AGE, httponly=True, samesite="Lax",
                            secure=current_app.config.get("SESSION_COOKIE_SECURE", False))
    return response


def _join(_app, user, **_extra) -> None:
    if getattr(user, "is_staff", False):
        return
    try:
        tracking.join_visitor(visitor_id(), user.id)
    except Exception:  # noqa: BLE001 — signing in must not fail over bookkeeping
        tracking.log.warning("shopper_events_not_joined", exc_info=True)
