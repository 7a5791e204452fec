"""One app per worker process, created on first use, for jobs that need config and the DB."""

import contextlib

_app = None


@contextlib.contextmanager
def app_context():
    global _app
    if _app is None:
        from app import create_app

        _app = create_app()
    with _app.app_context():
        yield _app
