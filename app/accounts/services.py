"""Customer accounts: register, verify email, sign in, passwords and profile.

Services take plain values and return models; they never read the request. Personal data is
sealed by the column types; lookups use blind indexes of the normalised value.
"""

from __future__ import annotations

import datetime as dt
import logging

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired
from sqlalchemy import func, select

from app import db
from app.accounts import sessions
from app.accounts.errors import (
    AccountLocked,
    EmailTaken,
    InvalidCredentials,
    InvalidToken,
    WeakPassword,
)
from app.accounts.models import User
from app.audit import services as audit
from app.db import transaction, utcnow
from app.errors import Invalid, NotFound
from app.links import external_url, serializer
from app.notifications import services as notifications
from app.security import passwords, pii

log = logging.getLogger(__name__)

VERIFY_MAX_AGE = 3 * 24 * 3600
RESET_MAX_AGE = 3600
# A hash to verify against when the email is unknown, so both paths take the same time.
_DUMMY_HASH = passwords.hash_password("not a real password, only for timing")


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def email_index(email: str) -> str:
    return pii.blind_index("email:" + normalise_email(email))


def phone_index(e164: str) -> str:
    return pii.blind_index("phone:" + e164)


def find_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email_index == email_index(email)))


def get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or user.erased_at is not None:
        raise NotFound()
    return user


def count_accounts() -> tuple[int, int]:
    """(customers, staff) with a live account."""
    live = User.erased_at.is_(None)
    customers = db.session.scalar(select(func.count()).where(live, User.role.is_(None)))
    staff_members = db.session.scalar(select(func.count()).where(live, User.role.is_not(None)))
    return customers, staff_members


def active_user(user_id, session_version) -> User | None:
    """The account if it is active and its sessions were not ended since `session_version`
    (a half-finished staff sign-in checks this between its two steps)."""
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or not user.is_active or user.session_version != session_version:
        return None
    return user


def _check_password_strength(password: str, *, name: str, email: str, phone: str) -> None:
    local_part = normalise_email(email).split("@")[0]
    problem = passwords.weakness(password, personal=(name, local_part, phone[-7:]))
    if problem:
        raise WeakPassword(problem, field="password")


def register(*, name: str, email: str, phone: str, password: str, locale: str = "en",
             ip: str | None = None) -> User:
    """Create an unverified customer and send the verification mail. Raises EmailTaken,
    WeakPassword. `phone` is already E.164 (forms and API normalise it)."""
    _check_password_strength(password, name=name, email=email, phone=phone)
    with transaction():
        if find_by_email(email):
            raise EmailTaken(field="email")
        user = User(name=name.strip(), email=normalise_email(email),
                    email_index=email_index(email), phone=phone, phone_index=phone_index(phone),
                    password_hash=passwords.hash_password(password), locale=locale)
        db.session.add(user)
        db.session.flush()
        audit.record("account.register", actor_id=user.id, target_type="user",
                     target_id=user.id, ip=ip)
        _queue_verification(user)
    log.info("account_registered", extra={"user_id": user.id})
    return user


_serializer = serializer
_external_url = external_url


def _queue_verification(user: User) -> None:
    token = _serializer("verify").dumps({"u": user.id, "e": user.email_index[:16]})
    notifications.queue_email(
        "verify_email", to=user.email, locale=user.locale, user_id=user.id,
        dedupe_key=f"verify:{user.id}:{user.email_index[:12]}:{int(utcnow().timestamp())}",
        name=user.name, link=_external_url("accounts.verify_email", token=token))


def resend_verification(user_id: int) -> None:
    with transaction():
        user = get_user(user_id)
        if not user.is_email_verified:
            _queue_verification(user)


def verify_email(token: str) -> User:
    """Mark the email verified. The link works once. Raises InvalidToken."""
    try:
        data = _serializer("verify").loads(token, max_age=VERIFY_MAX_AGE)
    except (BadSignature, SignatureExpired) as exc:
        raise InvalidToken() from exc
    with transaction():
        user = db.session.get(User, data.get("u"))
        if (user is None or user.erased_at or user.is_email_verified
                or (user.email_index or "")[:16] != data.get("e")):
            raise InvalidToken()
        user.email_verified_at = utcnow()
        audit.record("account.verify_email", actor_id=user.id, target_type="user",
                     target_id=user.id)
    return user


