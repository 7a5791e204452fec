"""The application class: APIFlask, less three costs Flask pays again on every request for
an answer that cannot change while the process runs.

Measured on /healthz in one process (cProfile): asking whether each of the request's twenty
hooks and views is a coroutine (`ensure_sync`, twenty `inspect` calls) took a tenth of the
request, and building the session cookie's signer (keys, salt, HMAC setup) to open a
session, most often an empty one, a twentieth. The third is in every template rendered or
included (`TemplateEnvironment`).
"""

from __future__ import annotations

import contextlib
import weakref

from apiflask import APIFlask
from flask.sessions import SecureCookieSessionInterface
from flask.templating import Environment


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed cookie sessions, the signer built once per secret (a key rotation,
    SECRET_KEY_FALLBACKS included, builds a new one)."""

    _signer = None  # (keys it was built for, the serializer)

    def get_signing_serializer(self, app):
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        if self._signer is None or self._signer[0] != keys:
            self._signer = (keys, super().get_signing_serializer(app))
        return self._signer[1]


class TemplateGlobals(dict):
    """The environment's globals, which tell it when they change (see below)."""

    def __init__(self, *args, on_change, **kwargs):
        super().__init__(*args, **kwargs)
        self._on_change = on_change

    def _changed(method):  # noqa: N805 — wraps dict's own methods
        def changed(self, *args, **kwargs):
            result = method(self, *args, **kwargs)
            self._on_change()
            return result

        return changed

    __setitem__ = _changed(dict.__setitem__)
    __delitem__ = _changed(dict.__delitem__)
    __ior__ = _changed(dict.__ior__)
    update = _changed(dict.update)
    setdefault = _changed(dict.setdefault)
    pop = _changed(dict.pop)
    popitem = _changed(dict.popitem)
    clear = _changed(dict.clear)
    del _changed


class TemplateEnvironment(Environment):
    """Flask's Jinja environment, whose templates hold their globals as one plain dict.

    Jinja gives each template a ChainMap of its own globals over the environment's, and every
    render and every `{% include %}` or `{% import ... with context %}` copies that into the
    new context's dict: a ChainMap copies key by key in Python, some forty keys, while a dict
    copies in C. That was 2.5 % of a product page's instructions (callgrind), which has six
    such contexts. A template now keeps a copy made when it is loaded, so the environment
    forgets its loaded templates whenever its globals change: none is left with old ones.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.globals = TemplateGlobals(self.globals, on_change=self._forget_templates)

    def _forget_templates(self) -> None:
        if self.cache is not None:
            self.cache.clear()

    def make_globals(self, d):
        return {**self.globals, **(d or {})}  # a template's own globals first, as Jinja's


class KadeFlask(APIFlask):
    jinja_environment = TemplateEnvironment

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
