import datetime as dt

import pytest
from sqlalchemy import func, select

from app.accounts import services as accounts, sessions
from app.accounts.errors import (
    AccountLocked,
    InvalidCredentials,
    InvalidToken,
    WeakPassword,
)
from app.accounts.models import User
from app.audit.models import AuditEntry
from app.db import utcnow
from tests.factories import PASSWORD, make_customer


def test_register_seals_personal_data_and_queues_verification(db_session, outbox):
    user = accounts.register(name="Nimal Perera", email=" Nimal@Example.LK ",
                             phone="+94771234567", password=PASSWORD)

    assert user.email == "nimal@example.lk"
    assert accounts.find_by_email("NIMAL@example.lk").id == user.id
    mails = outbox.to("nimal@example.lk")
    assert len(mails) == 1 and "Verify" in mails[0]["Subject"]


def test_register_twice_with_one_email_creates_nothing_and_tells_the_owner(db_session,
                                                                          outbox):
    owner = make_customer(email="taken@example.lk")

    again = accounts.register(name="Someone Else", email="Taken@Example.lk",
                              phone="+94770000001", password="another pass phrase")

    assert again is None
    assert db_session.scalar(select(func.count()).select_from(User)) == 1
    assert accounts.authenticate("taken@example.lk", PASSWORD).id == owner.id
    [mail] = outbox.to("taken@example.lk", "account_exists")
    assert "Someone tried to create a Kade account" in outbox.text(mail)
    assert "/account/forgot" in outbox.text(mail)


@pytest.mark.parametrize("password", ["short", "password123", "1234567890123", "aaaaaaaaaaaa",
                                      "qwertyuiop", "x" * 129])
def test_weak_passwords_are_refused_with_a_reason(db_session, password):
    with pytest.raises(WeakPassword) as caught:
        make_customer(password=password)

    assert str(caught.value.message)


def test_verification_link_works_once(db_session, outbox):
    user = make_customer(verified=False)
    token = outbox.link(outbox.to(user.email)[0]).rsplit("/", 1)[1]

    accounts.verify_email(token)

    assert db_session.get(User, user.id).is_email_verified
    with pytest.raises(InvalidToken):
        accounts.verify_email(token)


def test_authenticate_counts_failures_and_locks_the_account(app, db_session):
    user = make_customer()
    limit = app.config["LOGIN_MAX_FAILURES"]

    for _ in range(limit):
        with pytest.raises(InvalidCredentials):
            accounts.authenticate(user.email, "wrong password!")

    with pytest.raises(AccountLocked):
        accounts.authenticate(user.email, PASSWORD)
    failures = db_session.scalars(select(AuditEntry).where(AuditEntry.action == "login.failed"))
    assert len(failures.all()) == limit


def test_right_password_works_again_after_the_lock_window(db_session, app):
    user = make_customer()
    user.locked_until = utcnow() - dt.timedelta(seconds=1)
    db_session.commit()

    assert accounts.authenticate(user.email, PASSWORD).id == user.id


def test_reset_link_is_single_use_and_signs_out_other_sessions(db_session, outbox):
    user = make_customer()
    old_session_key = sessions.start(user, kind=sessions.CUSTOMER).session_key
    accounts.request_password_reset(user.email)
    token = outbox.link(outbox.to(user.email, "reset")[0]).rsplit("/", 1)[1]

    accounts.reset_password(token, "a brand new passphrase")

    assert sessions.user_for(old_session_key) is None
    assert accounts.authenticate(user.email, "a brand new passphrase").id == user.id
    with pytest.raises(InvalidToken):
        accounts.reset_password(token, "another new passphrase")


def test_reset_for_an_unknown_email_sends_nothing(db_session, outbox):
    accounts.request_password_reset("nobody@example.lk")

    assert outbox.messages() == []


def test_the_21st_address_is_refused_with_a_clear_message(db_session):
    from app.accounts.addresses import MAX_ADDRESSES, TooManyAddresses
    from tests.factories import make_address

    user = make_customer()
    for _ in range(MAX_ADDRESSES):
        make_address(user.id)

    with pytest.raises(TooManyAddresses) as caught:
        make_address(user.id)

    assert "up to 20 addresses" in str(caught.value.message)


def test_promoting_a_customer_to_staff_ends_their_customer_sessions(db_session):
    from app.accounts import staff, tokens

    user = make_customer()
    old_session = sessions.start(user, kind=sessions.CUSTOMER).session_key
    pair = tokens.issue(user)

    staff.create_staff(email=user.email, role="support_agent", password="")

    assert sessions.user_for(old_session) is None
    assert tokens.user_for_access_token(pair.access_token) is None


def test_tokens_that_are_not_ascii_are_simply_unknown(db_session):
    from app.accounts import tokens

    assert tokens.user_for_access_token("\ud800bad") is None
