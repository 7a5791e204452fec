"""Requests whose path or query holds a control character, or whose form holds a NUL, are
refused with 400 before any view, hook or database query sees them.

NUL in a path or a query parameter made about twenty routes answer 500 (PostgreSQL refuses
a string holding NUL); checking here covers every route, present and future, at once. A form
field's NUL is refused here too, because some views use a field before the form is validated
(the support page looks up the order chosen) and no person can type one. Other characters in
form fields are refused by the forms themselves (app/forms.py), on the field that holds them;
JSON bodies by the API's schemas. The characters are app/security/characters.py's.
"""

from __future__ import annotations

from flask import abort, request
from flask_babel import lazy_gettext as _l

from app.errors import DomainError
from app.security import characters


class ControlCharacters(DomainError):
    code = "control_characters"
    status = 400
    default_message = _l("The request holds invisible control characters. "
                         "Please check the link or the form and try again.")


def init_app(app) -> None:
    # First of all the app's hooks: the access log, the rate limiter and the page cache all
    # read the path, and a hook registered later must not see a NUL either.
    app.before_request_funcs.setdefault(None, []).insert(0, _refuse_control_characters)


def _refuse_control_characters():
    if not _holds_controls():
        return
    if request.path.startswith("/api/") and "api" not in request.blueprints:
        # Not an API blueprint route (none matched, or the OpenAPI document), so the API's
        # problem+json handlers are not in play; the pages' handler answers an /api/ URL's
        # HTTP error as problem+json.
        abort(400)
    raise ControlCharacters()


def _holds_controls() -> bool:
    if characters.has_url_controls(request.path):
        return True
    if any(characters.has_url_controls(name) or characters.has_url_controls(value)
           for name, value in request.args.items(multi=True)):
        return True
    return any("\x00" in name or "\x00" in value
               for name, value in request.form.items(multi=True))
