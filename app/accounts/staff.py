"""Staff accounts: roles, and the second factor (TOTP) every staff sign-in needs."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import io
import logging
import secrets
from dataclasses import dataclass

import pyotp
import segno
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app import db
from app.accounts import services as accounts, sessions
from app.accounts.errors import AccountLocked, EmailTaken, InvalidCode, InvalidCredentials
from app.accounts.models import User
from app.audit import services as audit
from app.db import transaction, utcnow
from app.digits import is_digits
from app.errors import Forbidden, Invalid, NotFound
from app.security import passwords
from app.security.roles import Permission, Role, can

log = logging.getLogger(__name__)

ISSUER = "Kade"
# Wrong codes of every kind count towards the lock on the second factor.
CODE_ACTIONS = ("staff.login_totp", "staff.totp_enrol", "staff.enrolment_code")
# An enrolment code: 12 characters from an alphabet without look-alikes (no 0/O, 1/I/L),
# about 60 bits, shown as three groups of four.
_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
_CODE_LENGTH = 12


_WRONG_ENROLMENT_CODE = _l("That enrolment code is not right, or it has expired. Ask an "
                          "administrator for a new one.")


@dataclass(frozen=True)
class StaffInvite:
    """A staff account that must still enrol its authenticator, and the one-time code its
    first sign-in needs: shown once to whoever created it, never stored in the clear."""

    user: User
    enrolment_code: str


def create_staff(*, email: str, role: str, password: str, name: str = "",
                 actor: User | None = None, ip: str | None = None) -> StaffInvite:
    """A new staff member, or a customer promoted to staff, with the enrolment code their
    first sign-in needs (so the password alone, whoever else knows it, never enrols an
    authenticator). `actor` None means the command line (a person with shell access), which
    may create the first admin. Raises Forbidden, EmailTaken, Invalid (weak password, unknown
    role)."""
    _check_manager(actor)
    role = _known_role(role)
    with transaction():
        user = accounts.find_by_email(email)
        if user is not None and user.is_staff:
            raise EmailTaken(field="email")
        promoted = user is not None
        if user is None:
            problem = passwords.weakness(password, personal=(name,))
            if problem:
                raise Invalid(problem, field="password")
            user = User(email=accounts.normalise_email(email),
                        email_index=accounts.email_index(email), name=name or email,
                        password_hash=passwords.hash_password(password),
                        email_verified_at=utcnow())
            db.session.add(user)
        if promoted:
            # Sessions and API tokens made as a customer end: staff sign in with a code.
            sessions.end_all(user, reason="promoted", actor_id=actor.id if actor else None,
                             ip=ip)
        user.role = role
        db.session.flush()
        audit.record("staff.create", actor_id=actor.id if actor else None, target_type="user",
                     target_id=user.id, ip=ip, role=role, promoted=promoted)
        code = _new_enrolment_code(user)
    return StaffInvite(user, code)


def _normalised_code(code: str) -> str:
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


def _code_hash(code: str) -> str:
    return hashlib.sha256(_normalised_code(code).encode()).hexdigest()


def _new_enrolment_code(user: User) -> str:
    """A fresh code (any older one stops working), valid STAFF_ENROLMENT_DAYS."""
    raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(_CODE_LENGTH))
    user.enrolment_code_hash = _code_hash(raw)
    user.enrolment_expires_at = utcnow() + dt.timedelta(
        days=current_app.config["STAFF_ENROLMENT_DAYS"])
    return "-".join(raw[i:i + 4] for i in range(0, _CODE_LENGTH, 4))


def issue_enrolment_code(user_id: int, *, actor: User | None,
                         ip: str | None = None) -> str:
    """A new enrolment code for a staff member who has not set up an authenticator yet
    (the first one expired or was lost). `actor` None means the command line.
    Raises Forbidden, NotFound, Invalid (already enrolled: reset the authenticator instead)."""
    _check_manager(actor)
    with transaction():
        user = get_staff(user_id, actor=actor)
        if user.totp_enrolled_at is not None:
            raise Invalid(_l("This account has an authenticator app. Reset it instead."))
        code = _new_enrolment_code(user)
        audit.record("staff.enrolment_code", actor_id=actor.id if actor else None,
                     target_type="user", target_id=user.id, ip=ip)
    return code


def authenticate_staff(email: str, password: str, *, ip: str | None = None) -> User:
    """The first step of a staff sign-in: the password, counted and locked as every sign-in
    is. A customer's right password is refused with the same error as a wrong one, so the
    staff form does not tell who has a shop account. Raises InvalidCredentials, AccountLocked."""
    user = accounts.authenticate(email, password, ip=ip)
    if not user.is_staff:
        audit.record("staff.login_refused", actor_id=user.id, target_type="user",
                     target_id=user.id, success=False, ip=ip, reason="not_staff")
        raise InvalidCredentials()
    return user


def _known_role(role: str) -> str:
    try:
        return Role(role).value
    except ValueError as exc:
        raise Invalid(field="role") from exc


def _check_manager(actor: User | None) -> None:
    """`actor` None means the command line; a person must hold MANAGE_STAFF."""
    if actor is not None and not can(actor.role, Permission.MANAGE_STAFF):
        raise Forbidden()


def list_staff(*, actor: User | None = None) -> list[User]:
    """Every staff member, active or not, oldest first. Raises Forbidden."""
    _check_manager(actor)
    return list(db.session.scalars(
        select(User).where(User.role.is_not(None), User.erased_at.is_(None)).order_by(User.id)))


def active_staff_with(permission: Permission) -> list[User]:
    """Active staff whose role holds `permission`, oldest account first: who an alert
    (low stock, a failed backup) goes to."""
    return [user for user in list_staff(actor=None)
            if user.is_active and can(user.role, permission)]


def get_staff(user_id: int, *, actor: User | None = None) -> User:
    """One staff member. A customer's id answers NotFound, like an unknown one."""
    _check_manager(actor)
    user = db.session.get(User, user_id)
    if user is None or not user.is_staff or user.erased_at is not None:
        raise NotFound()
    return user


