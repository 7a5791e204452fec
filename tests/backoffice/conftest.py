"""Back-office helpers: staff made through the real services, signed in through the real
two-step form (password, then a TOTP code)."""

from __future__ import annotations

import re
import time

import pyotp
import pytest

from tests.factories import PASSWORD, make_staff


def current_code(secret: str) -> str:
    return pyotp.TOTP(secret).now()


def wrong_code(secret: str) -> str:
    """Six digits that are not a valid code right now (the service allows ±30 s of drift)."""
    totp = pyotp.TOTP(secret)
    valid = {totp.at(time.time() + drift * totp.interval) for drift in (-1, 0, 1)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in valid)


def setup_key(html: str) -> str:
    """The secret the enrolment page shows under "Setup key", as a person would copy it."""
    found = re.search(r'id="setup-key"[^>]*>([A-Z2-7]+)</textarea>', html)
    assert found, "the enrolment page shows no setup key"
    return found.group(1)


def enrolment_code(html: str) -> str:
    """The one-time enrolment code a page shows the administrator."""
    found = re.search(r'class="secret enrolment-code"><strong>([A-Z0-9-]+)</strong>', html)
    assert found, "the page shows no enrolment code"
    return found.group(1)


@pytest.fixture()
def sign_in_staff(client):
    """`sign_in_staff(user)`: password, then the current code; returns the signed-in client."""

    def sign_in(user, *, password: str = PASSWORD, c=None):
        c = c or client
        response = c.post("/staff/login", data={"email": user.email, "password": password})
        assert response.status_code == 303, response.data[:500]
        response = c.post("/staff/login/code", data={"code": current_code(user.totp_secret)})
        assert response.status_code == 303, response.data[:500]
        return c

    return sign_in


@pytest.fixture()
def admin(db_session):
    return make_staff("admin")


@pytest.fixture()
def admin_client(admin, sign_in_staff):
    return sign_in_staff(admin)
