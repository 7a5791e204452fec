"""Registering, signing in with tokens, refreshing and signing out, as the mobile app does."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import update

from app.accounts import services as accounts
from app.accounts.models import ApiToken, User
from app.db import utcnow
from tests.api.helpers import assert_problem, bearer, error_fields, sign_in
from tests.factories import PASSWORD, make_customer, make_staff

GOOD = {"name": "Nimal Perera", "email": "Nimal@Example.lk", "phone": "077 123 4567",
        "password": "a long pass phrase"}


def test_register_creates_an_unverified_customer_and_mails_a_link(client, outbox, app_ctx):
    response = client.post("/api/v1/auth/register", json=GOOD,
                           headers={"Accept-Language": "si-LK,si;q=0.9"})

    assert response.status_code == 202
    assert response.get_json()["detail"]
    tokens = client.post("/api/v1/auth/token", json={"email": GOOD["email"],
                                                     "password": GOOD["password"]}).get_json()
    user = client.get("/api/v1/me", headers=bearer(tokens["access_token"])).get_json()
    assert user["email"] == "nimal@example.lk"
    assert user["phone"] == "+94771234567"
    assert user["email_verified"] is False
    assert user["language"] == "si"
    assert user["created_at"].endswith("+00:00")
    assert len(outbox.to("nimal@example.lk")) == 1


def test_register_keeps_markup_and_quotes_as_plain_text(client, app_ctx):
    name = "<script>alert(1)</script> O'Brien; DROP TABLE accounts_user;--"

    response = client.post("/api/v1/auth/register", json={**GOOD, "name": name})

    assert response.status_code == 202
    assert accounts.find_by_email(GOOD["email"]).name == name


@pytest.mark.parametrize(("body", "status", "field"), [
    ({}, 422, "name"),
    ({**GOOD, "name": ""}, 422, "name"),
    ({**GOOD, "name": "   "}, 422, "name"),
    ({**GOOD, "name": "x" * 10_000}, 422, "name"),
    ({**GOOD, "name": "Nimal\x00Perera"}, 422, "name"),
    ({**GOOD, "name": 123}, 422, "name"),
    ({**GOOD, "name": None}, 422, "name"),
    ({**GOOD, "name": ["Nimal"]}, 422, "name"),
    ({**GOOD, "email": "not-an-email"}, 422, "email"),
    ({**GOOD, "email": "<script>alert(1)</script>"}, 422, "email"),
    ({**GOOD, "email": "x' OR '1'='1"}, 422, "email"),
    ({**GOOD, "email": "a@b.lk" + "x" * 10_000}, 422, "email"),
    ({**GOOD, "phone": "12345"}, 422, "phone"),
    ({**GOOD, "phone": "+44 7700 900123"}, 422, "phone"),
    ({**GOOD, "phone": "011 234 5678"}, 422, "phone"),
    ({**GOOD, "phone": "'; DROP TABLE accounts_user; --"}, 422, "phone"),
    ({**GOOD, "phone": 771234567}, 422, "phone"),
    ({**GOOD, "password": "short"}, 422, "password"),
    ({**GOOD, "password": "password2024"}, 422, "password"),
    ({**GOOD, "password": "x" * 10_000}, 422, "password"),
    ({**GOOD, "password": "Nimal Perera 2024"}, 422, "password"),
    ({**GOOD, "role": "admin"}, 422, "role"),
    ([GOOD], 422, None),
    ("register me", 422, None),
    (None, 422, None),  # null is not an object, as [GOOD] is not (not "fields missing")
])
def test_register_refuses_bad_input_with_the_field(client, app_ctx, body, status, field):
    response = client.post("/api/v1/auth/register", data=json.dumps(body),
                           content_type="application/json")

    problem = assert_problem(response, status)
    assert field in error_fields(problem)


@pytest.mark.parametrize("raw", ['{"name": "Nimal"', "name=Nimal&email=a@b.lk", "", "[[[" * 5000])
def test_register_refuses_a_body_that_is_not_json(client, app_ctx, raw):
    response = client.post("/api/v1/auth/register", data=raw,
                           headers={"Content-Type": "application/json"})

    assert_problem(response, 400, "bad_request")


def test_register_with_a_taken_email_answers_as_a_new_one_and_mails_the_owner(client, outbox,
                                                                              app_ctx):
    make_customer(email="nimal@example.lk")

    fresh = client.post("/api/v1/auth/register", json={**GOOD, "email": "fresh@example.lk"})
    taken = client.post("/api/v1/auth/register", json=GOOD)

    assert taken.status_code == fresh.status_code == 202
    assert taken.get_json() == fresh.get_json()
    assert len(outbox.to("nimal@example.lk", "account_exists")) == 1


def test_token_pair_opens_my_account(client, customer):
    pair = sign_in(client, customer.email)

    assert pair["token_type"] == "Bearer"
    assert pair["expires_in"] == 15 * 60
    me = client.get("/api/v1/me", headers=bearer(pair["access_token"]))
    assert me.status_code == 200
    assert me.get_json()["email"] == customer.email


def test_tokens_are_stored_only_as_hashes(client, customer, db_session):
    pair = sign_in(client, customer.email)

    stored = {row.token_hash for row in db_session.query(ApiToken)}
    assert pair["access_token"] not in stored and pair["refresh_token"] not in stored
    assert len(stored) == 2


@pytest.mark.parametrize(("body", "status", "code"), [
    ({"email": "customer@example.lk", "password": "wrong password!"}, 401,
     "invalid_credentials"),
    ({"email": "nobody@example.lk", "password": PASSWORD}, 401, "invalid_credentials"),
    ({"email": "' OR 1=1 --", "password": "' OR 1=1 --"}, 401, "invalid_credentials"),
    ({}, 422, "validation_failed"),
    ({"email": "", "password": ""}, 422, "validation_failed"),
    ({"email": "customer@example.lk", "password": "x" * 10_000}, 422, "validation_failed"),
    ({"email": "x" * 10_000, "password": PASSWORD}, 422, "validation_failed"),
    ({"email": 42, "password": True}, 422, "validation_failed"),
    ({"email": ["customer@example.lk"], "password": {"a": 1}}, 422, "validation_failed"),
    ([], 422, "validation_failed"),
])
def test_token_refuses_bad_input(client, app_ctx, body, status, code):
    make_customer(email="customer@example.lk")

    response = client.post("/api/v1/auth/token", json=body)

    assert_problem(response, status, code)
    if status == 401:
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_token_refuses_a_body_that_is_not_json(client, app_ctx):
    response = client.post("/api/v1/auth/token", data="email=a@b.lk&password=x",
                           content_type="application/x-www-form-urlencoded")

    assert_problem(response, 400)


def test_staff_get_no_tokens(client, app_ctx):
    member = make_staff("admin")

    response = client.post("/api/v1/auth/token",
                           json={"email": member.email, "password": PASSWORD})

    assert_problem(response, 403, "staff_account")


def test_a_locked_account_answers_429_with_retry_after(client, customer, db_session):
    customer.locked_until = utcnow() + dt.timedelta(minutes=5)
    db_session.commit()

    response = client.post("/api/v1/auth/token",
                           json={"email": customer.email, "password": PASSWORD})

    assert_problem(response, 429, "account_locked")
    assert 0 < int(response.headers["Retry-After"]) <= 301


def test_wrong_passwords_lock_the_account(app, client, customer):
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        client.post("/api/v1/auth/token",
                    json={"email": customer.email, "password": "wrong password!"})

    response = client.post("/api/v1/auth/token",
                           json={"email": customer.email, "password": PASSWORD})

    assert_problem(response, 429, "account_locked")


def test_refresh_rotates_the_pair(client, tokens):
    response = client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})

    assert response.status_code == 200
    new = response.get_json()
    assert new["refresh_token"] != tokens["refresh_token"]
    assert new["access_token"] != tokens["access_token"]
    assert client.get("/api/v1/me", headers=bearer(new["access_token"])).status_code == 200


def test_reusing_a_rotated_refresh_token_revokes_the_whole_sign_in(client, tokens):
    first = tokens["refresh_token"]
    new = client.post("/api/v1/auth/refresh", json={"refresh_token": first}).get_json()

    reused = client.post("/api/v1/auth/refresh", json={"refresh_token": first})

    assert_problem(reused, 401, "invalid_token")
    assert_problem(client.post("/api/v1/auth/refresh",
                               json={"refresh_token": new["refresh_token"]}), 401)
    assert_problem(client.get("/api/v1/me", headers=bearer(new["access_token"])), 401)
    assert_problem(client.get("/api/v1/me", headers=bearer(tokens["access_token"])), 401)


@pytest.mark.parametrize(("body", "status"), [
    ({"refresh_token": "not-a-token"}, 401),
    ({"refresh_token": ""}, 422),
    ({"refresh_token": "x" * 10_000}, 422),
    ({"refresh_token": 12345}, 422),
    ({"refresh_token": None}, 422),
    ({}, 422),
    ({"refresh_token": "' OR 1=1 --"}, 401),
    ("refresh", 422),
])
def test_refresh_refuses_bad_input(client, app_ctx, body, status):
    response = client.post("/api/v1/auth/refresh", json=body)

    assert_problem(response, status)


def test_an_access_token_does_not_work_as_a_refresh_token(client, tokens):
    response = client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["access_token"]})

    assert_problem(response, 401, "invalid_token")


def test_logout_revokes_the_pair_and_may_be_repeated(client, tokens):
    first = client.post("/api/v1/auth/logout", json={"refresh_token": tokens["refresh_token"]})
    again = client.post("/api/v1/auth/logout", json={"refresh_token": tokens["refresh_token"]})

    assert first.status_code == again.status_code == 204
    assert_problem(client.get("/api/v1/me", headers=bearer(tokens["access_token"])), 401)
    assert_problem(client.post("/api/v1/auth/refresh",
                               json={"refresh_token": tokens["refresh_token"]}), 401)


@pytest.mark.parametrize(("body", "status"), [
    ({"refresh_token": "unknown"}, 204),
    ({"refresh_token": ""}, 422),
    ({"refresh_token": "x" * 10_000}, 422),
    ({"refresh_token": ["a"]}, 422),
    ({}, 422),
])
def test_logout_with_odd_input(client, app_ctx, body, status):
    response = client.post("/api/v1/auth/logout", json=body)

    assert response.status_code == status
    if status != 204:
        assert_problem(response, status)


def test_an_expired_access_token_is_refused(client, tokens, db_session):
    db_session.execute(update(ApiToken).where(ApiToken.kind == "access")
                       .values(expires_at=utcnow() - dt.timedelta(seconds=1)))
    db_session.commit()

    response = client.get("/api/v1/me", headers=bearer(tokens["access_token"]))

    assert_problem(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="Kade API", error="invalid_token"'


def test_a_password_change_elsewhere_ends_every_token(client, customer, tokens, db_session):
    accounts.change_password(customer.id, PASSWORD, "a brand new pass phrase")

    assert_problem(client.get("/api/v1/me", headers=bearer(tokens["access_token"])), 401)
    assert_problem(client.post("/api/v1/auth/refresh",
                               json={"refresh_token": tokens["refresh_token"]}), 401)


def test_a_customer_made_staff_loses_api_access(client, customer, tokens, db_session):
    db_session.get(User, customer.id).role = "support_agent"
    db_session.commit()

    assert_problem(client.get("/api/v1/me", headers=bearer(tokens["access_token"])), 401)


@pytest.mark.parametrize("authorization", [
    None, "", "Bearer", "Bearer ", "Basic bmltYWw6c2VjcmV0", "Bearer not-a-token",
    "Bearer " + "x" * 10_000, "bearer \x00", "Token abc",
])
def test_a_missing_or_wrong_authorization_answers_401_with_a_bearer_challenge(
        client, app_ctx, authorization):
    headers = {} if authorization is None else {"Authorization": authorization}

    response = client.get("/api/v1/me", headers=headers)

    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith('Bearer realm="Kade API"')


def test_a_web_session_cookie_does_not_open_the_api(client, customer, login):
    login(customer)
    assert client.get("/account").status_code == 200

    response = client.get("/api/v1/me")

    assert_problem(response, 401)


def test_the_api_needs_no_csrf_token(make_app, customer):
    strict = make_app(WTF_CSRF_ENABLED=True).test_client()

    response = strict.post("/api/v1/auth/token",
                           json={"email": customer.email, "password": PASSWORD})

    assert response.status_code == 200


@pytest.mark.parametrize(("path", "body"), [
    ("/api/v1/auth/register", GOOD),
    ("/api/v1/auth/token", {"email": "a@example.lk", "password": "x" * 12}),
    ("/api/v1/auth/refresh", {"refresh_token": "unknown"}),
])
def test_sign_in_routes_are_rate_limited_per_address(make_app, app_ctx, path, body):
    from app.extensions import limiter

    limited = make_app(RATELIMIT_ENABLED=True).test_client()
    try:
        statuses = [limited.post(path, json=body).status_code for _ in range(11)]
        response = limited.post(path, json=body)
    finally:
        limiter.reset()

    assert statuses[-1] == 429
    assert_problem(response, 429, "too_many_requests")
    assert int(response.headers["Retry-After"]) > 0