# Nobody changes their own role or switches themself off: that is how the last administrator
# would lock everyone out. Another administrator does it.
_NOT_YOURSELF = _l("You cannot change your own role or deactivate your own account. "
                   "Ask another administrator.")


def _target_for_change(user_id: int, actor: User | None) -> User:
    user = get_staff(user_id, actor=actor)
    if actor is not None and actor.id == user.id:
        raise Forbidden(_NOT_YOURSELF)
    return user


def change_role(user_id: int, role: str, *, actor: User | None,
                ip: str | None = None) -> User:
    """Give a staff member another role. Raises Forbidden, NotFound, Invalid (unknown role)."""
    role = _known_role(role)
    with transaction():
        user = _target_for_change(user_id, actor)
        if user.role != role:
            audit.record("staff.change_role", actor_id=actor.id if actor else None,
                         target_type="user", target_id=user.id, ip=ip,
                         from_role=user.role, to_role=role)
            user.role = role
            # What a session may open was decided at sign-in: a new role signs in afresh.
            sessions.end_all(user, reason="role_change", actor_id=actor.id if actor else None,
                             ip=ip)
    return user


def deactivate_staff(user_id: int, *, actor: User | None, ip: str | None = None) -> User:
    """Stop a staff member signing in. Their sessions and API tokens end at once, and stay
    ended if the account is switched on again. Raises Forbidden, NotFound."""
    with transaction():
        user = _target_for_change(user_id, actor)
        if user.is_active:
            user.is_active = False
            sessions.end_all(user, reason="deactivated", actor_id=actor.id if actor else None,
                             ip=ip)
            audit.record("staff.deactivate", actor_id=actor.id if actor else None,
                         target_type="user", target_id=user.id, ip=ip)
    return user


def reactivate_staff(user_id: int, *, actor: User | None, ip: str | None = None) -> User:
    """Let a deactivated staff member sign in again. Raises Forbidden, NotFound."""
    with transaction():
        user = _target_for_change(user_id, actor)
        if not user.is_active:
            user.is_active = True
            user.failed_logins = 0
            user.locked_until = None
            audit.record("staff.reactivate", actor_id=actor.id if actor else None,
                         target_type="user", target_id=user.id, ip=ip)
    return user


def reset_totp(user_id: int, *, actor: User | None, ip: str | None = None) -> str:
    """For a lost phone: forget the authenticator, end every session; the next sign-in
    enrols a new one with the enrolment code returned (hand it over in person). Not for
    oneself (another admin must confirm who is asking). Raises Forbidden, NotFound."""
    with transaction():
        user = _target_for_change(user_id, actor)
        user.totp_secret = None
        user.totp_enrolled_at = None
        user.totp_last_step = None
        sessions.end_all(user, reason="totp_reset", actor_id=actor.id if actor else None,
                         ip=ip)
        audit.record("staff.totp_reset", actor_id=actor.id if actor else None,
                     target_type="user", target_id=user.id, ip=ip)
        code = _new_enrolment_code(user)
    return code


def start_totp_enrolment(user_id: int, enrolment_code: str, *,
                         ip: str | None = None) -> str:
    """The first sign-in's enrolment code, checked (counted towards the code lock like a
    wrong authenticator code); on success a new secret for the authenticator app, which
    replaces any secret an earlier attempt showed. The code stays valid until enrolment
    completes. Raises InvalidCode (field enrolment_code), AccountLocked."""
    with transaction():
        user = _user_for_code(user_id)
        now = utcnow()
        expected = user.enrolment_code_hash
        fits = bool(expected and user.enrolment_expires_at and user.enrolment_expires_at > now
                    and hmac.compare_digest(expected, _code_hash(enrolment_code)))
        failure = _check(user, "staff.enrolment_code", ip=ip, now=now,
                         accepted=lambda: fits and user.is_staff and not user.totp_enrolled_at,
                         field="enrolment_code")
        if failure is None:
            user.totp_secret = pyotp.random_base32()
            user.totp_last_step = None
    if failure:
        raise failure
    return user.totp_secret


