"""Fixtures for the JSON API: a signed-in customer's tokens, bearer headers, and rate limits
kept as each test's app says."""

from __future__ import annotations

import pytest

from tests.api.helpers import bearer, sign_in


@pytest.fixture(autouse=True)
def _rate_limits_as_configured(app):
    """The limiter is one object shared by every app of the test session, and an app made
    with RATELIMIT_ENABLED=True switches it on for all of them. Each API test starts with the
    session app's setting (off) and leaves the setting it found."""
    from app.extensions import limiter

    before = limiter.enabled
    limiter.enabled = app.config["RATELIMIT_ENABLED"]
    yield
    limiter.enabled = before


@pytest.fixture()
def tokens(client, customer) -> dict:
    """The verified `customer`'s token pair."""
    return sign_in(client, customer.email)


@pytest.fixture()
def auth_headers(tokens) -> dict[str, str]:
    return bearer(tokens["access_token"])
