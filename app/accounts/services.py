"""Customer accounts: register, verify email, sign in, passwords and profile.

Services take plain values and return models; they never read the request. Personal data is
sealed by the column types; lookups use blind indexes of the normalised value.
"""

from __future__ import annotations

import logging
import secrets

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired
from redis.exceptions import RedisError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app import db
from app.accounts import lockout, sessions
from app.accounts.errors import (
    AccountLocked,
    InvalidCredentials,
    InvalidToken,
    WeakPassword,
)
from app.accounts.models import User
from app.accounts.phones import normalise_phone
from app.audit import services as audit
from app.db import transaction, utcnow
from app.errors import Invalid, NotFound
from app.events import services as events
from app.links import external_url, serializer
from app.notifications import services as notifications
from app.queue import enqueue
from app.security import passwords, pii
from app.security.roles import Permission, require

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
             ip: str | None = None) -> User | None:
    """Create an unverified customer and mail the verification link. Returns the new user,
    or None when the email already has an account: then nothing is created and the owner is
    mailed that someone tried to register with their email (with the way to sign in or
    choose a new password). Callers answer the same either way ("check your email"), and
    both ways hash the password and queue one mail, so neither the answer nor its time tells
    who has an account. Raises WeakPassword. `phone` is already E.164."""
    _check_password_strength(password, name=name, email=email, phone=phone)
    password_hash = passwords.hash_password(password)
    with transaction():
        owner = find_by_email(email)
        if owner is not None:
            _tell_owner_of_attempt(owner, ip)
            return None
        user = User(name=name.strip(), email=normalise_email(email),
                    email_index=email_index(email), phone=phone, phone_index=phone_index(phone),
                    password_hash=password_hash, locale=locale)
        db.session.add(user)
        db.session.flush()
        audit.record("account.register", actor_id=user.id, target_type="user",
                     target_id=user.id, ip=ip)
        _queue_verification(user)
        events.publish("customer.registered", key=f"customer:{user.id}", user_id=user.id,
                       locale=user.locale)
    log.info("account_registered", extra={"user_id": user.id})
    return user


def _tell_owner_of_attempt(owner: User, ip: str | None) -> None:
    audit.record("account.register_existing", actor_id=None, target_type="user",
                 target_id=owner.id, success=False, ip=ip)
    if owner.email:
        notifications.queue_email(
            "account_exists", to=owner.email, locale=owner.locale, user_id=owner.id,
            # One mail per attempt, as a new account gets its verification mail: a key shared
            # by attempts in the same second would make the second one faster, and tell.
            dedupe_key=f"account_exists:{owner.id}:{secrets.token_hex(8)}",
            name=owner.name, sign_in_link=_external_url("accounts.login"),
            reset_link=_external_url("accounts.forgot_password"))


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
    """The user whose password this is. Wrong passwords count (per email, whether or not an
    account uses it); after LOGIN_MAX_FAILURES the email waits LOGIN_LOCK_SECONDS. An email
    no account uses answers exactly as an account would, locked included, so neither the
    message nor the lock tells who has an account. Raises InvalidCredentials, AccountLocked."""
    # A failure is recorded (audit entry, failure count) and committed before it is raised.
    failure = None
    with transaction():
        user = find_by_email(email)
        now = utcnow()
        known = user is not None and user.is_active and bool(user.password_hash)
        wait = lockout.locked_for(user if known else None, email_index(email), now)
        if wait:
            audit.record("login.locked", actor_id=user.id if known else None,
                         target_type="user" if known else None,
                         target_id=user.id if known else None, success=False, ip=ip)
            failure = AccountLocked(retry_after=wait)
        elif (not known or not passwords.verify_password(user.password_hash, password)
              or _published_in_production(password)):
            if not known:
                passwords.verify_password(_DUMMY_HASH, password)  # the same time either way
            lockout.count_failure(user if known else None, email_index(email), now)
            audit.record("login.failed", actor_id=user.id if known else None,
                         target_type="user" if known else None,
                         target_id=user.id if known else None, success=False, ip=ip,
                         reason="wrong_password" if known else "unknown_account")
            failure = InvalidCredentials()
        else:
            if passwords.needs_rehash(user.password_hash):
                user.password_hash = passwords.hash_password(password)
            lockout.forget_failures(user)
            user.last_login_at = now
            audit.record("login.success", actor_id=user.id, target_type="user",
                         target_id=user.id, ip=ip, staff=user.is_staff)
    if failure:
        raise failure
    return user


