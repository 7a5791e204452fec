"""The API blueprint: /api/v1, problem+json errors, no CSRF, no caching."""

from __future__ import annotations

from functools import wraps

from apiflask import APIBlueprint
from apiflask.exceptions import HTTPError
from flask import request
from pydantic import ValidationError

from app.api import openapi, problems
from app.api.languages import api_locale
from app.extensions import csrf


class KadeBlueprint(APIBlueprint):
    """APIFlask reads a JSON body of `null` as `{}`: a PATCH of `null` changed nothing and
    answered 200, a cancel of `null` cancelled. Every route that takes a JSON body here
    refuses `null` as it refuses `[]`: 422, "Send a JSON object."."""

    def input(self, schema, location="json", *args, **kwargs):
        validate = super().input(schema, location, *args, **kwargs)
        if location != "json":
            return validate

        def decorator(view):
            validated = validate(view)

            @wraps(validated)
            def refusing_null(*view_args, **view_kwargs):
                # Unreadable JSON raises 400 here, as it would in APIFlask's own reading.
                if request.get_json(force=True) is None:
                    _refuse_as_not_an_object(schema)
                return validated(*view_args, **view_kwargs)

            return refusing_null

        return decorator


def _refuse_as_not_an_object(schema) -> None:
    """Raise the validation error the schema gives for a body that is not an object."""
    try:
        schema.model_validate(None)
    except ValidationError as error:
        raise HTTPError(422) from error  # problems.for_apiflask_error lists its fields


bp = KadeBlueprint("api", __name__, url_prefix=openapi.PREFIX)
problems.register(bp)

# How the app's error pages answer a /api/ URL that matched no route (404, 405): they cannot
# import the API (nothing below the app factory does), so they find this in app.extensions.
PROBLEM_HOOK = "api.problem_for_http_exception"


@bp.record_once
def _wire_into_app(state) -> None:
    # Bearer tokens are not sent by browsers on their own, so a forged cross-site request
    # carries none: CSRF tokens would only burden the mobile app (see app/api/auth.py).
    csrf.exempt(bp)
    openapi.configure(state.app)
    state.app.extensions[PROBLEM_HOOK] = problems.for_http_exception


@bp.after_request
def _private_answers(response):
    # Answers hold personal data and tokens (RFC 6749 §5.1 asks no-store for tokens): the
    # API is a personal blueprint (app/personal_pages.py). They differ by language.
    response.headers.setdefault("Content-Language", api_locale())
    response.vary.add("Accept-Language")
    return response
