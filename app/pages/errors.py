"""Styled error pages. The API blueprint answers problem+json for its own routes."""

import logging

from flask import current_app, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from app.errors import DomainError
from app.web import render

log = logging.getLogger(__name__)

TITLES = {
    400: _l("That request did not make sense"),
    403: _l("You cannot open this page"),
    404: _l("We could not find that page"),
    405: _l("That cannot be done here"),
    413: _l("That file is too large"),
    422: _l("Please check what you entered"),
    429: _l("Too many tries"),
    500: _l("Something went wrong on our side"),
}
MESSAGES = {
    400: _l("Please go back and try again."),
    403: _l("Your account does not have access to this page."),
    404: _l("The page may have moved, or the link may be mistyped."),
    405: _l("Please go back and try again."),
    413: _l("Please choose a smaller file."),
    422: _l("Please go back, check the form and try again."),
    429: _l("Please wait a few minutes, then try again."),
    500: _l("We have been told about it. Please try again in a moment."),
}


def _is_api() -> bool:
    return request.path.startswith("/api/")


def _api_problem(exc: HTTPException):
    """An /api/ URL that matched no API route (404, 405) never reaches the API blueprint's
    handlers; the API leaves its problem+json answer in app.extensions (nothing here may
    import the API). Without it, the plain HTTP error."""
    answer = current_app.extensions.get("api.problem_for_http_exception")
    return answer(exc) if answer else exc


def error_page(status: int, message=None, retry_after: int | None = None):
    response = render("errors/error.html", status=status, code=status,
                      title=TITLES.get(status, TITLES[500]),
                      message=message or MESSAGES.get(status, MESSAGES[500]))
    if retry_after:
        response.headers["Retry-After"] = str(retry_after)
    return response


def register(app) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(exc):
        if _is_api():
            return _api_problem(exc)
        return error_page(400, _l("This form expired. Please reload the page and try again."))

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        if _is_api():
            return _api_problem(exc)
        retry = None
        if exc.code == 429:
            retry = getattr(exc, "retry_after", None) or 60
        return error_page(exc.code or 500, retry_after=retry)

    @app.errorhandler(DomainError)
    def _domain(exc: DomainError):
        if _is_api():
            raise exc
        return error_page(exc.status, exc.message, getattr(exc, "retry_after", None))

    @app.errorhandler(Exception)
    def _crash(exc):
        if isinstance(exc, HTTPException):
            return _http(exc)
        log.exception("unhandled_error")
        if _is_api():
            raise exc
        return error_page(500)
