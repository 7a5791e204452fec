"""Every error under /api/v1 as problem+json (RFC 9457).

Body: `type`, `title`, `status`, `detail`, `code` and, when fields are wrong, `errors:
[{field, message}]`. `code` is a stable word a client may switch on (`weak_password`,
`validation_failed`); `type` is `about:blank` for a plain HTTP error and a tag URI naming the
code otherwise. `title` and `detail` are in the language of Accept-Language.

The handlers here are registered on the API blueprint, so they answer for its routes only;
an unknown /api/ URL or a wrong method never reaches the blueprint, so the app's error pages
hand those to `for_http_exception` (see app/pages/errors.py).
"""

from __future__ import annotations

import json
import logging
import time

from apiflask.exceptions import HTTPError
from flask import current_app, request
from flask_babel import force_locale, lazy_gettext as _l
from pydantic import ValidationError as PydanticValidationError
from werkzeug.exceptions import BadRequest, HTTPException

from app.api.field_errors import field_errors
from app.api.languages import api_locale
from app.errors import DomainError
from app.extensions import limiter

log = logging.getLogger(__name__)

MEDIA_TYPE = "application/problem+json"
TYPE_PREFIX = "tag:kade.lk,2025:problem:"
REALM = "Kade API"

# The reason phrases of RFC 9110, translated: a problem of type about:blank has its status
# phrase as title.
TITLES = {
    400: _l("Bad Request"),
    401: _l("Unauthorized"),
    403: _l("Forbidden"),
    404: _l("Not Found"),
    405: _l("Method Not Allowed"),
    409: _l("Conflict"),
    413: _l("Content Too Large"),
    415: _l("Unsupported Media Type"),
    422: _l("Unprocessable Content"),
    429: _l("Too Many Requests"),
    500: _l("Internal Server Error"),
}
DETAILS = {
    400: _l("The request could not be read. Send a JSON object with the Content-Type "
            "application/json."),
    401: _l("Sign in first: send a valid access token as Authorization: Bearer <token>."),
    403: _l("You are not allowed to do that."),
    404: _l("We could not find that."),
    405: _l("This address does not accept that method."),
    409: _l("That conflicts with what is already there."),
    413: _l("The request is too large."),
    415: _l("Send JSON with the Content-Type application/json."),
    422: _l("Some fields are not right: see errors."),
    429: _l("Too many attempts. Please wait a few minutes and try again."),
    500: _l("Something went wrong on our side. Please try again in a moment."),
}
# The `code` of a problem that has no more specific one.
CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "too_many_requests",
    500: "server_error",
}


def problem(status: int, *, detail=None, code: str | None = None,
            errors: list[tuple[str | None, object]] | None = None,
            headers: dict[str, str] | None = None):
    """A problem+json response. `detail` and the messages of `errors` may be lazy strings:
    they are translated here, into the language the client asked for."""
    locale = api_locale()
    code = code or CODES.get(status, "error")
    with force_locale(locale):
        body = {
            "type": "about:blank" if code == CODES.get(status) else TYPE_PREFIX + code,
            "title": str(TITLES.get(status, TITLES[500 if status >= 500 else 400])),
            "status": status,
            "detail": str(detail if detail is not None else DETAILS.get(status, "")),
            "code": code,
        }
        if errors:
            body["errors"] = [{"field": field, "message": str(message)}
                              for field, message in errors]
    response = current_app.response_class(json.dumps(body, ensure_ascii=False), status,
                                          mimetype=MEDIA_TYPE)
    response.headers["Content-Language"] = locale
    response.vary.add("Accept-Language")
    if status == 401:
        # RFC 6750: say which scheme to use, and that a token was sent but is not good.
        challenge = f'Bearer realm="{REALM}"'
        if request.authorization is not None:
            challenge += ', error="invalid_token"'
        response.headers["WWW-Authenticate"] = challenge
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _retry_after_of_rate_limit() -> int:
    current = limiter.current_limit
    if current is None:
        return 60
    return max(1, int(current.reset_at - time.time()))


def for_http_exception(exc: HTTPException):
    """A Werkzeug error (404, 405, 413, a rate limit, unreadable JSON) as a problem. Headers
    the error carries (Allow for 405) are kept."""
    status = exc.code or 500
    headers = {name: value for name, value in exc.get_headers() if name != "Content-Type"}
    if status == 429:
        headers["Retry-After"] = str(_retry_after_of_rate_limit())
    return problem(status, headers=headers)


def for_apiflask_error(exc: HTTPError):
    """APIFlask's error: mostly an input that failed its schema, 422 with each wrong field.
    Body, query and path errors share the list; the field names say which is which."""
    cause = exc.__cause__
    if isinstance(cause, PydanticValidationError):
        return problem(exc.status_code, errors=field_errors(cause.errors()))
    return problem(exc.status_code)


def for_domain_error(exc: DomainError):
    """A broken business rule, with the status, code and message the service chose."""
    errors = [(exc.field, exc.message)] if exc.field else None
    headers = {}
    retry_after = getattr(exc, "retry_after", None)
    if retry_after:
        headers["Retry-After"] = str(retry_after)
    return problem(exc.status, detail=exc.message, code=exc.code, errors=errors,
                   headers=headers)


def for_crash(exc: Exception):
    # json.loads raises RecursionError, not ValueError, for input nested thousands deep,
    # so Flask does not turn it into a 400 itself.
    if isinstance(exc, RecursionError):
        log.warning("api_recursion_error", exc_info=exc)
        return for_http_exception(BadRequest())
    log.exception("api_unhandled_error")
    return problem(500)


def register(bp) -> None:
    """Answer problem+json for every error raised while one of `bp`'s routes runs."""
    bp.errorhandler(HTTPException)(for_http_exception)
    bp.errorhandler(HTTPError)(for_apiflask_error)
    bp.errorhandler(DomainError)(for_domain_error)
    bp.errorhandler(Exception)(for_crash)
