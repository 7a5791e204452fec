"""Signing a browser in and out: the cookie side of app.accounts.sessions, for the shop's
and the back office's pages."""

from __future__ import annotations

from flask import session
from flask_login import current_user, login_user, logout_user

from app.accounts import sessions
from app.accounts.models import User
from app.web import fresh_session


def sign_in(user: User, *, kind: str, remember: bool = False) -> None:
    """A new server-side session in a new cookie (no fixation). Signing in over another
    sign-in ends the older session."""
    _end_current()
    fresh_session()
    login_user(sessions.start(user, kind=kind, remember=remember), remember=remember)


def sign_out() -> None:
    """End this browser's session on the server, so a copy of its cookie opens nothing, and
    empty the cookie, the remember-me cookie included."""
    _end_current()
    logout_user()
    # logout_user asks for the remember-me cookie to be deleted through a session key,
    # which a fresh session must carry over or the cookie outlives the sign-out.
    remember = session.get("_remember")
    fresh_session()
    if remember:
        session["_remember"] = remember


def _end_current() -> None:
    if current_user.is_authenticated:
        sessions.end(current_user.session_key)
