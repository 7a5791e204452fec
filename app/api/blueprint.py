"""The API blueprint: /api/v1, problem+json errors, no CSRF, no caching."""

from __future__ import annotations

from apiflask import APIBlueprint

from app.api import openapi, problems
from app.api.languages import api_locale
from app.extensions import csrf

bp = APIBlueprint("api", __name__, url_prefix=openapi.PREFIX)
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
