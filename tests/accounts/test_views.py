"""Customer account pages, as a shopper uses them."""

import pytest
from sqlalchemy import select

from app.accounts.models import Address, User
from tests.factories import PASSWORD, make_address, make_customer

GOOD = {"name": "Nimal Perera", "email": "nimal@example.lk", "phone": "077 123 4567",
        "password": "a long pass phrase"}


def test_register_sends_a_verification_mail_then_the_customer_signs_in(client, outbox,
                                                                       app_ctx):
    response = client.post("/account/register", data=GOOD)

    assert response.status_code == 303
    assert response.headers["Location"].endswith("/account/login")
    assert "Check your email" in client.get("/account/login").get_data(as_text=True)
    assert len(outbox.to("nimal@example.lk", "verify")) == 1
    client.post("/account/login", data={"email": GOOD["email"], "password": GOOD["password"]})
    page = client.get("/account").get_data(as_text=True)
    assert "Your email is not verified yet" in page


@pytest.mark.parametrize(("field", "value", "message"), [
    ("name", "", "This field is required."),
    ("name", "x" * 10_000, "Field cannot be longer than 100 characters."),
    ("email", "not-an-email", "Enter an email address like name@example.lk."),
    ("email", "a@b.c" + "x" * 10_000, "Field cannot be longer than 254 characters."),
    ("phone", "12345", "Enter a Sri Lankan mobile number"),
    ("phone", "+44 7700 900123", "Enter a Sri Lankan mobile number"),
    ("phone", "011 234 5678", "Enter a Sri Lankan mobile number"),
    ("phone", "'; DROP TABLE accounts_user; --", "Enter a Sri Lankan mobile number"),
    ("password", "short", "Use at least 10 characters."),
    ("password", "password2024", "breached passwords"),
])
def test_register_with_bad_input_shows_the_field_error(client, app_ctx, field, value, message):
    response = client.post("/account/register", data={**GOOD, field: value})

    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert 'aria-invalid="true"' in response.get_data(as_text=True)


def test_register_with_a_taken_email_answers_as_a_new_one_and_mails_the_owner(app, outbox,
                                                                              app_ctx):
    make_customer(email="nimal@example.lk")
    new, taken = app.test_client(), app.test_client()

    fresh = new.post("/account/register", data={**GOOD, "email": "fresh@example.lk"})
    again = taken.post("/account/register", data={**GOOD, "email": "NIMAL@example.lk"})

    assert again.status_code == fresh.status_code == 303
    assert again.headers["Location"] == fresh.headers["Location"]
    assert (new.get("/account/login").get_data(as_text=True).count("Check your email")
            == taken.get("/account/login").get_data(as_text=True).count("Check your email") == 1)
    assert new.get("/account").status_code == taken.get("/account").status_code == 302
    assert len(outbox.to("nimal@example.lk", "account_exists")) == 1
    assert len(outbox.to("nimal@example.lk", "verify")) == 1  # the owner's own, long ago


def test_markup_in_a_name_is_shown_escaped(client, app_ctx):
    client.post("/account/register", data={**GOOD, "name": "<script>alert(1)</script>"})
    client.post("/account/login", data={"email": GOOD["email"], "password": GOOD["password"]})

    page = client.get("/account").get_data(as_text=True)

    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_login_and_logout(client, customer):
    response = client.post("/account/login", data={"email": customer.email,
                                                   "password": PASSWORD})
    assert response.status_code == 303

    client.post("/account/logout")

    assert client.get("/account").status_code == 302


def test_login_with_a_wrong_password_does_not_say_which_part_was_wrong(client, customer):
    wrong_password = client.post("/account/login", data={"email": customer.email,
                                                         "password": "nope nope nope"})
    unknown = client.post("/account/login", data={"email": "who@example.lk",
                                                  "password": "nope nope nope"})

    assert wrong_password.status_code == unknown.status_code == 401
    assert "Email or password is not right." in wrong_password.get_data(as_text=True)
    assert "Email or password is not right." in unknown.get_data(as_text=True)


def test_twenty_wrong_passwords_are_throttled_then_the_account_works_again(client, customer,
                                                                           db_session):
    statuses = [client.post("/account/login", data={"email": customer.email,
                                                    "password": f"wrong guess {i}"}).status_code
                for i in range(20)]

    assert 429 in statuses
    locked = client.post("/account/login", data={"email": customer.email, "password": PASSWORD})
    assert locked.status_code == 429
    assert int(locked.headers["Retry-After"]) > 0

    # The lock window passes.
    user = db_session.get(User, customer.id)
    user.locked_until = None
    db_session.commit()
    assert client.post("/account/login", data={"email": customer.email,
                                               "password": PASSWORD}).status_code == 303


