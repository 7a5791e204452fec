"""The audit log viewer: newest first, filters, pages of 50, Colombo times, no personal data."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from app.audit import services as audit
from tests.factories import PASSWORD, make_customer, make_staff

UTC = dt.UTC


def _entry(db_session, action, at, *, actor_id=None, target_id=None, success=True, **details):
    entry = audit.record(action, actor_id=actor_id, target_type="user" if target_id else None,
                         target_id=target_id, success=success, ip="203.0.113.9", **details)
    entry.at = at
    db_session.commit()
    return entry


def _targets(html: str) -> list[str]:
    """The target ids of the rows shown, top to bottom."""
    return re.findall(r"user #(\d+)", html)


@pytest.fixture()
def history(db_session):
    """Four entries around Colombo midnight (UTC+05:30)."""
    _entry(db_session, "login.failed", dt.datetime(2025, 3, 1, 17, 0, tzinfo=UTC),
           actor_id=5, target_id=9101, success=False, reason="wrong_password")
    # 20:00 UTC on 1 March is 01:30 on 2 March in Colombo.
    _entry(db_session, "login.failed", dt.datetime(2025, 3, 1, 20, 0, tzinfo=UTC),
           actor_id=5, target_id=9102, success=False, reason="wrong_password")
    _entry(db_session, "staff.create", dt.datetime(2025, 3, 2, 10, 0, tzinfo=UTC),
           actor_id=7, target_id=9103, role="support_agent")
    _entry(db_session, "staff.login_totp", dt.datetime(2025, 3, 3, 4, 0, tzinfo=UTC),
           actor_id=7, target_id=9104)


def test_the_log_lists_newest_first_in_colombo_time(admin_client, history):
    page = admin_client.get("/staff/audit?date_to=2025-03-31")

    assert page.status_code == 200
    assert _targets(page.text) == ["9104", "9103", "9102", "9101"]
    assert "2025-03-02 01:30:00" in page.text  # 20:00 UTC shown in Colombo
    assert "reason:</span> wrong_password" in page.text and "203.0.113.9" in page.text


@pytest.mark.parametrize(("query", "targets"), [
    ("action=login.failed", ["9102", "9101"]),
    ("success=no", ["9102", "9101"]),
    ("success=yes&date_to=2025-03-31", ["9104", "9103"]),
    ("actor_id=7", ["9104", "9103"]),
    ("date_from=2025-03-02&date_to=2025-03-02", ["9103", "9102"]),  # Colombo days
    ("date_from=2025-03-03&actor_id=7", ["9104"]),
    ("action=login.failed&date_from=2025-03-02&date_to=2025-03-02", ["9102"]),
])
def test_filters_return_the_matching_entries(admin_client, history, query, targets):
    page = admin_client.get(f"/staff/audit?{query}")

    assert page.status_code == 200
    assert _targets(page.text) == targets


def test_the_action_filter_offers_the_recorded_actions(admin_client, history):
    page = admin_client.get("/staff/audit")

    assert '<option value="staff.create">' in page.text
    assert '<option value="login.failed">' in page.text


def test_a_failed_staff_sign_in_shows_up_in_the_log(client, admin_client, db_session):
    other = make_staff("support_agent")
    make_app_client = client.application.test_client()
    make_app_client.post("/staff/login", data={"email": other.email, "password": "not it"})

    page = admin_client.get("/staff/audit?action=login.failed")

    assert _targets(page.text) == [str(other.id)]
    assert "failed" in page.text and "wrong_password" in page.text
    assert other.email not in page.text  # ids only, never an email


def test_the_log_never_shows_personal_data(admin_client, db_session):
    customer = make_customer(name="Nimal Perera", phone="+94771234567")

    page = admin_client.get("/staff/audit")

    assert f"user #{customer.id}" in page.text  # account.register
    for personal in ("Nimal", customer.email, "771234567"):
        assert personal not in page.text


def test_entries_come_in_pages_of_fifty_with_plain_links(admin_client, db_session):
    start = dt.datetime(2025, 1, 1, tzinfo=UTC)
    for n in range(60):
        _entry(db_session, "staff.create", start + dt.timedelta(minutes=n),
               actor_id=7, target_id=1000 + n)

    first = admin_client.get("/staff/audit?actor_id=7")
    older = re.search(r'href="([^"]+)" rel="next"', first.text)[1].replace("&amp;", "&")
    second = admin_client.get(older)

    assert len(_targets(first.text)) == 50 and _targets(first.text)[0] == "1059"
    assert "Page 1 of 2" in first.text
    assert "actor_id=7" in older and "page=2" in older
    assert _targets(second.text) == [str(1000 + n) for n in range(9, -1, -1)]
    assert 'rel="prev"' in second.text and 'rel="next"' not in second.text


@pytest.mark.parametrize(("query", "message"), [
    ("actor_id=abc", "Enter an id number, like 12."),
    ("actor_id=0", "Enter an id number, like 12."),
    ("actor_id=99999999999", "Enter an id number, like 12."),
    ("date_from=2025-13-01", "Not a valid date value."),
    ("date_from=2025-03-05&date_to=2025-03-01", "The end date is before the start date."),
    # The edges of the calendar: a day after the last or a Colombo midnight before the first
    # is no date Python can make.
    ("date_to=9999-12-31", "Enter a date between"),
    ("date_from=0001-01-01", "Enter a date between"),
    ("action=no.such.action", "Not a valid choice."),
    ("success=maybe", "Not a valid choice."),
])
def test_bad_filters_are_explained_not_run(admin_client, history, query, message):
    page = admin_client.get(f"/staff/audit?{query}")

    assert page.status_code == 422
    assert message in page.text
    assert _targets(page.text) == []


def test_search_refuses_roles_without_the_permission(db_session):
    from app.errors import Forbidden

    with pytest.raises(Forbidden):
        audit.search("support_agent", audit.AuditFilter())


def test_an_underscore_in_the_action_filter_is_not_a_wildcard(db_session):
    audit.record("staff.login_totp", actor_id=1)
    audit.record("staff.loginXtotp", actor_id=1)

    found = audit.search("admin", audit.AuditFilter(action="staff.login_totp"))

    assert [e.action for e in found.entries] == ["staff.login_totp"]


def test_staff_password_sign_in_is_audited_with_its_code_step(client, db_session):
    from tests.backoffice.conftest import current_code

    user = make_staff("admin")
    client.post("/staff/login", data={"email": user.email, "password": PASSWORD})
    client.post("/staff/login/code", data={"code": current_code(user.totp_secret)})

    found = audit.search("admin", audit.AuditFilter(actor_id=user.id))

    assert [e.action for e in found.entries][:2] == ["staff.login_totp", "login.success"]


@pytest.mark.parametrize("page", ["abc", "-3", "99999999999999999999999"])
def test_odd_page_numbers_show_a_page_not_an_error(admin_client, history, page):
    response = admin_client.get(f"/staff/audit?page={page}&date_to=2025-03-31")

    assert response.status_code == 200
