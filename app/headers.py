"""Security headers on every response, with a per-request nonce for the CSP."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from urllib.parse import urlsplit

from flask import g, request


def nonce() -> str:
    found = g.get("csp_nonce")  # a page asks three times or more: one lookup each
    if found is None:
        found = g.csp_nonce = secrets.token_urlsafe(16)
    return found


def vary(response, name: str) -> None:
    """Add `name` to the answer's Vary header, as `response.vary.add(name)` does, without
    parsing the header into a set and writing it back (a page adds three names, and that
    round trip cost more than the rest of its headers)."""
    headers = response.headers
    current = headers.get("Vary")
    if not current:
        headers["Vary"] = name
    elif name.lower() not in (kept.strip().lower() for kept in current.split(",")):
        headers["Vary"] = f"{current}, {name}"


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

    # Made once: only the nonce differs from one answer to the next.
    csp_before_nonce = "default-src 'self'; script-src 'self' 'nonce-"
    csp_after_nonce = "'; " + "; ".join([
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
    fixed = [
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "strict-origin-when-cross-origin"),
        ("X-Frame-Options", "DENY"),
        ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
    ]
    if production:
        fixed.append(("Strict-Transport-Security", "max-age=63072000; includeSubDomains"))
    fixed_lower = [(name.lower(), name, value) for name, value in fixed]

    @app.after_request
    def _security_headers(response):
        headers = response.headers
        if request.endpoint == "static" or (
                request.endpoint == "pages.media" and response.status_code == 200
                and response.mimetype.startswith("image/")):
            # A stylesheet, a script or a product's picture needs none of the page's rules
            # (CSP, frames, referrer, permissions): sent with each of a page's files they only
            # cost bytes (a listing's two dozen pictures paid 14 KB of them). A picture is
            # always a re-encoded WebP (app/catalog/images.py), never markup.
            headers.setdefault("X-Content-Type-Options", "nosniff")
            return response
        # What a view set itself stays (as with setdefault), looked up in one pass.
        present = {name.lower() for name, _value in headers.items()}
        if "content-security-policy" not in present and response.status_code != 304:
            # A 304's headers are merged into the page the browser kept, whose scripts carry
            # the nonce of its own answer: a new one here would block them. The kept page's
            # policy stays as it was (app/revalidation.py).
            headers.add("Content-Security-Policy",
                        csp_before_nonce + nonce() + csp_after_nonce)
        for lower, name, value in fixed_lower:
            if lower not in present:
                headers.add(name, value)
        return response
