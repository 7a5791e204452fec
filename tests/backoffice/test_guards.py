"""Who reaches back-office pages: verified staff only, and each area only for its roles."""

from __future__ import annotations

import re

import pytest

from app.accounts import sessions
from app.security.roles import Permission
from tests.factories import PASSWORD, make_customer, make_staff

PAGES = ["/staff/", "/staff/audit", "/staff/users", "/staff/users/new", "/staff/users/1"]


@pytest.mark.parametrize("path", PAGES)
def test_anonymous_visitors_are_sent_to_the_staff_sign_in(client, db_session, path):
    response = client.get(path)

    assert response.status_code == 303
    assert response.location.startswith("/staff/login?next=/staff/")


@pytest.mark.parametrize("path", ["/staff/users/new", "/staff/users/1/role",
                                  "/staff/users/1/deactivate", "/staff/users/1/reactivate"])
def test_anonymous_writes_are_forbidden(client, db_session, path):
    response = client.post(path, data={"role": "admin"})

    assert response.status_code == 403
    assert "Back office" not in response.text


def test_a_signed_in_customer_never_sees_the_back_office(client, db_session, login):
    customer = make_customer()
    login(customer)

    page = client.get("/staff/audit")
    write = client.post("/staff/users/new", data={"email": "x@kade.lk", "role": "admin"})

    assert page.status_code == 303 and page.location.startswith("/staff/login")
    assert write.status_code == 403


def test_staff_without_the_code_step_are_sent_to_the_sign_in(client, db_session):
    # As if Flask-Login restored the user (a remember cookie) without the second factor.
    user = make_staff("admin")
    with client.session_transaction() as session:
        session["_user_id"] = sessions.start(user, kind=sessions.STAFF).session_key
        session["_fresh"] = True

    response = client.get("/staff/audit")

    assert response.status_code == 303 and response.location.startswith("/staff/login")


def test_a_verified_mark_for_another_session_does_not_count(client, db_session):
    user = make_staff("admin")
    earlier = sessions.start(user, kind=sessions.STAFF).session_key
    with client.session_transaction() as session:
        session["_user_id"] = sessions.start(user, kind=sessions.STAFF).session_key
        session["staff_2fa"] = earlier

    assert client.get("/staff/").status_code == 303


@pytest.mark.parametrize("path", ["/staff/audit", "/staff/users", "/staff/users/new"])
def test_a_support_agent_gets_403_on_admin_pages(client, db_session, sign_in_staff, path):
    sign_in_staff(make_staff("support_agent"))

    response = client.get(path)

    assert response.status_code == 403
    assert "You cannot open this page" in response.text
    assert "Sign out" in response.text  # still inside the back-office shell


def test_navigation_shows_only_what_the_role_may_use(client, db_session, sign_in_staff):
    sign_in_staff(make_staff("support_agent"))

    page = client.get("/staff/")

    assert page.status_code == 200
    assert "Support agent" in page.text
    assert "/staff/audit" not in page.text and "/staff/users" not in page.text
    assert 'href="/staff/support"' in page.text  # their one area


def test_an_admin_sees_every_area(admin_client):
    page = admin_client.get("/staff/")

    assert 'href="/staff/audit"' in page.text and 'href="/staff/users"' in page.text


def test_every_back_office_route_carries_a_guard(app):
    staff_views = {rule.endpoint: app.view_functions[rule.endpoint]
                   for rule in app.url_map.iter_rules() if rule.endpoint.startswith("staff.")}

    unguarded = [e for e, view in staff_views.items() if getattr(view, "staff_access", None)
                 not in {"public", *Permission}]

    assert len(staff_views) >= 8 and unguarded == []
    public = {e for e, view in staff_views.items() if view.staff_access == "public"}
    assert public == {"staff.login", "staff.login_enrol", "staff.login_code", "staff.logout"}


def test_posts_without_a_csrf_token_are_refused(make_app, db_session):
    client = make_app(WTF_CSRF_ENABLED=True).test_client()
    user = make_staff("admin")

    without = client.post("/staff/login", data={"email": user.email, "password": PASSWORD})
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/staff/login").text)[1]
    with_token = client.post("/staff/login", data={"email": user.email, "password": PASSWORD,
                                                   "csrf_token": token})

    assert without.status_code == 400
    assert "This form expired" in without.text
    assert with_token.status_code == 303


def test_an_idle_back_office_session_needs_the_sign_in_again(client, db_session, sign_in_staff,
                                                              app):
    sign_in_staff(make_staff("admin"))
    assert client.get("/staff/audit").status_code == 200

    with client.session_transaction() as session:
        session["staff_seen"] -= app.config["STAFF_IDLE_MINUTES"] * 60 + 1

    response = client.get("/staff/audit")
    assert response.status_code == 303 and response.location.startswith("/staff/login")


@pytest.mark.parametrize("path", ["/staff/users/3000000000", "/account/addresses/9999999999/edit"])
def test_ids_too_big_for_the_database_are_not_found(client, db_session, sign_in_staff, path,
                                                    login):
    sign_in_staff(make_staff("admin"))
    login(make_customer())

    assert client.get(path).status_code == 404
