"""Who may open a back-office page. Every staff route carries one of these decorators; the
blueprint refuses a route that has none (see `_every_route_is_guarded`), so a forgotten guard
fails closed. Services check permissions again: these only keep people out of pages."""

from __future__ import annotations

import functools
import time

from flask import abort, current_app, request, session, url_for
from flask_login import current_user

from app.pages.errors import MESSAGES, TITLES
from app.security.roles import Permission, can
from app.web import redirect_to, render

# Set only after the second factor; holds the Flask-Login id it was set for (`<id>.<version>`),
# so a session restored any other way (a remember cookie) does not count as verified.
VERIFIED_KEY = "staff_2fa"
# When the staff member last opened a back-office page (epoch seconds). A back-office session
# left alone longer than STAFF_IDLE_MINUTES needs the password and code again: a shop counter
# computer is shared, and staff can refund money.
SEEN_KEY = "staff_seen"


def mark_verified(user) -> None:
    session[VERIFIED_KEY] = user.get_id()
    session[SEEN_KEY] = int(time.time())


def staff_verified() -> bool:
    """Signed in as staff, through the staff sign-in with its code, in this session, and
    active within the idle limit."""
    idle_limit = current_app.config["STAFF_IDLE_MINUTES"] * 60
    return bool(current_user.is_authenticated and current_user.is_staff
                and session.get(VERIFIED_KEY) == current_user.get_id()
                and time.time() - session.get(SEEN_KEY, 0) <= idle_limit
                and can(current_user.role, Permission.VIEW_BACKOFFICE))


def error_page(status: int, message=None):
    """An error inside the back-office shell (navigation stays), for verified staff."""
    return render("staff/error.html", status=status, code=status,
                  title=TITLES.get(status, TITLES[500]),
                  message=message or MESSAGES.get(status, MESSAGES[500]))


def _send_to_sign_in():
    if request.method in ("GET", "HEAD"):
        target = request.full_path.rstrip("?")
        return redirect_to(url_for("staff.login", next=target))
    abort(403)


def public(view):
    """Open to anyone: the sign-in steps and sign-out."""
    view.staff_access = "public"
    return view


def requires(permission: Permission):
    """Verified staff whose role grants `permission`; others go to the sign-in (GET) or get
    403, and staff without the permission get the 403 page."""

    def decorate(view):
        @functools.wraps(view)
        def guarded(*args, **kwargs):
            if not staff_verified():
                return _send_to_sign_in()
            session[SEEN_KEY] = int(time.time())
            if not can(current_user.role, permission):
                return error_page(403)
            return view(*args, **kwargs)

        guarded.staff_access = permission
        return guarded

    return decorate


staff_required = requires(Permission.VIEW_BACKOFFICE)
