"""The application class: APIFlask, less two costs Flask pays again on every request for an
answer that cannot change while the process runs.

Measured on /healthz in one process (cProfile): asking whether each of the request's twenty
hooks and views is a coroutine (`ensure_sync`, twenty `inspect` calls) took a tenth of the
request, and building the session cookie's signer (keys, salt, HMAC setup) to open a
session, most often an empty one, a twentieth.
"""

from __future__ import annotations

import contextlib
import weakref

from apiflask import APIFlask
from flask.sessions import SecureCookieSessionInterface


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed cookie sessions, the signer built once per secret (a key rotation,
    SECRET_KEY_FALLBACKS included, builds a new one)."""

    _signer = None  # (keys it was built for, the serializer)

    def get_signing_serializer(self, app):
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        if self._signer is None or self._signer[0] != keys:
            self._signer = (keys, super().get_signing_serializer(app))
        return self._signer[1]


class KadeFlask(APIFlask):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.session_interface = CookieSessions()  # its signer is this app's, not shared
        # Weakly: a request's own callbacks (after_this_request) go with it.
        self._known_sync: weakref.WeakSet = weakref.WeakSet()

    def ensure_sync(self, func):
        # A function is a coroutine or not for good, and Flask asks for every hook of every
        # request: those found plain are remembered (a callable that cannot be is asked).
        try:
            if func in self._known_sync:
                return func
        except TypeError:  # unhashable
            return super().ensure_sync(func)
        made = super().ensure_sync(func)
        if made is func:
            with contextlib.suppress(TypeError):
                self._known_sync.add(func)
        return made
