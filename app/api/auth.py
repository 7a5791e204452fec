"""Bearer-token authentication: the only way to call the API as someone.

A session cookie from the web pages counts for nothing here: routes never read Flask-Login's
`current_user`, only `current_customer()`, which comes from the Authorization header. That is
also why the API may skip CSRF protection: a browser attaches cookies to a forged request on
its own, but never an Authorization header.
"""

from __future__ import annotations

from apiflask import HTTPTokenAuth

from app.accounts import tokens
from app.accounts.models import User
from app.api import problems

auth = HTTPTokenAuth(
    scheme="Bearer",
    description="An access token from POST /api/v1/auth/token (15 minutes), renewed with "
                "POST /api/v1/auth/refresh.",
)


@auth.verify_token
def _customer_for_token(token: str | None) -> User | None:
    # Staff sign in at the back office, with a second factor; a customer promoted to staff
    # keeps no way into the API through an older token.
    user = tokens.user_for_access_token(token or "")
    if user is None or user.is_staff:
        return None
    return user


@auth.error_processor
def _unauthorised(error):
    return problems.problem(error.status_code)


def current_customer() -> User:
    """The customer whose access token came with this request (routes behind
    `auth_required(auth)` only)."""
    return auth.current_user
