"""Static files a phone fetches once: content-hashed URLs, cached for a year.

Every `url_for('static', filename=...)` gets `?v=<hash>`, a short hash of the file's bytes
computed at start-up. A URL with the file's current hash never changes meaning, so it is
sent with `Cache-Control: public, max-age=31536000, immutable`: the second page a shopper
opens fetches no CSS or JS, not even a revalidation request. A new deploy changes the hash,
so the page asks for a new URL. A URL without the hash (or with an old one) still works,
cached for a short while only.

(app/headers.py sends static files fewer headers than pages.)
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from flask import request

YEAR = 31536000
SHORT = 300  # unhashed or stale-hash URLs: a deploy shows within five minutes
HASH_LENGTH = 10


def _hashes(folder: Path) -> dict[str, str]:
    found = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            digest = hashlib.sha256(path.read_bytes()).hexdigest()[:HASH_LENGTH]
            found[path.relative_to(folder).as_posix()] = digest
    return found


class StaticHashes:
    def __init__(self, folder: Path, *, watch: bool):
        self.folder, self.watch = folder, watch
        self.hashes = _hashes(folder)
        self._mtimes: dict[str, float] = {}

    def get(self, filename: str) -> str | None:
        if self.watch:  # development: an edited file gets a new hash without a restart
            path = self.folder / filename
            try:
                mtime = path.stat().st_mtime
            except OSError:
                return None
            if self._mtimes.get(filename) != mtime:
                self._mtimes[filename] = mtime
                self.hashes[filename] = hashlib.sha256(
                    path.read_bytes()).hexdigest()[:HASH_LENGTH]
        return self.hashes.get(filename)


def init_app(app) -> None:
    hashes = StaticHashes(Path(app.static_folder), watch=app.debug)
    app.extensions["kade_static_hashes"] = hashes

    @app.url_defaults
    def _hashed_static(endpoint, values):
        if endpoint == "static" and "v" not in values:
            digest = hashes.get(values.get("filename", ""))
            if digest:
                values["v"] = digest

    @app.after_request
    def _static_headers(response):
        if request.endpoint != "static":
            return response
        if response.status_code in (200, 304):
            filename = (request.view_args or {}).get("filename", "")
            fresh = request.args.get("v") and request.args.get("v") == hashes.get(filename)
            response.headers["Cache-Control"] = (
                f"public, max-age={YEAR}, immutable" if fresh else f"public, max-age={SHORT}")
            if fresh:
                # Nothing to revalidate: the URL changes when the bytes do.
                response.headers.pop("Last-Modified", None)
        return response
