"""My account through the API: profile, a copy of my data, and erasure."""

from __future__ import annotations

import json

import pytest

from tests.api.helpers import assert_problem, bearer, error_fields, sign_in
from tests.factories import PASSWORD, make_address, make_customer


def test_me_answers_my_profile(client, customer, auth_headers):
    response = client.get("/api/v1/me", headers=auth_headers)

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"
    me = response.get_json()
    assert me == {"id": customer.id, "name": customer.name, "email": customer.email,
                  "email_verified": True, "phone": customer.phone, "language": "en",
                  "created_at": customer.created_at.isoformat()}


def test_patch_me_changes_only_what_is_sent(client, customer, auth_headers):
    response = client.patch("/api/v1/me", headers=auth_headers,
                            json={"phone": "+94 71 555 1234", "language": "ta"})

    assert response.status_code == 200
    me = response.get_json()
    assert me["phone"] == "+94715551234"
    assert me["language"] == "ta"
    assert me["name"] == customer.name
    assert client.get("/api/v1/me", headers=auth_headers).get_json() == me


def test_patch_me_with_nothing_changes_nothing(client, customer, auth_headers):
    before = client.get("/api/v1/me", headers=auth_headers).get_json()

    response = client.patch("/api/v1/me", headers=auth_headers, json={})

    assert response.get_json() == before


@pytest.mark.parametrize(("body", "field"), [
    ({"name": ""}, "name"),
    ({"name": "  "}, "name"),
    ({"name": "x" * 10_000}, "name"),
    ({"name": None}, "name"),
    ({"name": 42}, "name"),
    ({"name": "Nimal\x1bPerera"}, "name"),
    ({"phone": "12345"}, "phone"),
    ({"phone": "'; DROP TABLE accounts_user; --"}, "phone"),
    ({"phone": ["0771234567"]}, "phone"),
    ({"language": "fr"}, "language"),
    ({"language": "<script>"}, "language"),
    ({"email": "new@example.lk"}, "email"),
    (["name"], None),
    (7, None),
])
def test_patch_me_refuses_bad_input(client, auth_headers, body, field):
    response = client.patch("/api/v1/me", headers=auth_headers, data=json.dumps(body),
                            content_type="application/json")

    problem = assert_problem(response, 422, "validation_failed")
    assert error_fields(problem) == {field}


def test_patch_me_refuses_a_body_that_is_not_json(client, auth_headers):
    response = client.patch("/api/v1/me", headers=auth_headers, data="name=Nimal",
                            content_type="text/plain")

    assert_problem(response, 400)


@pytest.mark.parametrize(("method", "path"), [
    ("get", "/api/v1/me"), ("patch", "/api/v1/me"), ("get", "/api/v1/me/export"),
    ("delete", "/api/v1/me"), ("get", "/api/v1/me/addresses"),
    ("post", "/api/v1/me/addresses"), ("get", "/api/v1/me/addresses/1"),
    ("patch", "/api/v1/me/addresses/1"), ("delete", "/api/v1/me/addresses/1"),
])
def test_my_routes_need_a_token(client, app_ctx, method, path):
    response = getattr(client, method)(path, json={})

    assert_problem(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="Kade API"'


def test_export_holds_my_data_and_nobody_else_s(client, customer, auth_headers, app_ctx):
    make_address(customer.id, recipient="Mine Perera", city="Galle")
    other = make_customer(name="Other Silva", email="other@example.lk")
    make_address(other.id, recipient="Not Mine", city="Jaffna", district="jaffna")

    response = client.get("/api/v1/me/export", headers=auth_headers)

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"
    data = response.get_json()
    assert data["account"]["email"] == customer.email
    assert data["account"]["created_at"].endswith("+00:00")
    assert [a["recipient"] for a in data["addresses"]] == ["Mine Perera"]
    assert data["orders"] == []
    text = response.get_data(as_text=True)
    assert "other@example.lk" not in text and "Not Mine" not in text and "Other Silva" not in text


def test_erasing_needs_my_password(client, auth_headers):
    response = client.delete("/api/v1/me", headers=auth_headers,
                             json={"password": "not my password"})

    problem = assert_problem(response, 422)
    assert error_fields(problem) == {"password"}
    assert client.get("/api/v1/me", headers=auth_headers).status_code == 200


@pytest.mark.parametrize(("body", "status"), [
    ({}, 422),
    ({"password": ""}, 422),
    ({"password": "x" * 10_000}, 422),
    ({"password": 123}, 422),
    ({"password": PASSWORD, "confirm": True}, 422),
    ([PASSWORD], 422),
    (None, 400),
])
def test_erasing_refuses_bad_input_and_keeps_the_account(client, auth_headers, body, status):
    data = "" if body is None else json.dumps(body)

    response = client.delete("/api/v1/me", headers=auth_headers, data=data,
                             content_type="application/json")

    assert_problem(response, status)
    assert client.get("/api/v1/me", headers=auth_headers).status_code == 200


def test_erasing_ends_my_tokens_and_frees_my_email(client, customer, tokens, auth_headers,
                                                   app_ctx):
    email = customer.email
    make_address(customer.id)

    response = client.delete("/api/v1/me", headers=auth_headers, json={"password": PASSWORD})

    assert response.status_code == 204
    assert_problem(client.get("/api/v1/me", headers=auth_headers), 401)
    assert_problem(client.post("/api/v1/auth/refresh",
                               json={"refresh_token": tokens["refresh_token"]}), 401)
    assert_problem(client.post("/api/v1/auth/token",
                               json={"email": email, "password": PASSWORD}), 401)
    again = client.post("/api/v1/auth/register", json={
        "name": "Nimal Again", "email": email, "phone": "0771234567",
        "password": "another pass phrase"})
    assert again.status_code == 202
    fresh = sign_in(client, email, "another pass phrase")
    me = client.get("/api/v1/me", headers=bearer(fresh["access_token"])).get_json()
    assert me["id"] != customer.id
    addresses = client.get("/api/v1/me/addresses", headers=bearer(fresh["access_token"]))
    assert addresses.get_json()["total"] == 0
