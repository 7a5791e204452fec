"""One app per worker process, created on first use, for jobs that need config and the DB.
A job run in-process (the embedded default) already has its app's context: it keeps it."""

import contextlib

from flask import current_app, has_app_context

_app = None


@contextlib.contextmanager
def app_context():
    global _app
    if has_app_context():
        yield current_app._get_current_object()
        return
    if _app is None:
        from app import create_app

        _app = create_app()
    with _app.app_context():
        yield _app
