"""Signed-in sessions with an identity on the server.

A browser that signs in gets a random key; its SHA-256 hash is a `LoginSession` row and the
key itself is what Flask-Login keeps in the session cookie (and the remember-me cookie). Every
request looks the row up, so ending a row ends that browser's sign-in at once, wherever the
cookie has been copied to. A customer's session lasts CUSTOMER_SESSION_DAYS; a staff session
STAFF_SESSION_HOURS from its sign-in, however busy (the back office's idle limit comes on top,
in app/backoffice/guards.py).

The lookup is the one query a signed-in page costs for its visitor. What other domains ask of
the visitor on every page comes in that same query (app/accounts/read_along.py).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets

from flask import current_app
from sqlalchemy import bindparam, delete, func, or_, select, update

from app import db, prepared
from app.accounts import read_along
from app.accounts.models import ApiToken, LoginSession, User
from app.audit import services as audit
from app.db import transaction, utcnow

log = logging.getLogger(__name__)

CUSTOMER = "customer"
STAFF = "staff"
# Ended and expired rows are kept this long (what "your sessions" and an investigation
# might want), then deleted by `purge_ended`.
KEPT_AFTER_END = dt.timedelta(days=30)
_KEY_MAX_LENGTH = 100  # our keys are 43 characters; anything longer is not one


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def lifetime(kind: str) -> dt.timedelta:
    config = current_app.config
    if kind == STAFF:
        return dt.timedelta(hours=config["STAFF_SESSION_HOURS"])
    return dt.timedelta(days=config["CUSTOMER_SESSION_DAYS"])


def start(user: User, *, kind: str, remember: bool = False) -> User:
    """Begin a session for `user`; returns the user with `session_key` set, ready for
    Flask-Login's login_user. Staff sessions are never remembered."""
    if kind not in (CUSTOMER, STAFF):
        raise ValueError(f"unknown session kind {kind!r}")
    key = secrets.token_urlsafe(32)
    with transaction():
        db.session.add(LoginSession(
            user_id=user.id, key_hash=key_hash(key), kind=kind,
            remember=remember and kind == CUSTOMER, session_version=user.session_version,
            expires_at=utcnow() + lifetime(kind)))
    user.session_key = key
    return user


def _live(now: dt.datetime):
    return (LoginSession.ended_at.is_(None), LoginSession.expires_at > now)


# The user's columns, for the lookups that make the user from a prebuilt row (and tokens').
USER_ROW = prepared.entity(User)
# The lookup's statement: the key's hash and the time are its parameters.
_SIGNED_IN_USER = read_along.Lookup(lambda along: (
    select(*USER_ROW.columns, LoginSession.kind, *along)
    .join(LoginSession, LoginSession.user_id == User.id)
    .where(LoginSession.key_hash == bindparam("key_hash"),
           *_live(bindparam("now")),
           LoginSession.session_version == User.session_version,
           User.is_active.is_(True))), bearer=False)


def user_for(key: str) -> User | None:
    """Flask-Login's loader: the user of a live session, or None (ended, expired, the
    account switched off or its sessions ended since). One query, which also reads what
    other domains registered in app/accounts/read_along.py; the user is made from its row
    (prepared.adopt), as the bearer token's is."""
    if not key or len(key) > _KEY_MAX_LENGTH or not key.isascii():
        return None
    statement, names = _SIGNED_IN_USER.statement()
    found = prepared.rows(statement, {"key_hash": key_hash(key), "now": utcnow()})
    if not found:
        return None
    width = len(USER_ROW.columns)
    kind, *values = found[0][width:]
    user = prepared.adopt(USER_ROW, found[0][:width])
    if kind == STAFF and not user.is_staff:
        return None
    user.session_key = key
    read_along.deliver(user, names, values)
    return user


def end(key: str | None) -> None:
    """Sign-out of one browser. Safe to repeat; an unknown key changes nothing."""
    if not key or len(key) > _KEY_MAX_LENGTH or not key.isascii():
        return
    with transaction():
        db.session.execute(update(LoginSession)
                           .where(LoginSession.key_hash == key_hash(key),
                                  LoginSession.ended_at.is_(None))
                           .values(ended_at=utcnow()))


def end_all(user: User, *, reason: str, actor_id: int | None = None,
            ip: str | None = None) -> None:
    """End every session and API token of `user` (joins the caller's transaction): a
    password change or reset, a role change, erasure, a deactivated or reset staff account,
    or the person's own "sign out everywhere". The session version moves on too, so a reset
    link or a pending staff sign-in made before stops working as well."""
    now = utcnow()
    with transaction():
        user.session_version += 1
        db.session.execute(update(LoginSession)
                           .where(LoginSession.user_id == user.id,
                                  LoginSession.ended_at.is_(None))
                           .values(ended_at=now))
        db.session.execute(update(ApiToken)
                           .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
                           .values(revoked_at=now))
        audit.record("sessions.end_all", actor_id=actor_id, target_type="user",
                     target_id=user.id, ip=ip, reason=reason)
    log.info("sessions_ended", extra={"user_id": user.id, "reason": reason})


def sign_out_everywhere(user_id: int, *, ip: str | None = None) -> User:
    """The person's own "sign out everywhere": every browser and app signs in again."""
    with transaction():
        user = db.session.get(User, user_id)
        end_all(user, reason="everywhere", actor_id=user.id, ip=ip)
    return user


def live_sessions(user_id: int) -> list[LoginSession]:
    """The user's sessions still in use, newest first (the account and security pages)."""
    user = db.session.get(User, user_id)
    return list(db.session.scalars(
        select(LoginSession).where(LoginSession.user_id == user_id, *_live(utcnow()),
                                   LoginSession.session_version == user.session_version)
        .order_by(LoginSession.created_at.desc(), LoginSession.id.desc())))


def live_token_families(user_id: int) -> int:
    """How many app sign-ins (API refresh-token families) are still live."""
    now = utcnow()
    return db.session.scalar(
        select(func.count(ApiToken.family.distinct())).where(
            ApiToken.user_id == user_id, ApiToken.kind == "refresh",
            ApiToken.revoked_at.is_(None), ApiToken.used_at.is_(None),
            ApiToken.expires_at > now)) or 0


def purge_ended() -> int:
    """Delete sessions ended or expired more than KEPT_AFTER_END ago. Returns how many."""
    cutoff = utcnow() - KEPT_AFTER_END
    with transaction():
        deleted = db.session.execute(delete(LoginSession).where(or_(
            LoginSession.ended_at < cutoff, LoginSession.expires_at < cutoff))).rowcount
    return deleted
