"""The OpenAPI 3.1 document at /api/v1/openapi.json: what APIFlask generates from the routes,
plus the error responses as problem+json, restricted to /api/v1.

APIFlask's automatic error responses (`HTTPError`, `ValidationError`, as application/json)
are switched off: each route lists its own errors with `error_responses(...)`, so the
document says exactly which problems a route can answer, with the right media type.
"""

from __future__ import annotations

import functools

from flask import current_app

from app.api.problems import MEDIA_TYPE
from app.api.schemas import Problem

PREFIX = "/api/v1"
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}

_WHEN = {
    400: "The body is not JSON.",
    401: "No access token, or one that has expired or was revoked.",
    403: "Not allowed.",
    404: "Not found (also: another customer's).",
    409: "Conflicts with what exists.",
    422: "A field is missing or wrong: see `errors`.",
    429: "Too many attempts: wait `Retry-After` seconds.",
    502: "A payment provider did not do what was asked: nothing changed.",
}
_HEADERS = {
    401: {"WWW-Authenticate": {"description": "Bearer, with the error when a token was sent.",
                               "schema": {"type": "string"}}},
    429: {"Retry-After": {"description": "Seconds to wait before trying again.",
                          "required": True, "schema": {"type": "integer", "minimum": 0}}},
}

DESCRIPTION = """The JSON API of Kade for the mobile app. See docs/API.md in the repository.

Authenticate with `Authorization: Bearer <access token>` from `POST /api/v1/auth/token`.
Errors are `application/problem+json` (RFC 9457). Lists take `page` and `per_page` (≤ 100).
Messages follow `Accept-Language` (en, si, ta). Times are ISO 8601 with the UTC offset."""


def error_responses(*statuses: int, when: dict[int, str] | None = None) -> dict:
    """The `responses` of `@bp.doc` for these problem statuses; `when` says what a status
    means on this route, where the usual words would mislead."""
    responses = {}
    for status in statuses:
        response = {"description": (when or {}).get(status, _WHEN[status]),
                    "content": {MEDIA_TYPE: {"schema": PROBLEM_REF}}}
        if status in _HEADERS:
            response["headers"] = _HEADERS[status]
        responses[status] = response
    return responses


def _problem_schemas() -> dict:
    schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas = schema.pop("$defs", {})
    schemas["Problem"] = schema
    return schemas


def finish_document(spec: dict) -> dict:
    """APIFlask's spec processor: keep the /api/v1 paths (pages are not API), mark bodies
    required, add the Problem schema the error responses refer to, and say how the API
    works."""
    spec["paths"] = {path: operations for path, operations in spec.get("paths", {}).items()
                     if path.startswith(PREFIX + "/")}
    for operations in spec["paths"].values():
        for operation in operations.values():
            if "requestBody" in operation:
                # Every body of this API is required: without one the answer is a 400.
                operation["requestBody"]["required"] = True
    spec.setdefault("components", {}).setdefault("schemas", {}).update(_problem_schemas())
    spec["info"]["description"] = DESCRIPTION
    return spec


def configure(app) -> None:
    """Settings of the document, and its processor. Called once per app, when the API
    blueprint is registered."""
    app.config.update(
        OPENAPI_VERSION="3.1.0",
        AUTO_404_RESPONSE=False,
        AUTO_VALIDATION_ERROR_RESPONSE=False,
        AUTO_AUTH_ERROR_RESPONSE=False,
    )
    app.spec_processor(finish_document)
    _mark_plain_blueprints(app)
    # Again when the document is asked for, for blueprints registered after the API's.
    app.config["SPEC_DECORATORS"] = [_marking_plain_blueprints]


def _mark_plain_blueprints(app) -> None:
    # APIFlask 3.1 reads `enable_openapi` from every blueprint with a before_request hook
    # while collecting auth schemes, and plain Flask blueprints (the back office) have no
    # such attribute: the document fails with AttributeError. They are not API; say so.
    for blueprint in app.blueprints.values():
        if not hasattr(blueprint, "enable_openapi"):
            blueprint.enable_openapi = False


def _marking_plain_blueprints(view):
    @functools.wraps(view)
    def spec_view(*args, **kwargs):
        _mark_plain_blueprints(current_app)
        return view(*args, **kwargs)

    return spec_view
