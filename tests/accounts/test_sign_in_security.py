"""Sign-in details a reviewer would check: remember-me cookie, session rotation, re-hashing."""

import pytest
from argon2 import PasswordHasher

from app.accounts import sessions
from app.accounts.models import User
from app.db import transaction
from tests.factories import PASSWORD


def test_remember_me_sets_a_hardened_cookie(client, customer):
    response = client.post("/account/login", data={"email": customer.email,
                                                   "password": PASSWORD, "remember": "y"})

    set_cookies = response.headers.getlist("Set-Cookie")
    remember = next(c for c in set_cookies if c.startswith("remember_token="))
    assert "HttpOnly" in remember and "SameSite=Lax" in remember


def test_sign_in_starts_a_new_session(app, customer):
    client = app.test_client()
    with client.session_transaction() as before:
        before["planted"] = "by someone else"

    client.post("/account/login", data={"email": customer.email, "password": PASSWORD})

    with client.session_transaction() as after:
        assert "planted" not in after
        assert sessions.user_for(after["_user_id"]).id == customer.id


@pytest.mark.production_argon2
def test_password_hash_is_upgraded_at_sign_in_when_parameters_change(client, customer,
                                                                      db_session):
    weaker = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)
    user = db_session.get(User, customer.id)
    user.password_hash = weaker.hash(PASSWORD)
    db_session.commit()

    client.post("/account/login", data={"email": customer.email, "password": PASSWORD})

    db_session.expire_all()
    upgraded = db_session.get(User, customer.id).password_hash
    assert upgraded.startswith("$argon2id$") and "m=19456,t=2,p=1" in upgraded


def test_a_session_of_an_erased_or_changed_user_is_signed_out(app, customer, db_session):
    client = app.test_client()
    client.post("/account/login", data={"email": customer.email, "password": PASSWORD})
    with transaction():  # reads and writes under SQLite's write lock, as services do
        user = db_session.get(User, customer.id)
        user.session_version += 1  # as a password change elsewhere does

    response = client.get("/account")

    assert response.status_code == 302
