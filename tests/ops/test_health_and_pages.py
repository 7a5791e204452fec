"""Health checks, security headers, error pages and logs."""

import json
import logging

import pytest
from flask import abort

from app.ops.logs import JsonFormatter
from app.queue import wait_for_local_jobs
from tests.conftest import PRODUCTION_SETTINGS


def test_healthz_answers_without_touching_the_database(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_reports_each_check(client):
    response = client.get("/readyz")

    body = response.get_json()
    assert response.status_code == 200
    assert body["checks"]["database"]["ok"] is True
    assert "skipped" in body["checks"]["redis"]


def test_readyz_is_unavailable_when_redis_does_not_answer(make_app):
    app = make_app(REDIS_URL="redis://127.0.0.1:1/0")

    response = app.test_client().get("/readyz")

    assert response.status_code == 503
    assert response.get_json()["checks"]["redis"]["ok"] is False


def test_readyz_with_a_real_redis(make_app, redis_url):
    app = make_app(REDIS_URL=redis_url)

    response = app.test_client().get("/readyz")

    assert response.get_json()["checks"]["redis"]["ok"] is True


def test_security_headers_on_every_page(client):
    response = client.get("/")

    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in csp
    assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    nonce = csp.split("'nonce-")[1].split("'")[0]
    assert f'nonce="{nonce}"' in response.get_data(as_text=True)


def test_production_sends_hsts_and_secure_cookies(make_app, monkeypatch):
    for name, value in PRODUCTION_SETTINGS.items():
        monkeypatch.setenv(name, value)
    app = make_app(**PRODUCTION_SETTINGS)

    response = app.test_client().get("/account/login")

    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_production_refuses_to_start_without_secrets(monkeypatch):
    from app import create_app

    for name in ("SECRET_KEY", "PII_KEYS", "PII_INDEX_KEY", "PUBLIC_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("KADE_ENV", "production")

    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app()


@pytest.mark.parametrize("missing", ["SMTP_URL", "SMS_GATEWAY_URL"])
def test_production_refuses_to_start_without_a_mail_or_sms_transport(migrated, tmp_root,
                                                                     missing):
    """Rather than write customers' mails and codes to files on the server."""
    from app import create_app
    from tests.conftest import base_config

    settings = {**base_config(migrated, tmp_root), **PRODUCTION_SETTINGS, missing: None}

    with pytest.raises(RuntimeError, match=f"KADE_ENV=production needs these settings: "
                                           f"{missing}"):
        create_app(settings)


@pytest.mark.parametrize(("path", "status", "text"), [
    ("/no/such/page", 404, "We could not find that page"),
    ("/account/addresses/999999/edit", 302, None),
])
def test_error_pages_are_styled(client, path, status, text):
    response = client.get(path)

    assert response.status_code == status
    if text:
        page = response.get_data(as_text=True)
        assert text in page and "<main" in page and "Go to the home page" in page


@pytest.fixture()
def crashing_app(make_app):
    app = make_app(PROPAGATE_EXCEPTIONS=False)

    @app.get("/boom")
    def boom():
        raise RuntimeError("kaboom with a secret 0771234567")

    @app.get("/forbidden")
    def forbidden():
        abort(403)

    @app.get("/slow-down")
    def slow_down():
        abort(429)

    return app


@pytest.mark.parametrize(("path", "status", "text"), [
    ("/boom", 500, "Something went wrong on our side"),
    ("/forbidden", 403, "You cannot open this page"),
    ("/slow-down", 429, "Too many tries"),
])
def test_403_429_and_500_pages(crashing_app, path, status, text):
    response = crashing_app.test_client().get(path)

    assert response.status_code == status
    assert text in response.get_data(as_text=True)


def _json_lines(caplog) -> list[dict]:
    formatter = JsonFormatter()
    return [json.loads(formatter.format(record)) for record in caplog.records]


def test_log_lines_are_json_with_a_request_id_and_no_query_string(client, caplog):
    caplog.set_level(logging.INFO)

    client.get("/account/login?email=someone@example.lk",
               headers={"X-Request-ID": "abcd1234efgh"})

    lines = _json_lines(caplog)
    request_lines = [line for line in lines if line["event"] == "request"]
    assert request_lines[-1]["request_id"] == "abcd1234efgh"
    assert request_lines[-1]["route"] == "/account/login"
    assert "someone@example.lk" not in json.dumps(lines)


def test_registration_and_sign_in_logs_hold_no_personal_data(client, caplog):
    caplog.set_level(logging.INFO)
    form = {"name": "Loggable Name", "email": "logcheck@example.lk", "phone": "0779998887",
            "password": "a long pass phrase"}

    client.post("/account/register", data=form)
    client.post("/account/logout")
    client.post("/account/login", data={"email": form["email"], "password": "wrong guess 1"})
    wait_for_local_jobs(client.application)  # the relay logs from its own thread

    text = json.dumps(_json_lines(caplog), ensure_ascii=False)
    assert "account_registered" in text and "outbox_delivered" in text
    for secret in (*form.values(), "+94779998887", "wrong guess 1"):
        assert secret not in text


def test_behind_a_proxy_the_audit_log_gets_the_clients_address(make_app, db_session):
    from sqlalchemy import select

    from app.audit.models import AuditEntry

    app = make_app(PROXY_COUNT=1)

    app.test_client().post("/account/login", data={"email": "x@example.lk", "password": "y" * 12},
                           headers={"X-Forwarded-For": "203.0.113.7"},
                           environ_base={"REMOTE_ADDR": "10.0.0.2"})

    entry = db_session.scalars(select(AuditEntry).where(AuditEntry.action == "login.failed")).one()
    assert entry.ip == "203.0.113.7"


def test_pictures_from_the_media_bucket_are_allowed_by_the_csp(make_app):
    app = make_app(MEDIA_PUBLIC_URL="https://media.example.lk/kade")

    csp = app.test_client().get("/").headers["Content-Security-Policy"]

    assert "img-src 'self' data: https://media.example.lk;" in csp
