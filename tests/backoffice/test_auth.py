"""Staff sign-in: password, then a TOTP code (or enrolment the first time)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from app.accounts.models import User
from app.audit.models import AuditEntry
from app.backoffice import auth
from app.db import utcnow
from tests.backoffice.conftest import current_code, setup_key, wrong_code
from tests.factories import PASSWORD, make_customer, make_staff

WRONG = "Email or password is not right."


def _audit(db_session, action: str) -> list[AuditEntry]:
    db_session.expire_all()
    return list(db_session.scalars(
        select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def _signed_in(client) -> bool:
    return client.get("/staff/").status_code == 200


def test_enrolled_staff_signs_in_with_password_and_code(client, db_session):
    user = make_staff("admin")

    step_one = client.post("/staff/login", data={"email": user.email, "password": PASSWORD})
    between = client.get("/staff/")
    code_page = client.get("/staff/login/code")
    step_two = client.post("/staff/login/code", data={"code": current_code(user.totp_secret)})
    home = client.get("/staff/")

    assert step_one.status_code == 303 and step_one.location == "/staff/login/code"
    assert between.status_code == 303  # the password alone opens nothing
    assert "Enter your code" in code_page.text and "Setup key" not in code_page.text
    assert step_two.status_code == 303 and step_two.location == "/staff/"
    assert home.status_code == 200
    assert user.name in home.text and "Administrator" in home.text
    assert home.headers["Cache-Control"] == "private, no-store"


def test_sign_in_returns_to_the_page_asked_for(client, db_session):
    user = make_staff("admin")

    first = client.get("/staff/audit?success=no")
    client.post(first.location, data={"email": user.email, "password": PASSWORD})
    done = client.post("/staff/login/code", data={"code": current_code(user.totp_secret)})

    assert first.location == "/staff/login?next=/staff/audit?success%3Dno"
    assert done.location == "/staff/audit?success=no"


@pytest.mark.parametrize("target", [
    "https://evil.example/", "//evil.example/",
    # Browsers read a backslash in a URL as a slash, and drop tabs and new lines from it:
    # each of these is //evil.example/ to them.
    "/\\evil.example/", "/\\/evil.example/", "\\\\evil.example/", "/\t/evil.example/",
])
def test_sign_in_never_leaves_the_site(client, db_session, target):
    user = make_staff("admin")

    client.post("/staff/login", query_string={"next": target},
                data={"email": user.email, "password": PASSWORD})
    done = client.post("/staff/login/code", data={"code": current_code(user.totp_secret)})

    assert done.status_code == 303 and done.location == "/staff/"


def test_new_staff_enrols_an_authenticator_at_first_sign_in(client, db_session):
    user = make_staff("support_agent", enrolled=False)

    step_one = client.post("/staff/login", data={"email": user.email, "password": PASSWORD})
    code_first = client.get("/staff/login/code")
    enrol_page = client.get("/staff/login/enrol")
    # Typed as a person might: lower case, spaces for the dashes.
    typed = user.enrolment_code.lower().replace("-", " ")
    accepted = client.post("/staff/login/enrol", data={"enrolment_code": typed})
    page = client.get("/staff/login/code")
    secret = setup_key(page.text)
    again = client.get("/staff/login/code")
    done = client.post("/staff/login/code", data={"code": current_code(secret)})

    assert step_one.location == "/staff/login/enrol"
    assert code_first.location == "/staff/login/enrol"  # no secret before the code
    assert "Your enrolment code" in enrol_page.text and "Setup key" not in enrol_page.text
    assert accepted.status_code == 303 and accepted.location == "/staff/login/code"
    assert page.status_code == 200
    assert "Set up your authenticator app" in page.text and "<svg" in page.text
    assert page.headers["Cache-Control"] == "private, no-store"
    assert setup_key(again.text) == secret  # reloading keeps the secret being set up
    assert done.status_code == 303 and _signed_in(client)
    assert db_session.get(User, user.id).totp_enrolled_at is not None
    assert [e.success for e in _audit(db_session, "staff.totp_enrol")] == [True]


def test_wrong_authenticator_code_at_enrolment_keeps_the_same_setup_key(client, db_session):
    user = make_staff("admin", enrolled=False)
    client.post("/staff/login", data={"email": user.email, "password": PASSWORD})
    client.post("/staff/login/enrol", data={"enrolment_code": user.enrolment_code})
    secret = setup_key(client.get("/staff/login/code").text)

    response = client.post("/staff/login/code", data={"code": wrong_code(secret)})

    assert response.status_code == 422
    assert "That code is not right" in response.text
    assert setup_key(response.text) == secret
    assert not _signed_in(client)


def test_wrong_password_is_refused_and_audited(client, db_session):
    user = make_staff("admin")

    response = client.post("/staff/login", data={"email": user.email, "password": "not it at all"})

    assert response.status_code == 422 and WRONG in response.text
    assert client.get("/staff/login/code").location == "/staff/login"
    failed = _audit(db_session, "login.failed")
    assert [(e.target_id, e.success) for e in failed] == [(str(user.id), False)]


def test_wrong_code_is_refused_audited_and_signs_nobody_in(client, db_session):
    user = make_staff("admin")
    client.post("/staff/login", data={"email": user.email, "password": PASSWORD})

    response = client.post("/staff/login/code", data={"code": wrong_code(user.totp_secret)})

    assert response.status_code == 422
    assert "That code is not right" in response.text
    assert 'aria-invalid="true"' in response.text
    assert not _signed_in(client)
    assert [e.success for e in _audit(db_session, "staff.login_totp")] == [False]


def test_a_code_works_only_once(client, db_session, sign_in_staff):
    user = make_staff("admin")
    code = current_code(user.totp_secret)
    sign_in_staff(user)
    client.post("/staff/logout")

    client.post("/staff/login", data={"email": user.email, "password": PASSWORD})
    replay = client.post("/staff/login/code", data={"code": code})

    assert replay.status_code == 422 and "That code is not right" in replay.text
    assert not _signed_in(client)


def test_customer_credentials_get_the_same_answer_as_a_wrong_password(client, db_session):
    customer = make_customer()
    staff_member = make_staff("admin")

    as_customer = client.post("/staff/login",
                              data={"email": customer.email, "password": PASSWORD})
    wrong = client.post("/staff/login",
                        data={"email": staff_member.email, "password": "not it at all"})

    assert as_customer.status_code == wrong.status_code == 422
    assert WRONG in as_customer.text and WRONG in wrong.text
    assert client.get("/staff/login/code").status_code == 303  # no half sign-in either
    refused = _audit(db_session, "staff.login_refused")
    assert [(e.target_id, e.details) for e in refused] == [(str(customer.id),
                                                            {"reason": "not_staff"})]


def test_pending_sign_in_expires_after_five_minutes(client, db_session, monkeypatch):
    user = make_staff("admin")
    client.post("/staff/login", data={"email": user.email, "password": PASSWORD})
    later = auth._now() + auth.PENDING_SECONDS + 1
    monkeypatch.setattr(auth, "_now", lambda: later)

    response = client.post("/staff/login/code", data={"code": current_code(user.totp_secret)})
    page = client.get(response.location)

    assert response.status_code == 303 and response.location == "/staff/login"
    assert "Signing in took too long" in page.text
    assert not _signed_in(client)


def test_a_password_change_between_the_steps_ends_the_pending_sign_in(client, db_session):
    user = make_staff("admin")
    client.post("/staff/login", data={"email": user.email, "password": PASSWORD})
    db_session.get(User, user.id).session_version += 1  # what a password reset does
    db_session.commit()

    response = client.post("/staff/login/code", data={"code": current_code(user.totp_secret)})

    assert response.status_code == 303 and response.location == "/staff/login"
    assert not _signed_in(client)


def test_locked_account_answers_429_with_retry_after(make_app, db_session):
    app = make_app(LOGIN_MAX_FAILURES=2)
    client = app.test_client()
    user = make_staff("admin")
    for _ in range(2):
        client.post("/staff/login", data={"email": user.email, "password": "not it at all"})

    response = client.post("/staff/login", data={"email": user.email, "password": PASSWORD})

    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert "Too many attempts" in response.text


def test_sign_out_ends_the_back_office_session(client, db_session, sign_in_staff):
    sign_in_staff(make_staff("admin"))

    response = client.post("/staff/logout")

    assert response.status_code == 303 and response.location == "/staff/login"
    assert not _signed_in(client)


def test_sign_in_starts_a_new_session(client, db_session):
    user = make_staff("admin")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    client.post("/staff/login", data={"email": user.email, "password": PASSWORD})
    client.post("/staff/login/code", data={"code": current_code(user.totp_secret)})

    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["staff_2fa"] == session["_user_id"]


@pytest.mark.parametrize(("step", "data", "message"), [
    ("password", {"email": "", "password": PASSWORD}, "This field is required."),
    ("password", {"email": "x@kade.lk", "password": ""}, "This field is required."),
    ("password", {"email": "x@kade.lk", "password": "p" * 129}, "Field cannot be longer"),
    ("code", {"code": ""}, "This field is required."),
    ("code", {"code": "12345"}, "The code has 6 digits."),
    ("code", {"code": "12345a"}, "The code has 6 digits."),
    ("code", {"code": "1234567"}, "The code has 6 digits."),
])
def test_bad_sign_in_inputs_are_refused_with_a_message(client, db_session, step, data, message):
    user = make_staff("admin")
    if step == "code":
        client.post("/staff/login", data={"email": user.email, "password": PASSWORD})

    response = client.post("/staff/login" if step == "password" else "/staff/login/code",
                           data=data)

    assert response.status_code == 422
    assert message in response.text
    assert not _signed_in(client)


def test_sign_in_posts_are_rate_limited(make_app, db_session):
    app = make_app(RATELIMIT_ENABLED=True)
    client = app.test_client()

    answers = [client.post("/staff/login", data={"email": "x@kade.lk", "password": "nope"})
               for _ in range(11)]

    assert [a.status_code for a in answers[:10]] == [422] * 10
    assert answers[10].status_code == 429 and "Retry-After" in answers[10].headers


def test_the_password_alone_never_sets_up_an_authenticator(client, db_session):
    """A password someone else knows (a published demo one, one typed by the administrator)
    is not enough: without the enrolment code no secret is shown and nothing enrols."""
    user = make_staff("admin", enrolled=False)
    client.post("/staff/login", data={"email": user.email, "password": PASSWORD})

    wrong = client.post("/staff/login/enrol", data={"enrolment_code": "ABCD-EFGH-JKMN"})
    code_page = client.get("/staff/login/code")
    guessed = client.post("/staff/login/code", data={"code": "123456"})

    assert wrong.status_code == 422 and "enrolment code is not right" in wrong.text
    assert "Setup key" not in wrong.text
    assert code_page.location == "/staff/login/enrol" and guessed.location == "/staff/login/enrol"
    assert db_session.get(User, user.id).totp_secret is None
    assert not _signed_in(client)
    assert [e.success for e in _audit(db_session, "staff.enrolment_code")] == [False]


def test_an_enrolment_code_works_once_and_not_after_it_expires(client, app, db_session,
                                                                 monkeypatch):
    first = make_staff("admin", enrolled=False)
    client.post("/staff/login", data={"email": first.email, "password": PASSWORD})
    client.post("/staff/login/enrol", data={"enrolment_code": first.enrolment_code})
    secret = setup_key(client.get("/staff/login/code").text)
    client.post("/staff/login/code", data={"code": current_code(secret)})
    assert _signed_in(client)

    late = make_staff("admin", enrolled=False)
    monkeypatch.setattr("app.accounts.staff.utcnow",
                        lambda: utcnow() + dt.timedelta(days=app.config["STAFF_ENROLMENT_DAYS"],
                                                        minutes=1))
    other = app.test_client()
    other.post("/staff/login", data={"email": late.email, "password": PASSWORD})
    expired = other.post("/staff/login/enrol", data={"enrolment_code": late.enrolment_code})

    assert db_session.get(User, first.id).enrolment_code_hash is None  # used up
    assert expired.status_code == 422 and "has expired" in expired.text


def test_wrong_enrolment_codes_lock_the_account_like_wrong_authenticator_codes(make_app,
                                                                                db_session):
    app = make_app(LOGIN_MAX_FAILURES=3)
    client = app.test_client()
    user = make_staff("admin", enrolled=False)
    client.post("/staff/login", data={"email": user.email, "password": PASSWORD})
    for _ in range(3):
        client.post("/staff/login/enrol", data={"enrolment_code": "WRONG-CODE-0000"})

    right = client.post("/staff/login/enrol", data={"enrolment_code": user.enrolment_code})

    assert right.status_code == 429 and right.headers["Retry-After"]
