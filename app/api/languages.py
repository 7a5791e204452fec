"""The language of an API answer: the `Accept-Language` header, and nothing else.

The pages pick a language from the session cookie and the signed-in account; the API must
not, because a cookie has no say in a bearer-token API and one phone may send requests in
another language than the account's last web visit.
"""

from __future__ import annotations

from flask import request

from app.i18n import LANGUAGES


def api_locale() -> str:
    """`en`, `si` or `ta`: the best match of Accept-Language (`si-LK` counts as `si`),
    English when the header is missing or names none of them."""
    return request.accept_languages.best_match(list(LANGUAGES)) or "en"
