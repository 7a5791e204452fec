"""Staff accounts: roles, and the second factor (TOTP) every staff sign-in needs."""

from __future__ import annotations

import io

import pyotp
import segno
from sqlalchemy import select

from app import db
from app.accounts import services as accounts
from app.accounts.errors import EmailTaken, InvalidCode
from app.accounts.models import User
from app.audit import services as audit
from app.db import transaction, utcnow
from app.errors import Forbidden, Invalid
from app.security import passwords
from app.security.roles import Permission, Role, can

ISSUER = "Kade"


def create_staff(*, email: str, role: str, password: str, name: str = "",
                 actor: User | None = None) -> User:
    """A new staff member, or a customer promoted to staff. `actor` None means the command
    line (a person with shell access), which may create the first admin."""
    if actor is not None and not can(actor.role, Permission.MANAGE_STAFF):
        raise Forbidden()
    role = Role(role).value
    with transaction():
        user = accounts.find_by_email(email)
        if user is not None and user.is_staff:
            raise EmailTaken(field="email")
        if user is None:
            problem = passwords.weakness(password, personal=(name,))
            if problem:
                raise Invalid(problem, field="password")
            user = User(email=accounts.normalise_email(email),
                        email_index=accounts.email_index(email), name=name or email,
                        password_hash=passwords.hash_password(password),
                        email_verified_at=utcnow())
            db.session.add(user)
        user.role = role
        db.session.flush()
        audit.record("staff.create", actor_id=actor.id if actor else None,
                     target_type="user", target_id=user.id, role=role)
    return user


def list_staff() -> list[User]:
    return list(db.session.scalars(select(User).where(User.role.is_not(None)).order_by(User.id)))


def start_totp_enrolment(user_id: int) -> str:
    """A fresh secret for the authenticator app; enrolment completes with a valid code."""
    with transaction():
        user = accounts.get_user(user_id)
        if user.totp_enrolled_at:
            raise Invalid(field="code")
        if not user.totp_secret:
            user.totp_secret = pyotp.random_base32()
    return user.totp_secret


def provisioning_uri(user: User) -> str:
    return pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    out = io.BytesIO()
    segno.make(uri, error="m").save(out, kind="svg", scale=5, border=2, xmldecl=False,
                                     svgns=True, title="QR code")
    return out.getvalue().decode()


def _accept_code(user: User, code: str) -> bool:
    """Valid now (±30 s of clock drift) and not used before: a code works once."""
    code = (code or "").replace(" ", "")
    if not (code.isdigit() and len(code) == 6) or not user.totp_secret:
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


def confirm_totp_enrolment(user_id: int, code: str, *, ip: str | None = None) -> User:
    with transaction():
        user = accounts.get_user(user_id)
        accepted = _accept_code(user, code)
        if accepted:
            user.totp_enrolled_at = utcnow()
        audit.record("staff.totp_enrol", actor_id=user.id, target_type="user",
                     target_id=user.id, success=accepted, ip=ip)
    if not accepted:
        raise InvalidCode(field="code")
    return user


def verify_totp(user_id: int, code: str, *, ip: str | None = None) -> User:
    """The second step of a staff sign-in. Raises InvalidCode."""
    with transaction():
        user = accounts.get_user(user_id)
        accepted = bool(user.is_staff and user.totp_enrolled_at and _accept_code(user, code))
        audit.record("staff.login_totp", actor_id=user.id, target_type="user",
                     target_id=user.id, success=accepted, ip=ip)
    if not accepted:
        raise InvalidCode(field="code")
    return user