def _published_in_production(password: str) -> bool:
    """The demo's published password opens no account in production, even one a demo
    database brought along."""
    return (current_app.config["KADE_ENV"] == "production"
            and password == passwords.DEMO_PASSWORD)


def check_password(user_id: int, password: str, *, field: str = "password",
                   ip: str | None = None) -> User:
    """Confirm a signed-in person's password before something that needs it (a new password,
    erasure). Counted and locked exactly like a sign-in: a stolen session cannot guess the
    password a few tries at a time. Commits the count before raising.
    Raises InvalidCredentials (on `field`), AccountLocked, NotFound."""
    failure = None
    with transaction():
        user = get_user(user_id)
        now = utcnow()
        wait = lockout.locked_for(user, user.email_index or "", now)
        if wait:
            audit.record("password.confirm_locked", actor_id=user.id, target_type="user",
                         target_id=user.id, success=False, ip=ip)
            failure = AccountLocked(retry_after=wait, field=field)
        elif not passwords.verify_password(user.password_hash or "", password):
            lockout.count_failure(user, user.email_index or "", now)
            audit.record("password.confirm_failed", actor_id=user.id, target_type="user",
                         target_id=user.id, success=False, ip=ip)
            failure = InvalidCredentials(field=field)
        else:
            lockout.forget_failures(user)
    if failure:
        raise failure
    return user


RESET_JOB = "jobs.accounts.send_password_reset"


def request_password_reset(email: str, *, ip: str | None = None) -> None:
    """Mail a reset link if the account exists. Says nothing either way, and takes the same
    time either way: the request only hands the email's blind index to a job (the queue, or
    a thread in the embedded default), and the job looks the account up and mails it."""
    index = email_index(email)
    try:
        enqueue(RESET_JOB, index, ip, queue="high")
    except RedisError:
        log.warning("reset_enqueue_failed")  # Redis down: do it here rather than lose it
        send_password_reset(index, ip=ip)


def send_password_reset(index: str, *, ip: str | None = None) -> None:
    """The job's body: mail a reset link to the account with this email index, if any."""
    with transaction():
        user = db.session.scalar(select(User).where(User.email_index == index))
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
        lockout.forget_failures(user)
        audit.record("password.reset", actor_id=user.id, target_type="user",
                     target_id=user.id, ip=ip)
    return user


def change_password(user_id: int, current: str, new_password: str, *,
                    ip: str | None = None) -> User:
    """Raises InvalidCredentials (field current_password), AccountLocked (wrong current
    passwords count as wrong sign-ins do), WeakPassword. Signs out every other session and
    API token: the caller re-signs-in the current one."""
    check_password(user_id, current, field="current_password", ip=ip)
    with transaction():
        user = get_user(user_id)
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


# ---- the phone desk: staff find or add the customer who is calling ---------------------------

MAX_NAME = 120


def customers_by_phone(phone: str, *, actor) -> list[User]:
    """Customers whose mobile number is `phone` (as typed; found by its blind index), newest
    first. Raises Invalid when it is not a Sri Lankan mobile number, Forbidden for a person
    who does not take orders."""
    require(actor, Permission.MANAGE_ORDERS)
    e164 = normalise_phone(phone or "")
    if e164 is None:
        raise Invalid(_l("Enter a Sri Lankan mobile number, like 077 123 4567."), field="phone")
    return list(db.session.scalars(
        select(User).where(User.phone_index == phone_index(e164), User.role.is_(None),
                           User.erased_at.is_(None), User.is_active.is_(True))
        .order_by(User.id.desc()).limit(20)))