def authenticate(email: str, password: str, *, ip: str | None = None) -> User:
    """The user whose password this is. Wrong passwords count; after LOGIN_MAX_FAILURES in a
    row the account waits LOGIN_LOCK_SECONDS. Raises InvalidCredentials, AccountLocked."""
    config = current_app.config
    # A failure is recorded (audit entry, failure count) and committed before it is raised.
    failure = None
    with transaction():
        user = find_by_email(email)
        now = utcnow()
        if user is None or not user.is_active or not user.password_hash:
            passwords.verify_password(_DUMMY_HASH, password)
            audit.record("login.failed", actor_id=None, success=False, ip=ip,
                         reason="unknown_account")
            failure = InvalidCredentials()
        elif user.locked_until and user.locked_until > now:
            wait = int((user.locked_until - now).total_seconds()) + 1
            audit.record("login.locked", actor_id=user.id, target_type="user",
                         target_id=user.id, success=False, ip=ip)
            failure = AccountLocked(retry_after=wait)
        elif not passwords.verify_password(user.password_hash, password):
            user.failed_logins += 1
            if user.failed_logins >= config["LOGIN_MAX_FAILURES"]:
                user.locked_until = now + dt.timedelta(seconds=config["LOGIN_LOCK_SECONDS"])
                user.failed_logins = 0
                log.warning("account_locked", extra={"user_id": user.id})
            audit.record("login.failed", actor_id=user.id, target_type="user",
                         target_id=user.id, success=False, ip=ip, reason="wrong_password")
            failure = InvalidCredentials()
        else:
            if passwords.needs_rehash(user.password_hash):
                user.password_hash = passwords.hash_password(password)
            user.failed_logins = 0
            user.locked_until = None
            user.last_login_at = now
            audit.record("login.success", actor_id=user.id, target_type="user",
                         target_id=user.id, ip=ip, staff=user.is_staff)
    if failure:
        raise failure
    return user


def request_password_reset(email: str, *, ip: str | None = None) -> None:
    """Mail a reset link if the account exists. Says nothing either way, so the answer
    cannot be used to learn who has an account."""
    with transaction():
        user = find_by_email(email)
        if user is None or not user.is_active:
            return
        token = _serializer("reset").dumps({"u": user.id, "v": user.session_version})
        notifications.queue_email(
            "reset_password", to=user.email, locale=user.locale, user_id=user.id,
            dedupe_key=f"reset:{user.id}:{int(utcnow().timestamp())}",
            name=user.name, link=_external_url("accounts.reset_password", token=token))
        audit.record("password.reset_requested", actor_id=user.id, target_type="user",
                     target_id=user.id, ip=ip)


def check_reset_token(token: str) -> User:
    try:
        data = _serializer("reset").loads(token, max_age=RESET_MAX_AGE)
    except (BadSignature, SignatureExpired) as exc:
        raise InvalidToken() from exc
    user = db.session.get(User, data.get("u"))
    # The token names the session version; a reset bumps it, so each link works once.
    if user is None or not user.is_active or user.session_version != data.get("v"):
        raise InvalidToken()
    return user


def reset_password(token: str, new_password: str, *, ip: str | None = None) -> User:
    """Set a new password from a reset link. Raises InvalidToken, WeakPassword."""
    with transaction():
        user = check_reset_token(token)
        _check_password_strength(new_password, name=user.name or "", email=user.email or "",
                                 phone=user.phone or "")
        _set_password(user, new_password)
        user.locked_until = None
        user.failed_logins = 0
        audit.record("password.reset", actor_id=user.id, target_type="user",
                     target_id=user.id, ip=ip)
    return user


def change_password(user_id: int, current: str, new_password: str, *,
                    ip: str | None = None) -> User:
    """Raises InvalidCredentials (field current_password), WeakPassword. Signs out every
    other session and API token: the caller re-signs-in the current one."""
    with transaction():
        user = get_user(user_id)
        if not passwords.verify_password(user.password_hash or "", current):
            raise InvalidCredentials(field="current_password")
        _check_password_strength(new_password, name=user.name or "", email=user.email or "",
                                 phone=user.phone or "")
        _set_password(user, new_password)
        audit.record("password.change", actor_id=user.id, target_type="user",
                     target_id=user.id, ip=ip)
    return user


def _set_password(user: User, new_password: str) -> None:
    user.password_hash = passwords.hash_password(new_password)
    sessions.end_all(user, reason="password", actor_id=user.id)


def update_profile(user_id: int, *, name: str | None = None, phone: str | None = None,
                   locale: str | None = None) -> User:
    with transaction():
        user = get_user(user_id)
        changed = []
        if name is not None and name.strip() != user.name:
            if not name.strip():
                raise Invalid(field="name")
            user.name = name.strip()
            changed.append("name")
        if phone is not None and phone != user.phone:
            user.phone = phone
            user.phone_index = phone_index(phone)
            changed.append("phone")
        if locale is not None and locale != user.locale:
            user.locale = locale
            changed.append("locale")
        if changed:
            audit.record("account.update", actor_id=user.id, target_type="user",
                         target_id=user.id, fields=changed)
    return user
