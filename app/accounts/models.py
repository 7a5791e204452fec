"""People who use Kade. Every personal field is sealed (encrypted_str); lookups go through
blind indexes, so the database never holds an email or phone in plaintext."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, UTCDateTime, blind_index, encrypted_str, utc_now


class User(Base):
    __tablename__ = "accounts_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Blind indexes are nullable so an erased account frees its email and phone.
    email_index: Mapped[str | None] = mapped_column(String(64), unique=True)
    phone_index: Mapped[str | None] = mapped_column(String(64), index=True)
    email: Mapped[encrypted_str | None]
    phone: Mapped[encrypted_str | None]
    name: Mapped[encrypted_str | None]
    password_hash: Mapped[str | None] = mapped_column(String(255))
    locale: Mapped[str] = mapped_column(String(5), default="en")
    # Staff have a role; customers have none.
    role: Mapped[str | None] = mapped_column(String(32))
    totp_secret: Mapped[encrypted_str | None]
    totp_enrolled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    totp_last_step: Mapped[int | None]  # refuses a code that was already used
    email_verified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Bumped on password change or reset: signs out every other session and API token.
    session_version: Mapped[int] = mapped_column(default=1)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    is_active: Mapped[bool] = mapped_column(default=True)
    erased_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[utc_now]

    addresses: Mapped[list[Address]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="Address.id"
    )

    # A one-time code the first staff sign-in needs before it may enrol an authenticator app:
    # printed by the command (or shown to the administrator) that created or reset the account,
    # so a password alone, even a published one, never sets up the second factor.
    enrolment_code_hash: Mapped[str | None] = mapped_column(String(64))
    enrolment_expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    # Set by app.accounts.sessions on the object that stands for a signed-in session (not a
    # column). Flask-Login keeps get_id() in the session cookie and the remember-me cookie, so
    # a cookie names one server-side session, which sign-out ends, not the account.
    session_key = None

    # Flask-Login protocol.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        if not self.session_key:
            raise RuntimeError("get_id() of an account that is not a signed-in session")
        return self.session_key

    @property
    def is_staff(self) -> bool:
        return self.role is not None

    @property
    def is_email_verified(self) -> bool:
        return self.email_verified_at is not None


class Address(Base):
    __tablename__ = "accounts_address"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("accounts_user.id", ondelete="CASCADE"),
                                         index=True)
    recipient: Mapped[encrypted_str]
    phone: Mapped[encrypted_str]
    line1: Mapped[encrypted_str]
    line2: Mapped[encrypted_str | None]
    city: Mapped[encrypted_str]
    district: Mapped[str] = mapped_column(String(32))
    postal_code: Mapped[str | None] = mapped_column(String(5))
    created_at: Mapped[utc_now]

    user: Mapped[User] = relationship(back_populates="addresses")


class LoginSession(Base):
    """One signed-in browser: the server-side identity behind a session or remember-me
    cookie. Only the key's SHA-256 hash is stored. Ended by sign-out, or for all of a user's
    sessions at once by a password change, a role change, erasure or "sign out everywhere"."""

    __tablename__ = "accounts_login_session"
    __table_args__ = (UniqueConstraint("key_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("accounts_user.id", ondelete="CASCADE"),
                                         index=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(8))  # customer | staff
    remember: Mapped[bool] = mapped_column(default=False)
    # The account's session version when it began: bumping the version ends it too.
    session_version: Mapped[int]
    created_at: Mapped[utc_now]
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class ApiToken(Base):
    """A bearer token for the JSON API, stored as a SHA-256 hash. Refresh tokens of one login
    share a family; reusing a rotated refresh token revokes the whole family."""

    __tablename__ = "accounts_api_token"
    __table_args__ = (UniqueConstraint("token_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("accounts_user.id", ondelete="CASCADE"),
                                         index=True)
    kind: Mapped[str] = mapped_column(String(8))  # access | refresh
    token_hash: Mapped[str] = mapped_column(String(64))
    family: Mapped[str] = mapped_column(String(32), index=True)
    session_version: Mapped[int]
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[utc_now]


class SignInFailure(Base):
    """Wrong passwords given for one email, counted by its blind index whether or not an
    account uses it: the lock then answers the same for every email, so it cannot tell who
    has an account. A streak is forgotten a while after its last failure, and such rows are
    deleted as new ones come (accounts.services), so the table stays small."""

    __tablename__ = "accounts_sign_in_failure"

    email_index: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    # Set only for an email no account uses; an account's lock is User.locked_until.
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_failed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)


__all__ = ["Address", "ApiToken", "LoginSession", "SignInFailure", "User", "blind_index"]