def customers_matching(query: str, *, actor) -> list[User]:
    """Customers with this email or mobile number, exactly (both are sealed: only their
    blind indexes can be searched). Raises Invalid for neither, Forbidden for staff who do
    not look after customers' wallets."""
    require(actor, Permission.GIVE_CREDIT)
    query = (query or "").strip()
    if "@" in query:
        user = find_by_email(query)
        return [user] if user is not None and user.role is None and not user.erased_at else []
    e164 = normalise_phone(query)
    if e164 is None:
        raise Invalid(_l("Enter the customer's email or mobile number (like 077 123 4567)."),
                      field="q")
    return list(db.session.scalars(
        select(User).where(User.phone_index == phone_index(e164), User.role.is_(None),
                           User.erased_at.is_(None)).order_by(User.id.desc()).limit(20)))


def customer_for_staff(user_id: int, *, actor) -> User:
    """A customer's account for the back office's customer page. Raises NotFound for staff
    accounts and unknown ids."""
    require(actor, Permission.GIVE_CREDIT)
    user = db.session.get(User, user_id)
    if user is None or user.role is not None:
        raise NotFound()
    return user


def create_customer(*, name: str, phone: str, email: str, locale: str = "en",
                    actor) -> User:
    """An account for a customer who orders by phone, made by staff while they take the
    order. It has no password (the customer can choose one with "forgot password", and the
    email is unverified until they do); the order mails and texts reach them as any
    customer's. Raises Invalid on the field at fault, including an email that already has an
    account (staff then find that customer by the phone on it)."""
    require(actor, Permission.MANAGE_ORDERS)
    name = " ".join((name or "").split())
    if not name or len(name) > MAX_NAME:
        raise Invalid(_l("Enter the customer's name."), field="name")
    e164 = normalise_phone(phone or "")
    if e164 is None:
        raise Invalid(_l("Enter a Sri Lankan mobile number, like 077 123 4567."), field="phone")
    try:
        address = validate_email(email or "", check_deliverability=False).normalized
    except EmailNotValidError:
        raise Invalid(_l("Enter a valid email address."), field="email") from None
    if locale not in ("en", "si", "ta"):
        locale = "en"
    taken = Invalid(_l("An account already uses this email. Find that customer by the mobile "
                       "number on their account."), field="email")
    if find_by_email(address) is not None:
        raise taken
    try:
        with transaction():
            user = User(name=name, email=normalise_email(address),
                        email_index=email_index(address), phone=e164,
                        phone_index=phone_index(e164), locale=locale)
            db.session.add(user)
            db.session.flush()
            audit.record("account.created_by_staff", actor_id=actor.id if actor else None,
                         target_type="user", target_id=user.id)
    except IntegrityError:
        raise taken from None  # the same email, added a moment ago by someone else
    log.info("account_created_by_staff", extra={"user_id": user.id})
    return user


def reachable_customers(ids: list[int]) -> list[User]:
    """Those of `ids` that are customers' accounts still open (not staff, not erased, not
    switched off), by id."""
    found: list[User] = []
    for start in range(0, len(ids), 5000):
        found.extend(db.session.scalars(select(User).where(
            User.id.in_(ids[start:start + 5000]), User.role.is_(None),
            User.is_active.is_(True), User.erased_at.is_(None))))
    return sorted(found, key=lambda user: user.id)


def existing_user_ids(ids: list[int]) -> set[int]:
    """Those of `ids` that are an account (erased ones included)."""
    if not ids:
        return set()
    return set(db.session.scalars(select(User.id).where(User.id.in_(ids))))
