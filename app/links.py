"""Absolute links for mail and other places outside a request, and signed tokens in them."""

from __future__ import annotations

from flask import current_app, has_request_context, url_for
from itsdangerous import URLSafeTimedSerializer


def external_url(endpoint: str, **values) -> str:
    # PUBLIC_URL wins over the request's Host header, which a client can forge to plant its
    # own domain in a link. Without it (development), the request's host is used.
    base = current_app.config.get("PUBLIC_URL")
    if not base and has_request_context():
        return url_for(endpoint, _external=True, **values)
    base = base or "http://127.0.0.1:5000"
    with current_app.test_request_context(base_url=base):
        return url_for(endpoint, _external=True, **values)


def serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"kade.{purpose}")
