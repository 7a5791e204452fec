"""One S3 client per process for each store Kade talks to (media, backups).

A boto3 client costs tens of milliseconds to build (it loads the service model) and holds
its own connection pool; building one per picture made a listing of forty pictures build
forty. A client is thread-safe, so gunicorn's threads share one; a boto3 Session is not,
so each client is built from a Session of its own, under a lock. A client is keyed by its
endpoint and by the AWS_* variables that choose its credentials and region, so a changed
environment (a test's S3 server) gets a new one. A forked child (gunicorn's workers, with
preload_app) forgets its parent's clients rather than share their connections.
"""

from __future__ import annotations

import os
import threading
from typing import Any

# The environment boto3 reads credentials and region from. With none set it finds them
# itself (shared files, an instance role) and refreshes them inside the one client.
_ENVIRONMENT = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                "AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION")

_lock = threading.Lock()
_clients: dict[tuple, Any] = {}


def client(endpoint_url: str | None = None):
    """This process's boto3 S3 client for `endpoint_url` (None: AWS itself)."""
    key = (endpoint_url, *(os.environ.get(name) for name in _ENVIRONMENT))
    found = _clients.get(key)
    if found is not None:
        return found
    with _lock:
        if key not in _clients:
            import boto3

            _clients[key] = boto3.session.Session().client("s3", endpoint_url=endpoint_url)
        return _clients[key]


def _forget_after_fork() -> None:
    global _lock
    _lock = threading.Lock()  # another thread may have held it at the fork
    _clients.clear()


os.register_at_fork(after_in_child=_forget_after_fork)
