"""Sign-out is real: a session lives on the server, so a cookie copied before sign-out (or
before "sign out everywhere", a password change, a role change …) opens nothing after it."""

from __future__ import annotations

import datetime as dt
import time

import pyotp
import pytest

from app.accounts import sessions, staff, tokens
from app.db import utcnow
from tests.backoffice.conftest import current_code
from tests.factories import PASSWORD, make_customer, make_staff

SESSION = "session"
REMEMBER = "remember_token"


def _copy_cookies(source, target, *names):
    for name in names:
        cookie = source.get_cookie(name)
        assert cookie is not None, f"no {name} cookie to copy"
        target.set_cookie(name, cookie.value)
    return target


def _customer_signed_in(client) -> bool:
    return client.get("/account").status_code == 200


def _staff_signed_in(client) -> bool:
    return client.get("/staff/").status_code == 200


def _sign_in_customer(client, user, *, remember=False):
    data = {"email": user.email, "password": PASSWORD}
    if remember:
        data["remember"] = "y"
    assert client.post("/account/login", data=data).status_code == 303
    return client


def _sign_in_staff(client, user, *, later=False):
    """`later`: a second sign-in at once needs the next code (a code works once), which the
    service accepts within its 30 s of allowed drift."""
    code = (pyotp.TOTP(user.totp_secret).at(time.time() + 30) if later
            else current_code(user.totp_secret))
    client.post("/staff/login", data={"email": user.email, "password": PASSWORD})
    client.post("/staff/login/code", data={"code": code})
    assert _staff_signed_in(client)
    return client


def test_a_customer_cookie_copied_before_sign_out_is_refused_after_it(app, db_session):
    user = make_customer()
    browser = _sign_in_customer(app.test_client(), user)
    thief = _copy_cookies(browser, app.test_client(), SESSION)
    assert _customer_signed_in(thief)

    browser.post("/account/logout")

    assert not _customer_signed_in(browser)
    assert not _customer_signed_in(thief)


def test_keep_me_signed_in_is_undone_by_sign_out(app, db_session):
    user = make_customer()
    browser = _sign_in_customer(app.test_client(), user, remember=True)
    # Only the remember-me cookie, as a browser restarted days later would send it.
    thief = _copy_cookies(browser, app.test_client(), REMEMBER)
    assert _customer_signed_in(thief)

    response = browser.post("/account/logout")

    deleted = [h for h in response.headers.getlist("Set-Cookie") if h.startswith(REMEMBER)]
    assert deleted and "Expires=Thu, 01 Jan 1970" in deleted[0]
    assert browser.get_cookie(REMEMBER) is None
    assert not _customer_signed_in(browser)
    assert not _customer_signed_in(_copy_cookies(thief, app.test_client(), REMEMBER))


def test_a_staff_cookie_copied_before_sign_out_is_refused_after_it(app, db_session):
    user = make_staff("admin")
    browser = _sign_in_staff(app.test_client(), user)
    thief = _copy_cookies(browser, app.test_client(), SESSION)
    assert _staff_signed_in(thief)

    browser.post("/staff/logout")

    assert not _staff_signed_in(browser)
    assert not _staff_signed_in(thief)


def test_staff_are_never_remembered(app, db_session):
    user = make_staff("admin")
    browser = app.test_client()
    browser.post("/staff/login", data={"email": user.email, "password": PASSWORD,
                                       "remember": "y"})
    browser.post("/staff/login/code", data={"code": current_code(user.totp_secret)})

    assert _staff_signed_in(browser)
    assert browser.get_cookie(REMEMBER) is None


def test_a_staff_session_ends_at_its_absolute_lifetime_however_busy(app, db_session,
                                                                    monkeypatch):
    user = make_staff("admin")
    browser = _sign_in_staff(app.test_client(), user)
    hours = app.config["STAFF_SESSION_HOURS"]
    # Busy all along: the idle limit (real clock) is never reached, only the lifetime.
    monkeypatch.setattr(sessions, "utcnow", lambda: utcnow() + dt.timedelta(hours=hours - 1))
    assert _staff_signed_in(browser)

    monkeypatch.setattr(sessions, "utcnow",
                        lambda: utcnow() + dt.timedelta(hours=hours, minutes=1))

    page = browser.get("/staff/")
    assert page.status_code == 303 and page.location.startswith("/staff/login")