def test_ip_rate_limit_answers_429(make_app, app_ctx):
    limited = make_app(RATELIMIT_ENABLED=True).test_client()

    statuses = [limited.post("/account/login", data={"email": "a@example.lk",
                                                     "password": "x" * 12}).status_code
                for _ in range(12)]

    assert statuses[-1] == 429


def test_post_without_csrf_token_is_refused(make_app, app_ctx):
    strict = make_app(WTF_CSRF_ENABLED=True).test_client()

    response = strict.post("/account/register", data=GOOD)

    assert response.status_code == 400
    assert "This form expired" in response.get_data(as_text=True)


@pytest.mark.parametrize("target", [
    "https://evil.example/",
    "/\\evil.example/",  # a browser reads the backslash as a slash: //evil.example/
])
def test_open_redirect_after_login_is_refused(client, customer, target):
    response = client.post("/account/login", query_string={"next": target},
                           data={"email": customer.email, "password": PASSWORD})

    assert response.headers["Location"] == "/account"


def test_add_edit_and_remove_an_address(client, customer, login, db_session):
    login(customer)

    added = client.post("/account/addresses/new", data={
        "recipient": "Nimal", "phone": "0771234567", "line1": "12 Temple Road",
        "city": "Galle", "district": "galle", "postal_code": "80000"})
    assert added.status_code == 303
    page = client.get("/account/addresses").get_data(as_text=True)
    assert "12 Temple Road" in page and "Galle" in page

    address = db_session.scalars(select(Address)).one()
    client.post(f"/account/addresses/{address.id}/edit", data={
        "recipient": "Nimal", "phone": "0771234567", "line1": "14 Temple Road",
        "city": "Galle", "district": "galle"})
    assert "14 Temple Road" in client.get("/account/addresses").get_data(as_text=True)

    client.post(f"/account/addresses/{address.id}/delete")
    assert "You have no saved addresses yet." in client.get("/account/addresses").get_data(
        as_text=True)


@pytest.mark.parametrize(("field", "value", "message"), [
    ("district", "atlantis", "Not a valid choice."),
    ("district", "", "This field is required."),
    ("postal_code", "8000", "A postal code has 5 digits."),
    ("postal_code", "௮௦௦௦௦", "A postal code has 5 digits."),  # Tamil digits: \d takes them
    ("phone", "0112345678", "Enter a Sri Lankan mobile number"),
    ("line1", "", "This field is required."),
    ("line1", "x" * 10_000, "Field cannot be longer than 120 characters."),
])
def test_address_with_bad_input_shows_the_field_error(client, customer, login, field, value,
                                                      message):
    login(customer)
    data = {"recipient": "Nimal", "phone": "0771234567", "line1": "12 Temple Road",
            "city": "Galle", "district": "galle", field: value}

    response = client.post("/account/addresses/new", data=data)

    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


def test_another_customers_address_is_not_found(client, customer, login, app_ctx):
    other = make_customer()
    theirs = make_address(other.id, line1="Secret Lane")
    login(customer)

    assert client.get(f"/account/addresses/{theirs.id}/edit").status_code == 404
    assert client.post(f"/account/addresses/{theirs.id}/delete").status_code == 404
    assert client.post(f"/account/addresses/{theirs.id}/edit", data={
        "recipient": "x", "phone": "0771234567", "line1": "Mine now", "city": "Galle",
        "district": "galle"}).status_code == 404
    assert "Secret Lane" not in client.get("/account/export").get_data(as_text=True)


def test_export_downloads_my_data_as_json(client, customer, login, app_ctx):
    make_address(customer.id, line1="12 Temple Road")
    login(customer)

    response = client.get("/account/export")

    assert response.headers["Content-Disposition"].startswith("attachment")
    data = response.get_json()
    assert data["account"]["email"] == customer.email
    assert data["addresses"][0]["line1"] == "12 Temple Road"


def test_change_password_signs_out_other_sessions(app, customer, login):
    here, elsewhere = app.test_client(), app.test_client()
    login(customer, c=here)
    login(customer, c=elsewhere)

    response = here.post("/account/password", data={
        "current_password": PASSWORD, "password": "a new long phrase",
        "confirm": "a new long phrase"})

    assert response.status_code == 303
    assert here.get("/account").status_code == 200
    assert elsewhere.get("/account").status_code == 302


