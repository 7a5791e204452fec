"""Helpers shared by HTML views: one route answers a page or, for htmx, its fragment."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Response,
    make_response,
    redirect,
    render_template,
    request,
    session,
    stream_with_context,
)

from app.db import utcnow
from app.headers import vary
from app.i18n import COLOMBO


def render(page: str, fragment: str | None = None, /, status: int = 200, **context):
    """Render the full page, or only the fragment the page includes for an htmx request.
    The template names are positional-only, so `page=` and `fragment=` are free for the
    templates' context (a listing's ProductPage is `page`)."""
    partial = fragment is not None and bool(request.htmx) and not request.htmx.boosted
    response = make_response(render_template(fragment if partial else page, **context), status)
    vary(response, "HX-Request")  # never serve a cached fragment as a page
    return response


def redirect_to(location: str):
    """303 after a successful form; htmx follows it as a whole-page navigation."""
    if request.htmx and not request.htmx.boosted:
        response = make_response("", 204)
        response.headers["HX-Location"] = location
        return response
    return redirect(location, code=303)


def safe_next(target: str | None, default: str) -> str:
    """Only same-site paths may be a post-login destination (no open redirect)."""
    # Browsers read a backslash in a URL as a slash: "/\\evil.example" is //evil.example to
    # them, though urlsplit sees a path. No path of ours holds one.
    if not target or "\\" in target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


def client_ip() -> str | None:
    return request.remote_addr


def form_status(form) -> int:
    """422 for a submitted form that is shown again (htmx swaps it; tests can tell)."""
    return 422 if form.is_submitted() else 200


def put_error(form, exc, default_field: str) -> None:
    """Show a service's DomainError on the field it names (or on `default_field`)."""
    # Only the form's own fields: a service's field name may match some other attribute.
    field = form._fields.get(exc.field or default_field) or form._fields[default_field]
    field.errors = [*field.errors, str(exc.message)]


def fresh_session() -> None:
    """A new session at every sign-in and sign-out (no fixation): keep only the language."""
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale


def with_retry_after(response, seconds: int | None):
    if seconds:
        response.headers["Retry-After"] = str(seconds)
    return response


def private_file(data: bytes, mimetype: str, filename: str) -> Response:
    """A person's own file (a transfer slip): always a download, never shown inside the
    shop's pages; kept by no browser or proxy cache; and inert should a browser open it
    anyway (the sandbox CSP lets nothing in it run). `filename` is one Kade made."""
    return Response(data, mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "private, no-store",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; img-src 'self'; sandbox"})


def csv_download(chunks, name: str) -> Response:
    """A CSV export (chunks from app.csv_export) streamed as a download named
    `<name>-<Colombo date and time>.csv`; the request context stays open while it streams."""
    stamp = utcnow().astimezone(COLOMBO).strftime("%Y%m%d-%H%M")
    return Response(stream_with_context(chunks), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{name}-{stamp}.csv"'})
