"""Flask extensions: created here without an app, bound in create_app."""

from functools import cached_property

from flask import Flask, Request, current_app
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf import CSRFProtect
from werkzeug.datastructures import Headers


class HtmxHeaders:
    """What htmx says about the request, from its HX-* headers
    (https://htmx.org/reference/#request_headers). True for a request htmx made, so
    `if request.htmx:` asks that; `boosted` marks an hx-boost navigation, which wants the
    whole page although htmx made it. Absent headers read as False or None."""

    __slots__ = ("_headers",)

    def __init__(self, headers: Headers):
        self._headers = headers

    def _flag(self, name: str) -> bool:
        return self._headers.get(name, "").strip().lower() == "true"

    def __bool__(self) -> bool:
        return self._flag("HX-Request")

    @property
    def boosted(self) -> bool:
        return self._flag("HX-Boosted")

    @property
    def history_restore_request(self) -> bool:
        """The browser lost a page from htmx's history cache and asks for it whole."""
        return self._flag("HX-History-Restore-Request")

    @property
    def target(self) -> str | None:
        """The id of the element the answer will be swapped into."""
        return self._headers.get("HX-Target")

    @property
    def trigger(self) -> str | None:
        """The id of the element that made the request."""
        return self._headers.get("HX-Trigger")

    @property
    def trigger_name(self) -> str | None:
        return self._headers.get("HX-Trigger-Name")

    @property
    def current_url(self) -> str | None:
        return self._headers.get("HX-Current-URL")

    @property
    def prompt(self) -> str | None:
        return self._headers.get("HX-Prompt")


class HtmxRequest(Request):
    """Flask's request with `request.htmx` (templates see it too)."""

    @cached_property
    def htmx(self) -> HtmxHeaders:
        return HtmxHeaders(self.headers)


class Htmx:
    """`request.htmx` for every request of an app. Our own rather than htmx-flask: that
    package is these few lines, has had no release since 2022, and we use none of the rest
    (README, "Dependencies")."""

    def init_app(self, app: Flask) -> None:
        app.request_class = HtmxRequest
        app.extensions["htmx"] = self


login_manager = LoginManager()
csrf = CSRFProtect()
htmx = Htmx()
babel = Babel()
# Limits are declared on the routes that need them (login, register, reset, tokens), per
# client address; accounts also wait after repeated wrong passwords (accounts.authenticate).
AUTH_LIMIT = "10 per minute; 100 per hour"


def checkout_rate_limit() -> str:
    """Orders placed per client address (web and API together): CHECKOUT_RATE_LIMIT."""
    return current_app.config["CHECKOUT_RATE_LIMIT"]


class RouteLimiter(Limiter):
    """Flask-Limiter, with limits declared on routes only. Its before-request hook looks for
    limits that apply to every request (default, application, meta or blueprint limits) and,
    while there are none, finds nothing, at some 50 µs a request: a fifth of a bare Flask
    request. A limited route checks its own limits in its decorator (in_middleware=False), so
    the hook is skipped while no app-wide limit exists, and runs as before once one does
    (RATELIMIT_DEFAULT, RATELIMIT_APPLICATION, RATELIMIT_META or a limited blueprint)."""

    def _app_wide_limits(self) -> bool:
        manager = self.limit_manager
        return bool(manager.application_limits or manager.default_limits
                    or self._meta_limits or self._in_memory_fallback
                    or manager._blueprint_limits)

    def _check_request_limit(self, callable_name: str | None = None,
                             in_middleware: bool = True) -> None:
        if in_middleware and not self._app_wide_limits():
            return
        super()._check_request_limit(callable_name=callable_name, in_middleware=in_middleware)


limiter = RouteLimiter(key_func=get_remote_address, default_limits=[], headers_enabled=True)