def test_a_customer_session_ends_at_its_lifetime(app, db_session, monkeypatch):
    browser = _sign_in_customer(app.test_client(), make_customer(), remember=True)
    days = app.config["CUSTOMER_SESSION_DAYS"]

    monkeypatch.setattr(sessions, "utcnow", lambda: utcnow() + dt.timedelta(days=days, hours=1))

    assert not _customer_signed_in(browser)


def test_sign_out_everywhere_ends_every_browser_and_app(app, db_session):
    user = make_customer()
    phone = _sign_in_customer(app.test_client(), user, remember=True)
    laptop = _sign_in_customer(app.test_client(), user)
    pair = tokens.issue(user)
    api = app.test_client()
    api_headers = {"Authorization": f"Bearer {pair.access_token}"}
    assert api.get("/api/v1/me", headers=api_headers).status_code == 200
    profile = laptop.get("/account")
    assert "Sign out everywhere" in profile.text and "2 browsers" in profile.text

    response = laptop.post("/account/sessions/end-all")

    assert response.status_code == 303 and response.location == "/account/login"
    assert not _customer_signed_in(laptop)
    assert not _customer_signed_in(phone)
    assert not _customer_signed_in(_copy_cookies(phone, app.test_client(), REMEMBER))
    assert api.get("/api/v1/me", headers=api_headers).status_code == 401
    refreshed = app.test_client().post("/api/v1/auth/refresh",
                                       json={"refresh_token": pair.refresh_token})
    assert refreshed.status_code == 401
    # Signing in again works: the account is not locked, only its old sessions ended.
    assert _customer_signed_in(_sign_in_customer(app.test_client(), user))


def test_staff_sign_out_everywhere_from_their_security_page(app, db_session):
    user = make_staff("order_manager")
    counter = _sign_in_staff(app.test_client(), user)
    office = _sign_in_staff(app.test_client(), user, later=True)
    page = office.get("/staff/security")
    assert page.status_code == 200 and "This browser" in page.text
    assert page.text.count("<tr>") == 3  # a header row and two sessions

    response = office.post("/staff/security/end-all")

    assert response.status_code == 303 and response.location == "/staff/login"
    assert not _staff_signed_in(office)
    assert not _staff_signed_in(counter)


def test_a_password_change_keeps_this_browser_and_ends_the_others(app, db_session):
    user = make_customer()
    here = _sign_in_customer(app.test_client(), user)
    elsewhere = _sign_in_customer(app.test_client(), user, remember=True)

    response = here.post("/account/password", data={
        "current_password": PASSWORD, "password": "a brand new passphrase",
        "confirm": "a brand new passphrase"})

    assert response.status_code == 303
    assert _customer_signed_in(here)
    assert not _customer_signed_in(elsewhere)


@pytest.mark.parametrize("change", ["role", "deactivate", "reset_totp"])
def test_an_administrator_changing_a_staff_account_ends_its_sessions(app, db_session, change):
    admin, agent = make_staff("admin"), make_staff("support_agent")
    browser = _sign_in_staff(app.test_client(), agent)

    if change == "role":
        staff.change_role(agent.id, "order_manager", actor=admin)
    elif change == "deactivate":
        staff.deactivate_staff(agent.id, actor=admin)
    else:
        staff.reset_totp(agent.id, actor=admin)

    assert not _staff_signed_in(browser)


def test_erasing_an_account_ends_its_sessions_elsewhere(app, db_session):
    user = make_customer()
    other = _sign_in_customer(app.test_client(), user, remember=True)
    here = _sign_in_customer(app.test_client(), user)

    response = here.post("/account/delete", data={"password": PASSWORD, "confirm": "y"})

    assert response.status_code == 303
    assert not _customer_signed_in(other)
    assert not _customer_signed_in(_copy_cookies(other, app.test_client(), REMEMBER))


def test_sessions_long_ended_are_purged_and_live_ones_kept(app, db_session, monkeypatch):
    user = make_customer()
    ended = sessions.start(user, kind=sessions.CUSTOMER).session_key
    sessions.end(ended)
    live = sessions.start(user, kind=sessions.CUSTOMER).session_key
    later = utcnow() + sessions.KEPT_AFTER_END + dt.timedelta(minutes=1)

    monkeypatch.setattr(sessions, "utcnow", lambda: later)
    purged = sessions.purge_ended()

    assert purged == 1
    monkeypatch.undo()
    assert sessions.user_for(live).id == user.id


@pytest.mark.parametrize("key", ["", "x" * 500, "clé-non-ascii", "1.1"])
def test_keys_that_are_not_ours_open_nothing(db_session, key):
    assert sessions.user_for(key) is None
