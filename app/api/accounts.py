"""Routes of the account: /auth/* (register, tokens, logout) and /me (profile, export,
erasure). Thin: the schemas parse, a service decides, the schemas answer."""

from __future__ import annotations

from flask import request
from flask_babel import force_locale, lazy_gettext as _l

from app.accounts import privacy, services as accounts, tokens
from app.accounts.errors import InvalidCredentials, InvalidToken
from app.api.auth import auth, current_customer
from app.api.blueprint import bp
from app.api.languages import api_locale
from app.api.openapi import error_responses
from app.api.schemas import (
    EraseIn,
    ExportOut,
    ProfilePatch,
    RefreshIn,
    RegisteredOut,
    RegisterIn,
    TokenIn,
    TokenPairOut,
    UserOut,
)
from app.errors import DomainError, Forbidden, Invalid
from app.extensions import AUTH_LIMIT, limiter

CHECK_YOUR_EMAIL = _l("Check your email: we sent you a message to finish registering. Then "
                      "sign in.")


class SessionExpired(DomainError):
    """A refresh token that is unknown, expired, revoked or already used."""

    code = "invalid_token"
    status = 401
    default_message = _l("Your session has ended. Please sign in again.")


class StaffAccount(Forbidden):
    """Staff sign in at the back office, with a second factor the API does not ask for."""

    code = "staff_account"
    default_message = _l("Staff sign in at the back office.")


def _token_pair(pair: tokens.TokenPair) -> TokenPairOut:
    return TokenPairOut(access_token=pair.access_token, refresh_token=pair.refresh_token,
                        expires_in=pair.expires_in)


@bp.post("/auth/register")
@limiter.limit(AUTH_LIMIT)
@bp.input(RegisterIn, arg_name="body")
@bp.output(RegisteredOut, status_code=202,
           description="Accepted: a mail is on its way. The same answer whether the email was "
                       "new (a verification link) or already had an account (its owner is "
                       "told someone tried), so the answer tells nobody who is a customer.")
@bp.doc(tags=["Auth"], responses=error_responses(400, 422, 429, when={
    422: "A field is wrong, or the password is too weak: see `errors`.",
}))
def register(body: RegisterIn):
    """Create a customer account

    Sends a link to verify the email, then the person signs in with POST /auth/token. If
    the email already has an account nothing is created and its owner gets a mail instead;
    the answer is the same 202 either way. The phone is a Sri Lankan mobile number in any
    usual spelling; it is stored as E.164. The language of the account is Accept-Language's.
    Errors: 422 with `errors` for a wrong field or a weak password.
    """
    locale = api_locale()
    accounts.register(name=body.name, email=body.email, phone=body.phone,
                      password=body.password, locale=locale, ip=request.remote_addr)
    with force_locale(locale):
        return RegisteredOut(detail=str(CHECK_YOUR_EMAIL))


@bp.post("/auth/token")
@limiter.limit(AUTH_LIMIT)
@bp.input(TokenIn, arg_name="body")
@bp.output(TokenPairOut, description="A new access token and refresh token.")
@bp.doc(tags=["Auth"], responses=error_responses(400, 401, 403, 422, 429, when={
    401: "Wrong email or password.",
    403: "A staff account: staff sign in at the back office.",
    429: "Too many attempts from this address, or the account is locked for a while: wait "
         "`Retry-After` seconds.",
}))
def issue_tokens(body: TokenIn):
    """Sign in: email and password for tokens

    Errors: 401 `invalid_credentials`; 403 `staff_account` (staff sign in at the back
    office, with a second factor); 429 `account_locked` after too many wrong passwords, or
    too many attempts from one address, with Retry-After.
    """
    user = accounts.authenticate(body.email, body.password, ip=request.remote_addr)
    if user.is_staff:
        raise StaffAccount()
    return _token_pair(tokens.issue(user))


@bp.post("/auth/refresh")
@limiter.limit(AUTH_LIMIT)
@bp.input(RefreshIn, arg_name="body")
@bp.output(TokenPairOut, description="A new pair; the refresh token sent stops working.")
@bp.doc(tags=["Auth"], responses=error_responses(400, 401, 422, 429, when={
    401: "The refresh token is unknown, expired, revoked or was already used: sign in again.",
}))
def refresh_tokens(body: RefreshIn):
    """Exchange a refresh token for a new pair

    Each refresh token works once. Sending one that was already used means it leaked: every
    token of that sign-in is revoked, and the customer signs in again. Errors: 401
    `invalid_token`.
    """
    try:
        pair = tokens.refresh(body.refresh_token)
    except InvalidToken as exc:
        raise SessionExpired() from exc
    return _token_pair(pair)


@bp.post("/auth/logout")
@bp.input(RefreshIn, arg_name="body")
@bp.doc(tags=["Auth"], responses={204: "Signed out (also when the token was unknown)."}
        | error_responses(400, 422))
def logout(body: RefreshIn):
    """Sign out: revoke a refresh token and its access tokens

    Safe to repeat: an unknown or already revoked token also answers 204.
    """
    tokens.revoke(body.refresh_token)
    return "", 204


@bp.get("/me")
@bp.auth_required(auth)
@bp.output(UserOut)
@bp.doc(tags=["Me"], responses=error_responses(401))
def profile():
    """My account"""
    return UserOut.of(current_customer())


@bp.patch("/me")
@bp.auth_required(auth)
@bp.input(ProfilePatch, arg_name="body")
@bp.output(UserOut)
@bp.doc(tags=["Me"], responses=error_responses(400, 401, 422))
def update_profile(body: ProfilePatch):
    """Change my name, mobile number or language

    Fields left out keep their value. The email cannot be changed here.
    """
    user = accounts.update_profile(current_customer().id, name=body.name, phone=body.phone,
                                   locale=body.language)
    return UserOut.of(user)


@bp.get("/me/export")
@bp.auth_required(auth)
@bp.output(ExportOut, description="My account, addresses, orders and support tickets, as JSON.")
@bp.doc(tags=["Me"], responses=error_responses(401))
def export_my_data():
    """A copy of all my data (PDPA)"""
    return ExportOut.model_validate(privacy.export_data(current_customer().id))


@bp.delete("/me")
@bp.auth_required(auth)
@limiter.limit(AUTH_LIMIT)
@bp.input(EraseIn, arg_name="body")
@bp.doc(tags=["Me"], responses={204: "Erased: the tokens no longer work."}
        | error_responses(400, 401, 409, 422, 429, when={
            409: "An order is still on its way: erasure waits until it is delivered or "
                 "cancelled (the message names the orders).",
            422: "The password is missing or is not the account's (`errors` on `password`).",
            429: "Too many attempts from this address, or too many wrong passwords: the "
                 "account is locked as after wrong sign-ins (`account_locked`); wait "
                 "`Retry-After` seconds.",
        }))
def erase_account(body: EraseIn):
    """Erase my account

    Needs the account's password in the JSON body (`{"password": "…"}`), as the web page
    does: a stolen phone with a live token must not be enough. Personal data, addresses and
    tokens are removed; orders are kept without the person. The email may register again.
    Errors: 422 with `errors` on `password` when it is not the account's; 409 while an
    order is still on its way.
    """
    try:
        privacy.erase_account(current_customer().id, password=body.password,
                              ip=request.remote_addr)
    except InvalidCredentials as exc:
        # Not 401: the token is fine, and a client that hears 401 signs the person out.
        raise Invalid(_l("That is not your password."), field="password") from exc
    return "", 204
