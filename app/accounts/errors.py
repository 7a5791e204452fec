from flask_babel import lazy_gettext as _l

from app.errors import Conflict, DomainError, Invalid, TooManyAttempts


class EmailTaken(Conflict):
    code = "email_taken"
    default_message = _l("An account with this email already exists. Try signing in.")


class WeakPassword(Invalid):
    code = "weak_password"


class InvalidCredentials(DomainError):
    code = "invalid_credentials"
    status = 401
    default_message = _l("Email or password is not right.")


class InvalidToken(Invalid):
    code = "invalid_token"
    default_message = _l("This link has expired or was already used. Ask for a new one.")


class AccountLocked(TooManyAttempts):
    code = "account_locked"


class InvalidCode(Invalid):
    code = "invalid_code"
    default_message = _l("That code is not right. Use the newest code from your app.")
