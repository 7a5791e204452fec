"""Security headers on every response, with a per-request nonce for the CSP."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from urllib.parse import urlsplit

from flask import g, request


def nonce() -> str:
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def init_app(app, *, template_nonce: Callable[[], str] = nonce) -> None:
    """`template_nonce`: what templates call for the nonce; the app factory passes the page
    cache's (app.page_cache.template_nonce: a marker while it renders a page to keep), so
    this module, which the page cache uses, does not import it."""
    production = app.config["KADE_ENV"] == "production"
    # Pictures may come from the media bucket's own address (MEDIA_PUBLIC_URL).
    media_origin = ""
    if app.config.get("MEDIA_PUBLIC_URL"):
        parts = urlsplit(app.config["MEDIA_PUBLIC_URL"])
        media_origin = f" {parts.scheme}://{parts.netloc}"

    @app.context_processor
    def _nonce():
        return {"csp_nonce": template_nonce}

    @app.after_request
    def _security_headers(response):
        headers = response.headers
        if request.endpoint == "static":
            # A stylesheet or script needs none of the page's rules (CSP, frames, referrer,
            # permissions): sent with each of a page's files they only cost bytes.
            headers.setdefault("X-Content-Type-Options", "nosniff")
            return response
        csp = "; ".join([
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce()}'",
            # htmx writes style attributes for its swap transitions; no inline scripts though.
            "style-src 'self' 'unsafe-inline'",
            f"img-src 'self' data:{media_origin}",
            "font-src 'self'",
            "connect-src 'self'",
            "form-action 'self' https://sandbox.payhere.lk https://www.payhere.lk",
            "frame-ancestors 'none'",
            "base-uri 'self'",
            "object-src 'none'",
        ])
        if response.status_code != 304:
            # A 304's headers are merged into the page the browser kept, whose scripts carry
            # the nonce of its own answer: a new one here would block them. The kept page's
            # policy stays as it was (app/revalidation.py).
            headers.setdefault("Content-Security-Policy", csp)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if production:
            headers.setdefault("Strict-Transport-Security",
                               "max-age=63072000; includeSubDomains")
        return response
