"""Nobody learns who has an account from registration, password reset or the sign-in lock,
and a signed-in session cannot guess the password on the pages that ask for it again."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from app.accounts import lockout, services as accounts
from app.accounts.errors import InvalidCredentials
from app.accounts.models import SignInFailure, User
from app.db import utcnow
from tests.api.helpers import assert_problem, bearer, sign_in
from tests.factories import PASSWORD
from tests.statements import statements_sent

UNKNOWN = "nobody.here@example.lk"


def _sign_ins(client, email: str, times: int, password: str = "wrong guess here"):
    return [client.post("/account/login", data={"email": email, "password": password})
            for _ in range(times)]


def test_an_unknown_email_is_locked_exactly_like_an_account(app, client, customer):
    attempts = app.config["LOGIN_MAX_FAILURES"] + 1

    known = _sign_ins(client, customer.email, attempts)
    unknown = _sign_ins(client, UNKNOWN, attempts)

    assert [r.status_code for r in known] == [r.status_code for r in unknown] == (
        [401] * (attempts - 1) + [429])
    assert known[-1].get_data(as_text=True).count("Too many attempts") == 1
    assert unknown[-1].get_data(as_text=True).count("Too many attempts") == 1
    known_wait, unknown_wait = (int(r.headers["Retry-After"]) for r in (known[-1], unknown[-1]))
    assert abs(known_wait - unknown_wait) <= 1
    assert 0 < unknown_wait <= app.config["LOGIN_LOCK_SECONDS"] + 1


def test_the_api_locks_an_unknown_email_like_an_account(app, client, customer):
    def tries(email):
        return [client.post("/api/v1/auth/token", json={"email": email,
                                                        "password": "wrong guess here"})
                for _ in range(app.config["LOGIN_MAX_FAILURES"] + 1)]

    known, unknown = tries(customer.email), tries(UNKNOWN)

    assert [r.status_code for r in known] == [r.status_code for r in unknown]
    assert_problem(known[-1], 429, "account_locked")
    body = assert_problem(unknown[-1], 429, "account_locked")
    assert body == known[-1].get_json()
    assert abs(int(known[-1].headers["Retry-After"])
               - int(unknown[-1].headers["Retry-After"])) <= 1


def test_a_right_password_clears_the_count(app, client, customer):
    _sign_ins(client, customer.email, app.config["LOGIN_MAX_FAILURES"] - 1)
    assert client.post("/account/login", data={"email": customer.email,
                                               "password": PASSWORD}).status_code == 303
    client.post("/account/logout")

    after = _sign_ins(client, customer.email, app.config["LOGIN_MAX_FAILURES"] - 1)

    assert {r.status_code for r in after} == {401}


def test_forgotten_streaks_are_deleted_so_the_table_stays_small(app, db_session):
    for n in range(5):
        with pytest.raises(InvalidCredentials):
            accounts.authenticate(f"probe{n}@example.lk", "wrong guess here")
    assert db_session.scalar(select(SignInFailure.email_index).limit(1)) is not None
    long_ago = utcnow() - lockout.FAILURE_MEMORY - dt.timedelta(minutes=1)
    for row in db_session.scalars(select(SignInFailure)):
        row.last_failed_at = long_ago
    db_session.commit()

    with pytest.raises(InvalidCredentials):
        accounts.authenticate("another@example.lk", "wrong guess here")

    db_session.expire_all()
    left = db_session.scalars(select(SignInFailure)).all()
    assert [row.email_index for row in left] == [accounts.email_index("another@example.lk")]


def test_an_old_streak_starts_again(app, db_session, customer):
    limit = app.config["LOGIN_MAX_FAILURES"]
    for _ in range(limit - 1):
        with pytest.raises(InvalidCredentials):
            accounts.authenticate(customer.email, "wrong guess here")
    row = db_session.get(SignInFailure, accounts.email_index(customer.email))
    row.last_failed_at = utcnow() - lockout.FAILURE_MEMORY - dt.timedelta(minutes=1)
    db_session.commit()

    with pytest.raises(InvalidCredentials):
        accounts.authenticate(customer.email, "wrong guess here")

    assert accounts.authenticate(customer.email, PASSWORD).id == customer.id


# ---- current-password checks ------------------------------------------------------------------

def test_the_thirtieth_wrong_current_password_locks_like_the_sign_in(app, client, customer,
                                                                     login):
    login(customer)
    wrong = {"current_password": "not my password", "password": "a new long phrase",
             "confirm": "a new long phrase"}

    answers = [client.post("/account/password", data=wrong) for _ in range(30)]

    statuses = [r.status_code for r in answers]
    limit = app.config["LOGIN_MAX_FAILURES"]
    assert statuses[:limit] == [422] * limit
    assert statuses[limit:] == [429] * (30 - limit)
    assert "Too many attempts" in answers[-1].get_data(as_text=True)
    assert int(answers[-1].headers["Retry-After"]) > 0
    # Even the right password waits now, here and at sign-in: the account is locked.
    right = client.post("/account/password", data={**wrong, "current_password": PASSWORD})
    assert right.status_code == 429
    client.post("/account/logout")
    assert client.post("/account/login", data={"email": customer.email,
                                               "password": PASSWORD}).status_code == 429


def test_wrong_passwords_on_the_erasure_page_count_too(app, client, customer, login,
                                                       db_session):
    login(customer)

    answers = [client.post("/account/delete", data={"password": "not my password",
                                                    "confirm": "y"})
               for _ in range(app.config["LOGIN_MAX_FAILURES"] + 1)]

    assert answers[-1].status_code == 429
    assert int(answers[-1].headers["Retry-After"]) > 0
    assert db_session.get(User, customer.id).erased_at is None


def test_wrong_passwords_to_erase_through_the_api_count_too(app, client, customer):
    auth_headers = bearer(sign_in(client, customer.email)["access_token"])

    answers = [client.delete("/api/v1/me", json={"password": "not my password"},
                             headers=auth_headers)
               for _ in range(app.config["LOGIN_MAX_FAILURES"] + 1)]

    assert_problem(answers[0], 422)
    assert_problem(answers[-1], 429, "account_locked")
    assert int(answers[-1].headers["Retry-After"]) > 0
    assert client.post("/api/v1/auth/token", json={"email": customer.email,
                                                   "password": PASSWORD}).status_code == 429


@pytest.mark.parametrize("path, data", [
    ("/account/password", {"current_password": "not it", "password": "a new long phrase",
                           "confirm": "a new long phrase"}),
    ("/account/delete", {"password": "not it", "confirm": "y"}),
])
def test_the_pages_that_ask_for_the_password_are_rate_limited(make_app, customer, path,
                                                              data):
    limited = make_app(RATELIMIT_ENABLED=True, LOGIN_MAX_FAILURES=1000).test_client()
    limited.post("/account/login", data={"email": customer.email, "password": PASSWORD})

    statuses = [limited.post(path, data=data).status_code for _ in range(11)]

    assert statuses[:10] == [422] * 10
    assert statuses[-1] == 429


# ---- registration and reset answer the same, in about the same time --------------------------

def test_a_reset_request_does_the_same_work_for_known_and_unknown_emails(app, client,
                                                                         customer, outbox):
    # The request's statements, in the test client's thread: a job's thread is not the request.
    with statements_sent(app, this_thread=True) as statements:
        known = client.post("/account/forgot", data={"email": customer.email})
        known_statements = len(statements)
        statements.clear()
        unknown = client.post("/account/forgot", data={"email": UNKNOWN})
        unknown_statements = len(statements)

    assert known.status_code == unknown.status_code == 303
    assert known.headers["Location"] == unknown.headers["Location"]
    assert known_statements == unknown_statements
    assert len(outbox.to(customer.email, "reset")) == 1
    assert outbox.to(UNKNOWN) == []


def test_a_registration_with_a_taken_email_creates_no_second_account(client, customer,
                                                                     db_session, outbox):
    client.post("/account/register", data={"name": "Someone Else", "email": customer.email,
                                           "phone": "077 000 0001",
                                           "password": "another pass phrase"})

    assert [u.id for u in db_session.scalars(select(User))] == [customer.id]
    [mail] = outbox.to(customer.email, "account_exists")
    assert "nothing was created" in outbox.text(mail)
    assert client.post("/account/login", data={"email": customer.email,
                                               "password": "another pass phrase"}
                       ).status_code == 401


def test_a_weak_password_is_refused_before_anything_is_looked_up(client, customer):
    taken = client.post("/account/register", data={"name": "X Y", "email": customer.email,
                                                   "phone": "077 000 0001",
                                                   "password": "password2024"})
    fresh = client.post("/account/register", data={"name": "X Y", "email": "new@example.lk",
                                                   "phone": "077 000 0001",
                                                   "password": "password2024"})

    assert taken.status_code == fresh.status_code == 422
    assert taken.get_data(as_text=True).count("breached") == fresh.get_data(
        as_text=True).count("breached") == 1
