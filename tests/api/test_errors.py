"""Every error under /api/v1 is problem+json (RFC 9457), whatever went wrong."""

from __future__ import annotations

import pytest
from babel.support import NullTranslations
from flask_babel import get_domain

from app.accounts import privacy
from tests.api.helpers import PROBLEM, assert_problem

GOOD = {"name": "Nimal Perera", "email": "nimal@example.lk", "phone": "077 123 4567",
        "password": "a long pass phrase"}


@pytest.mark.parametrize(("method", "path"), [
    ("get", "/api/v1/nothing-here"), ("post", "/api/v1/no-such-thing"), ("get", "/api/v1/"),
    ("get", "/api/v2/me"), ("delete", "/api/v1/me/addresses/1/extra"),
])
def test_an_unknown_api_address_is_a_404_problem(client, app_ctx, method, path):
    response = getattr(client, method)(path)

    body = assert_problem(response, 404, "not_found")
    assert body["type"] == "about:blank"
    assert body["title"] == "Not Found"


@pytest.mark.parametrize(("method", "path", "allowed"), [
    ("put", "/api/v1/me", {"GET", "PATCH", "DELETE"}),
    ("get", "/api/v1/auth/token", {"POST"}),
    ("post", "/api/v1/me/addresses/1", {"GET", "PATCH", "DELETE"}),
])
def test_a_wrong_method_is_a_405_problem_with_allow(client, app_ctx, method, path, allowed):
    response = getattr(client, method)(path, json={})

    assert_problem(response, 405, "method_not_allowed")
    assert allowed <= set(response.headers["Allow"].split(", "))


def test_pages_keep_their_html_error_page(client, app_ctx):
    response = client.get("/no-such-page")

    assert response.status_code == 404
    assert response.mimetype == "text/html"


def test_validation_problems_list_each_wrong_field(client, app_ctx):
    response = client.post("/api/v1/auth/register",
                           json={"name": "", "email": 5, "phone": "12", "extra": True})

    body = assert_problem(response, 422, "validation_failed")
    assert body["type"] == "about:blank"
    assert {e["field"]: e["message"] for e in body["errors"]} == {
        "name": "This field is required.",
        "email": "Enter text.",
        "phone": "Enter a Sri Lankan mobile number, like 077 123 4567.",
        "password": "This field is required.",
        "extra": "This field is not accepted here.",
    }


def test_a_broken_rule_answers_the_service_s_status_and_code(client, app_ctx):
    # The schema takes the password; the service's rule refuses it (it holds the name).
    response = client.post("/api/v1/auth/register", json={**GOOD, "password": "Nimal Perera 2024"})

    body = assert_problem(response, 422, "weak_password")
    assert body["type"] == "tag:kade.lk,2025:problem:weak_password"
    assert body["detail"] == "Do not use your name, email or phone in your password."
    assert body["errors"] == [{"field": "password", "message": body["detail"]}]


@pytest.mark.parametrize("raw", ['{"name": ', "{'name': 'x'}", "\xff\xfe", "[" * 100_000,
                                 '{"a":' * 50_000])
def test_unreadable_json_is_a_400_problem(client, app_ctx, raw):
    response = client.post("/api/v1/auth/token", data=raw, content_type="application/json")

    assert_problem(response, 400, "bad_request")


@pytest.mark.parametrize(("path", "raw", "field"), [
    ("/api/v1/auth/refresh", '{"refresh_token": "\\ud800"}', "refresh_token"),
    ("/api/v1/auth/logout", '{"refresh_token": "a\\u0000b"}', "refresh_token"),
    ("/api/v1/auth/token", '{"email": "\\udfff@example.lk", "password": "x"}', "email"),
    ("/api/v1/auth/token", '{"email": "a@example.lk", "password": "\\ud83d"}', "password"),
    ("/api/v1/auth/register", '{"name": "\\ud800", "email": "a@example.lk", '
                              '"phone": "0771234567", "password": "a long pass phrase"}',
     "name"),
])
def test_lone_surrogates_and_nul_are_refused_before_they_reach_a_service(client, app_ctx,
                                                                        path, raw, field):
    response = client.post(path, data=raw, content_type="application/json")

    body = assert_problem(response, 422, "validation_failed")
    assert {e["field"] for e in body["errors"]} == {field}


def test_a_body_over_the_size_limit_is_a_413_problem(make_app, app_ctx):
    small = make_app(MAX_CONTENT_LENGTH=1024).test_client()

    response = small.post("/api/v1/auth/register", json={**GOOD, "name": "x" * 5000})

    assert_problem(response, 413, "too_large")


def test_a_crash_is_a_500_problem_that_tells_nothing_inside(client, auth_headers, monkeypatch):
    def broken(user_id):
        raise RuntimeError("database password is hunter2")

    monkeypatch.setattr(privacy, "export_data", broken)

    response = client.get("/api/v1/me/export", headers=auth_headers)

    assert_problem(response, 500, "server_error")
    assert "hunter2" not in response.get_data(as_text=True)


@pytest.mark.parametrize(("header", "language"), [
    ("si", "si"), ("ta-LK,ta;q=0.9", "ta"), ("en-GB", "en"), ("fr, de", "en"), (None, "en"),
])
def test_problems_answer_in_the_language_asked_for(client, app_ctx, header, language):
    headers = {"Accept-Language": header} if header else {}

    response = client.get("/api/v1/me", headers=headers)

    assert response.mimetype == PROBLEM
    assert response.headers["Content-Language"] == language
    assert "Accept-Language" in response.headers["Vary"]


class _Sinhala(NullTranslations):
    """A stand-in catalogue: the real ones are filled in by translators."""

    WORDS = {"We could not find that.": "එය හමු නොවීය.",
             "Enter a Sri Lankan mobile number, like 077 123 4567.": "ජංගම අංකයක් දෙන්න."}

    def ugettext(self, message):
        return self.WORDS.get(message, message)

    gettext = ugettext


def test_details_and_field_messages_are_translated(client, auth_headers, monkeypatch):
    domain = get_domain()
    monkeypatch.setitem(domain.cache, ("si", domain.domain[0]), _Sinhala())
    sinhala = {**auth_headers, "Accept-Language": "si"}

    missing = client.get("/api/v1/me/addresses/999", headers=sinhala)
    wrong = client.patch("/api/v1/me", headers=sinhala, json={"phone": "12"})
    english = client.get("/api/v1/me/addresses/999", headers=auth_headers)

    assert missing.get_json()["detail"] == "එය හමු නොවීය."
    assert wrong.get_json()["errors"][0]["message"] == "ජංගම අංකයක් දෙන්න."
    assert english.get_json()["detail"] == "We could not find that."


def test_a_web_language_choice_does_not_change_the_api_s(client, app_ctx):
    client.post("/language", data={"language": "si"})

    response = client.get("/api/v1/me", headers={"Accept-Language": "ta"})

    assert response.headers["Content-Language"] == "ta"
