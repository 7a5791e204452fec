"""The application class (app/flask_app.py): the session cookie's signer built once per
secret and the hooks' coroutine check kept, with Flask's behaviour unchanged."""

from __future__ import annotations

import gc
import weakref

from flask import after_this_request, session


def _routes(app):
    @app.get("/_test/session/write")
    def write():
        session["seen"] = "yes"
        return "written"

    @app.get("/_test/session/read")
    def read():
        return session.get("seen", "nothing")

    @app.get("/_test/after")
    def after():
        @after_this_request
        def mark(response):
            response.headers["X-Marked"] = "1"
            return response

        kept.append(weakref.ref(mark))
        return "ok"

    kept: list = []
    return kept


def test_a_session_survives_a_key_rotation_with_the_old_key_as_fallback(make_app):
    app = make_app(SECRET_KEY="first-secret-" + "x" * 40)
    _routes(app)
    client = app.test_client()
    assert client.get("/_test/session/write").status_code == 200
    assert client.get("/_test/session/read").get_data(as_text=True) == "yes"

    app.config["SECRET_KEY_FALLBACKS"] = [app.secret_key]
    app.secret_key = "second-secret-" + "y" * 40
    assert client.get("/_test/session/read").get_data(as_text=True) == "yes"

    app.config["SECRET_KEY_FALLBACKS"] = []  # the old key retired: its cookies stop working
    assert client.get("/_test/session/read").get_data(as_text=True) == "nothing"


def test_only_a_written_session_sets_a_cookie(make_app):
    app = make_app()
    _routes(app)
    client = app.test_client()

    untouched = client.get("/healthz")
    written = client.get("/_test/session/write")

    assert "Set-Cookie" not in untouched.headers
    assert written.headers.get("Set-Cookie", "").startswith("session=")
    assert "Cookie" in written.headers["Vary"]


def test_a_requests_own_callbacks_run_and_are_not_kept(make_app):
    app = make_app()
    kept = _routes(app)
    client = app.test_client()

    answers = [client.get("/_test/after") for _ in range(3)]

    assert [answer.headers.get("X-Marked") for answer in answers] == ["1", "1", "1"]
    gc.collect()
    assert [ref() for ref in kept] == [None, None, None]
