"""Requests whose path or query holds a control character are refused with 400 before any
view, hook or database query sees them.

NUL in a path or a query parameter made about twenty routes answer 500 (PostgreSQL refuses
a string holding NUL); checking here covers every route, present and future, at once. Form
fields are checked by the forms themselves (app/forms.py), so a person sees which field is
wrong; JSON bodies, and the API's paths and queries, by the API's schemas. The characters
are app/security/characters.py's.
"""

from __future__ import annotations

from flask import abort, request
from flask_babel import lazy_gettext as _l

from app.errors import DomainError
from app.security import characters


class ControlCharacters(DomainError):
    code = "control_characters"
    status = 400
    default_message = _l("The address holds invisible control characters. "
                         "Please check the link and try again.")


def init_app(app) -> None:
    # First of all the app's hooks: the access log, the rate limiter and the page cache all
    # read the path, and a hook registered later must not see a NUL either.
    app.before_request_funcs.setdefault(None, []).insert(0, _refuse_control_characters)


def _refuse_control_characters():
    if request.url_rule is None:
        return  # no route matched: the 404 (or 405) answers, and no view runs
    if "api" in request.blueprints:
        # The API's routes check their path and query with their schemas, which refuse the
        # same characters with a 422 naming the parameter: more than this guard could say.
        return
    if not _holds_controls():
        return
    if request.path.startswith("/api/"):
        # The OpenAPI document: not an API blueprint route, so the API's problem+json
        # handlers are not in play; the pages' handler answers its HTTP errors as problem+json.
        abort(400)
    raise ControlCharacters()


def _holds_controls() -> bool:
    if characters.has_url_controls(request.path):
        return True
    return any(characters.has_url_controls(name) or characters.has_url_controls(value)
               for name, value in request.args.items(multi=True))