def test_change_password_with_a_wrong_current_password(client, customer, login):
    login(customer)

    response = client.post("/account/password", data={
        "current_password": "not it at all", "password": "a new long phrase",
        "confirm": "a new long phrase"})

    assert response.status_code == 422
    assert "That is not your current password." in response.get_data(as_text=True)


def test_delete_account_erases_personal_data(client, customer, login, db_session):
    make_address(customer.id)
    login(customer)

    response = client.post("/account/delete", data={"password": PASSWORD, "confirm": "y"})

    assert response.status_code == 303
    user = db_session.get(User, customer.id)
    db_session.refresh(user)
    assert (user.name, user.email, user.phone, user.erased_at is not None) == (
        None, None, None, True)
    assert db_session.scalars(select(Address)).all() == []
    assert client.get("/account").status_code == 302
    assert client.post("/account/login", data={"email": customer.email,
                                               "password": PASSWORD}).status_code == 401


def test_delete_account_needs_the_password(client, customer, login):
    login(customer)

    response = client.post("/account/delete", data={"password": "wrong one!", "confirm": "y"})

    assert response.status_code == 422
    assert client.get("/account").status_code == 200


def test_forgot_password_answers_the_same_for_unknown_emails(client, customer, outbox):
    known = client.post("/account/forgot", data={"email": customer.email})
    unknown = client.post("/account/forgot", data={"email": "nobody@example.lk"})

    assert known.status_code == unknown.status_code == 303
    assert len(outbox.to(customer.email, "reset")) == 1
    assert outbox.to("nobody@example.lk") == []


def test_reset_password_through_the_mailed_link(client, customer, outbox):
    client.post("/account/forgot", data={"email": customer.email})
    link = outbox.link(outbox.to(customer.email, "reset")[0])
    path = link.split("localhost", 1)[-1]

    response = client.post(path, data={"password": "a fresh pass phrase",
                                       "confirm": "a fresh pass phrase"})

    assert response.status_code == 303
    assert client.post("/account/login", data={"email": customer.email,
                                               "password": "a fresh pass phrase"}
                       ).status_code == 303
    assert client.get(path).status_code == 400  # the link worked once


def test_verify_link_with_a_forged_token_explains(client, app_ctx):
    response = client.get("/account/verify/not-a-real-token")

    assert response.status_code == 400
    assert "expired or was already used" in response.get_data(as_text=True)


def test_language_choice_sticks(client, app_ctx):
    client.post("/language", data={"language": "si", "next": "/"})

    page = client.get("/").get_data(as_text=True)

    assert '<html lang="si"' in page


@pytest.mark.parametrize(("language", "required"), [("si", "මෙම ක්ෂේත්‍රය අනිවාර්යයි."),
                                                    ("ta", "இந்தப் புலம் கட்டாயமானது.")])
def test_form_errors_come_in_the_shoppers_language(client, app_ctx, language, required):
    client.post("/language", data={"language": language})

    response = client.post("/account/register", data={**GOOD, "name": ""})

    assert response.status_code == 422
    assert required in response.get_data(as_text=True)


_WORKER = """
import sys
from app import create_app
config = {"DATABASE_URL": sys.argv[1], "RATELIMIT_ENABLED": True, "WTF_CSRF_ENABLED": False,
          "RATELIMIT_STORAGE_URI": sys.argv[2], "RATELIMIT_KEY_PREFIX": sys.argv[3],
          "SECRET_KEY": "x", "PII_KEYS": sys.argv[4], "PII_INDEX_KEY": sys.argv[5],
          "INSTANCE_PATH": sys.argv[6]}
client = create_app(config).test_client()
print(" ".join(str(client.post("/account/login", data={"email": "a@example.lk",
      "password": "x" * 12}).status_code) for _ in range(6)))
"""


def test_rate_limits_are_shared_by_every_web_process_through_redis(migrated, tmp_path,
                                                                    redis_url):
    """Two processes stand for two gunicorn workers (or machines): with Redis storage the
    limit counts requests to both, so adding processes does not multiply the allowance."""
    import os
    import subprocess
    import sys
    import uuid

    from tests.conftest import TEST_INDEX_KEY, TEST_PII_KEYS

    args = [migrated, redis_url, f"test-{uuid.uuid4().hex}", TEST_PII_KEYS, TEST_INDEX_KEY,
            str(tmp_path)]

    def run_worker():
        done = subprocess.run([sys.executable, "-c", _WORKER, *args], capture_output=True,
                              text=True, check=True, cwd=os.getcwd())
        return done.stdout.split()

    first, second = run_worker(), run_worker()

    assert first == ["401"] * 6
    assert second[:4] == ["401"] * 4 and second[4:] == ["429", "429"]
