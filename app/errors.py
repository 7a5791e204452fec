"""Failures of a business rule. Pages show `message`; the API turns them into problem+json."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l


class DomainError(Exception):
    code = "domain_error"
    status = 400
    default_message = _l("That could not be done.")

    def __init__(self, message=None, *, field: str | None = None, **data):
        self.message = message if message is not None else self.default_message
        self.field = field
        self.data = data
        # The message stays lazy: it is translated where it is shown, in the reader's language.
        super().__init__(self.code)


class NotFound(DomainError):
    """Also raised for another customer's objects, so ids cannot be probed."""

    code = "not_found"
    status = 404
    default_message = _l("We could not find that.")


class Forbidden(DomainError):
    code = "forbidden"
    status = 403
    default_message = _l("You are not allowed to do that.")


class Conflict(DomainError):
    code = "conflict"
    status = 409


class Invalid(DomainError):
    code = "invalid"
    status = 422


class TooManyAttempts(DomainError):
    code = "too_many_attempts"
    status = 429
    default_message = _l("Too many attempts. Please wait a few minutes and try again.")

    def __init__(self, message=None, *, retry_after: int = 60, **data):
        super().__init__(message, **data)
        self.retry_after = retry_after