def provisioning_uri(user: User) -> str:
    return pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    out = io.BytesIO()
    # omitsize: a viewBox instead of a fixed width and height, so CSS can size it.
    segno.make(uri, error="m").save(out, kind="svg", scale=5, border=2, xmldecl=False,
                                     svgns=True, title=str(_l("QR code")), omitsize=True)
    return out.getvalue().decode()


def _accept_code(user: User, code: str) -> bool:
    """Valid now (±30 s of clock drift) and not used before: a code works once."""
    code = (code or "").replace(" ", "")
    if not (is_digits(code) and len(code) == 6) or not user.totp_secret:
        return False
    totp = pyotp.TOTP(user.totp_secret)
    now = int(utcnow().timestamp())
    for drift in (0, -1, 1):
        step = now // totp.interval + drift
        if totp.at(step * totp.interval) == code:
            if user.totp_last_step is not None and step <= user.totp_last_step:
                return False
            user.totp_last_step = step
            return True
    return False


def _user_for_code(user_id: int) -> User:
    """The user row, locked until the transaction ends (PostgreSQL), so two requests carrying
    the same code cannot both pass the replay check. SQLite lets one writer at a time anyway."""
    user = db.session.get(User, user_id, with_for_update=True, populate_existing=True)
    if user is None or user.erased_at is not None:
        raise NotFound()
    return user


def _code_lock(user: User, now: dt.datetime, ip: str | None) -> AccountLocked | None:
    """The lock that stops guessing codes, if it holds now (an audit entry says so)."""
    if user.locked_until and user.locked_until > now:
        audit.record("staff.totp_locked", actor_id=user.id, target_type="user",
                     target_id=user.id, success=False, ip=ip)
        return AccountLocked(retry_after=int((user.locked_until - now).total_seconds()) + 1)
    return None


def _count_wrong_code(user: User, now: dt.datetime) -> None:
    """Lock the account (both sign-in steps) after LOGIN_MAX_FAILURES wrong codes within
    LOGIN_LOCK_SECONDS. Counted from the audit log, not `failed_logins`: a right password
    resets that counter, and whoever guesses codes already knows the password."""
    config = current_app.config
    window = dt.timedelta(seconds=config["LOGIN_LOCK_SECONDS"])
    # Only wrong codes after the last right one count.
    failures = audit.failures_since_last_success(CODE_ACTIONS, target_type="user",
                                                 target_id=user.id, since=now - window)
    if failures >= config["LOGIN_MAX_FAILURES"]:
        user.locked_until = now + window
        log.warning("account_locked", extra={"user_id": user.id, "reason": "totp"})


def _check(user: User, action: str, *, accepted, ip: str | None, now: dt.datetime,
           field: str = "code") -> Exception | None:
    """One attempt at a second-factor step: refused while the account is locked, audited,
    and a wrong one counted towards the lock. `accepted` is asked only when not locked."""
    locked = _code_lock(user, now, ip)
    if locked:
        return locked
    ok = accepted()
    audit.record(action, actor_id=user.id, target_type="user", target_id=user.id,
                 success=ok, ip=ip)
    if ok:
        return None
    db.session.flush()
    _count_wrong_code(user, now)
    return InvalidCode(_WRONG_ENROLMENT_CODE if field == "enrolment_code" else None,
                       field=field)


def _check_code(user: User, code: str, action: str, *, allowed: bool,
                ip: str | None) -> Exception | None:
    return _check(user, action, accepted=lambda: allowed and _accept_code(user, code), ip=ip,
                  now=utcnow())


def confirm_totp_enrolment(user_id: int, code: str, *, ip: str | None = None) -> User:
    """Finish enrolment with the first code from the app. Raises InvalidCode, AccountLocked."""
    # A failure is recorded (audit entry, maybe the lock) and committed before it is raised.
    with transaction():
        user = _user_for_code(user_id)
        failure = _check_code(user, code, "staff.totp_enrol",
                              allowed=bool(user.is_staff and not user.totp_enrolled_at
                                           and user.enrolment_code_hash), ip=ip)
        if failure is None:
            user.totp_enrolled_at = utcnow()
            user.enrolment_code_hash = None  # used: it enrols nobody else
            user.enrolment_expires_at = None
    if failure:
        raise failure
    return user


def verify_totp(user_id: int, code: str, *, ip: str | None = None) -> User:
    """The second step of a staff sign-in. Raises InvalidCode, AccountLocked."""
    with transaction():
        user = _user_for_code(user_id)
        failure = _check_code(user, code, "staff.login_totp",
                              allowed=bool(user.is_staff and user.totp_enrolled_at), ip=ip)
    if failure:
        raise failure
    return user
