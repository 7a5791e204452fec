"""Brotli or gzip for text answers (pages, CSS, JS, JSON, SVG), so a phone on mobile data
fetches a third of the bytes or less (static files a quarter or less).

Only what gains: a text type, 500 bytes or more, to a client whose Accept-Encoding takes
br (every current browser, over HTTPS or to localhost) or else gzip; never an answer already
encoded, a partial one (206), or a stream (CSV exports are generators and go out as they are
made). Every answer of a compressible type says
`Vary: Accept-Encoding`, compressed or not, so a shared cache never hands gzip to a client
that did not ask for it. A compressed answer's ETag gets a `-gzip` suffix (the bytes differ,
so a strong validator must too: `-br`, `-gzip`), and a request revalidating that ETag gets its 304.

Static files are compressed once per file version and kept in memory (a handful of files),
at the highest levels. Pages are compressed per answer, so at the lowest levels: brotli 1
makes a product page (10.8 KB) 3.6 KB in 34 µs, where brotli 5 made it 2.9 KB in 200 µs, a
tenth of the whole page's CPU budget; either fits in the first round trip of a connection,
so the shopper waits no longer. gzip 1 likewise (nginx's default for pages).
A proxy in front may do this instead (nginx: `gzip on; gzip_types text/css
application/javascript application/json image/svg+xml; gzip_min_length 500; gzip_vary on;`
and `brotli on;` with ngx_brotli); nothing is compressed twice either way, since a proxy
leaves an answer with a Content-Encoding alone, and so does this hook.
"""

from __future__ import annotations

import gzip

import brotli
from flask import request

from app.headers import vary

COMPRESSIBLE = frozenset({
    "text/html", "text/css", "text/javascript", "application/javascript", "text/plain",
    "text/csv", "application/json", "application/problem+json", "application/xml", "text/xml",
    "image/svg+xml", "application/manifest+json",
})
MIN_SIZE = 500
MAX_STATIC_SIZE = 2 * 1024 * 1024  # larger static files go out as they are
# (page, static file): pages are made per request, so quick; static files once, so small.
LEVELS = {"br": (1, 11), "gzip": (1, 9)}


def etag_forms(etag: str) -> tuple[str, ...]:
    """The ETags an answer tagged `etag` may go out with: as it is, or compressed (`-br`,
    `-gzip`, as `_compress` marks them). A revalidation made before the answer is (app/
    revalidation.py) matches any of them."""
    return (etag, *(f"{etag}-{encoding}" for encoding in LEVELS))


def _encoding() -> str | None:
    """The client's preferred one of ours; brotli on a tie (it is smaller)."""
    accepted = request.accept_encodings
    br, gz = accepted.quality("br"), accepted.quality("gzip")
    if br > 0 and br >= gz:
        return "br"
    return "gzip" if gz > 0 else None


def _compress_bytes(data: bytes, encoding: str, static: bool) -> bytes:
    level = LEVELS[encoding][1 if static else 0]
    if encoding == "br":
        return brotli.compress(data, quality=level, mode=brotli.MODE_TEXT)
    return gzip.compress(data, level, mtime=0)


def init_app(app) -> None:
    """Call before anything else registers an after_request hook: Flask runs them in reverse,
    so this one runs last and compresses the answer as the other hooks left it."""
    static_cache: dict[tuple[str, str, str], bytes] = {}

    @app.after_request
    def _compress(response):
        if response.mimetype not in COMPRESSIBLE:
            return response
        vary(response, "Accept-Encoding")
        if (response.status_code < 200 or response.status_code in (204, 206, 304)
                or "Content-Encoding" in response.headers
                or "Content-Range" in response.headers):
            return response
        # Too small to gain first: most API answers are, and reading the client's
        # Accept-Encoding costs more than that check.
        if response.content_length is not None and response.content_length < MIN_SIZE:
            return response
        encoding = _encoding()
        if encoding is None:
            return response
        static = response.direct_passthrough
        if static:
            if not response.content_length or response.content_length > MAX_STATIC_SIZE:
                return response
        elif response.is_streamed:
            return response

        etag, weak = response.get_etag()
        key = (request.path, etag or "", encoding)
        body = static_cache.get(key) if static and etag else None
        if body is None:
            response.direct_passthrough = False
            data = response.get_data()
            if len(data) < MIN_SIZE:
                return response
            body = _compress_bytes(data, encoding, static)
            if static and etag:
                static_cache[key] = body
        else:
            response.direct_passthrough = False
            response.close()  # the file send_file opened; its bytes are already kept
        response.set_data(body)
        response.headers["Content-Encoding"] = encoding
        if etag:
            response.set_etag(f"{etag}-{encoding}", weak)
            response.make_conditional(request)  # If-None-Match: "…-br" → 304
        return response
