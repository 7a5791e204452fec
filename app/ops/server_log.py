"""gunicorn's own log lines, without what a request's address may carry.

A path or query string can hold a password-reset token, an order link's token or an email
address. The app logs each request as one JSON line naming its route (`/account/reset/
<token>`, app/ops/logs.py), so gunicorn's access line, which prints the raw request line, is
not needed; and gunicorn's error lines quote the request line or a header when it cannot
parse one, or the URI when a request fails outside the app. This logger keeps those lines'
news and drops the quoted request.
"""

from __future__ import annotations

import re

from gunicorn.glogging import Logger

# "Invalid request from ip=1.2.3.4: Invalid HTTP request line: 'GET /account/reset/…'"
_QUOTED = re.compile(r"""(['"]).*\1""", re.S)


class RouteOnlyLogger(Logger):
    """gunicorn's logger minus request lines (set as `logger_class` in gunicorn.conf.py)."""

    @property
    def access_log_enabled(self):
        return False  # gunicorn then skips building the access line at all

    def access(self, resp, req, environ, request_time):
        # Off even when --access-logfile is given on the command line: the app's own line
        # (the route, status and time) replaces it.
        return

    def exception(self, msg, *args, **kwargs):
        if isinstance(msg, str) and msg.startswith("Error handling request"):
            msg, args = "Error handling request (its address is not logged)", ()
        super().exception(msg, *args, **kwargs)

    def warning(self, msg, *args, **kwargs):
        super().warning(_without_request(msg), *args, **kwargs)

    def error(self, msg, *args, **kwargs):
        super().error(_without_request(msg), *args, **kwargs)

    def debug(self, msg, *args, **kwargs):
        super().debug(_without_request(msg), *args, **kwargs)


def _without_request(msg):
    if isinstance(msg, str) and msg.startswith("Invalid request from"):
        return _QUOTED.sub(r"\1…\1", msg)
    return msg
