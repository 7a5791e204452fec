"""Staff management pages: list, add, change a role, deactivate. Every write is audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.accounts import services as accounts, staff
from app.accounts.models import User
from app.audit.models import AuditEntry
from tests.backoffice.conftest import enrolment_code, setup_key
from tests.factories import PASSWORD, make_customer, make_staff

NEW_PASSWORD = "tea estates at dawn"  # noqa: S105


def _audit(db_session, action):
    db_session.expire_all()
    return list(db_session.scalars(
        select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def test_the_list_shows_staff_with_role_and_authenticator_state(admin_client, db_session):
    agent = make_staff("support_agent", enrolled=False)
    customer = make_customer()

    page = admin_client.get("/staff/users")

    assert page.status_code == 200
    assert agent.name in page.text and "Support agent" in page.text
    assert "not set up" in page.text and "set up" in page.text
    assert customer.name not in page.text


def test_an_admin_adds_a_staff_member_who_then_enrols(admin_client, admin, db_session, client):
    response = admin_client.post("/staff/users/new", data={
        "name": "Dilani Silva", "email": "dilani@kade.lk", "role": "catalog_manager",
        "password": NEW_PASSWORD})
    code = enrolment_code(response.text)
    shown_again = admin_client.get(
        f"/staff/users/{accounts.find_by_email('dilani@kade.lk').id}")
    newcomer = client.application.test_client()
    newcomer.post("/staff/login", data={"email": "dilani@kade.lk", "password": NEW_PASSWORD})
    newcomer.post("/staff/login/enrol", data={"enrolment_code": code})
    enrol = newcomer.get("/staff/login/code")

    assert response.status_code == 201
    assert "Dilani Silva" in response.text and "Catalog manager" in response.text
    assert response.headers["Cache-Control"] == "private, no-store"
    assert code not in shown_again.text  # shown once, on the answer to the form
    created = _audit(db_session, "staff.create")
    assert [(e.actor_id, e.details["role"]) for e in created][-1] == (admin.id, "catalog_manager")
    assert setup_key(enrol.text)


@pytest.mark.parametrize(("data", "message"), [
    ({"email": "new@kade.lk", "role": "admin", "password": NEW_PASSWORD},
     "This field is required."),
    ({"name": "A B", "email": "not-an-email", "role": "admin", "password": NEW_PASSWORD},
     "Enter an email address like name@kade.lk."),
    ({"name": "A B", "email": "new@kade.lk", "role": "owner", "password": NEW_PASSWORD},
     "Not a valid choice."),
    ({"name": "A B", "email": "new@kade.lk", "role": "admin", "password": "short"},
     "Use at least 10 characters."),
    ({"name": "A B", "email": "TAKEN@kade.lk", "role": "admin", "password": NEW_PASSWORD},
     "An account with this email already exists."),
])
def test_bad_new_staff_inputs_are_refused_with_a_message(admin_client, db_session, data,
                                                          message):
    staff.create_staff(email="taken@kade.lk", role="marketing", password=PASSWORD, name="T")

    response = admin_client.post("/staff/users/new", data=data)

    assert response.status_code == 422
    assert message in response.text


def test_an_admin_changes_a_role(admin_client, admin, db_session):
    agent = make_staff("support_agent")

    response = admin_client.post(f"/staff/users/{agent.id}/role", data={"role": "order_manager"})
    detail = admin_client.get(response.location)

    assert response.status_code == 303
    assert "Role changed." in detail.text and "Order manager" in detail.text
    [entry] = _audit(db_session, "staff.change_role")
    assert (entry.actor_id, entry.target_id) == (admin.id, str(agent.id))
    assert entry.details == {"from_role": "support_agent", "to_role": "order_manager"}


def test_deactivating_ends_the_members_sessions_and_sign_ins(admin_client, db_session,
                                                             client, sign_in_staff):
    agent = make_staff("support_agent")
    agent_client = sign_in_staff(agent, c=client.application.test_client())

    response = admin_client.post(f"/staff/users/{agent.id}/deactivate")
    detail = admin_client.get(f"/staff/users/{agent.id}")
    again = client.application.test_client().post(
        "/staff/login", data={"email": agent.email, "password": PASSWORD})

    assert response.status_code == 303 and "Account deactivated" in detail.text
    assert "Reactivate account" in detail.text
    assert agent_client.get("/staff/").status_code == 303
    assert again.status_code == 422 and "Email or password is not right." in again.text
    assert len(_audit(db_session, "staff.deactivate")) == 1


def test_reactivating_lets_the_member_sign_in_again(admin_client, db_session, client,
                                                    sign_in_staff):
    agent = make_staff("support_agent")
    admin_client.post(f"/staff/users/{agent.id}/deactivate")

    response = admin_client.post(f"/staff/users/{agent.id}/reactivate")

    assert response.status_code == 303
    assert sign_in_staff(agent).get("/staff/").status_code == 200
    assert len(_audit(db_session, "staff.reactivate")) == 1


def test_an_admin_cannot_demote_or_deactivate_themself(admin_client, admin, db_session):
    page = admin_client.get(f"/staff/users/{admin.id}")
    demote = admin_client.post(f"/staff/users/{admin.id}/role", data={"role": "marketing"})
    deactivate = admin_client.post(f"/staff/users/{admin.id}/deactivate")

    assert "Change role" not in page.text
    assert demote.status_code == deactivate.status_code == 403
    assert "Ask another administrator" in demote.text
    assert db_session.get(User, admin.id).role == "admin"
    assert _audit(db_session, "staff.change_role") == []


def test_a_customer_id_is_not_a_staff_page(admin_client, db_session):
    customer = make_customer()

    assert admin_client.get(f"/staff/users/{customer.id}").status_code == 404
    assert admin_client.post(f"/staff/users/{customer.id}/deactivate").status_code == 404


def test_a_support_agent_cannot_change_staff(client, db_session, sign_in_staff):
    target = make_staff("marketing")
    sign_in_staff(make_staff("support_agent"))

    response = client.post(f"/staff/users/{target.id}/role", data={"role": "admin"})

    assert response.status_code == 403
    assert db_session.get(User, target.id).role == "marketing"


def test_resetting_a_lost_authenticator_makes_the_next_sign_in_enrol_again(
        admin_client, db_session, client, sign_in_staff):
    agent = make_staff("support_agent")
    agent_client = sign_in_staff(agent, c=client.application.test_client())

    response = admin_client.post(f"/staff/users/{agent.id}/reset-authenticator")
    fresh = client.application.test_client()
    fresh.post("/staff/login", data={"email": agent.email, "password": PASSWORD})
    fresh.post("/staff/login/enrol", data={"enrolment_code": enrolment_code(response.text)})
    enrol_page = fresh.get("/staff/login/code")

    assert response.status_code == 200
    assert agent_client.get("/staff/").status_code == 303  # the old session has ended
    assert setup_key(enrol_page.text)  # a new authenticator is set up at this sign-in
    assert len(_audit(db_session, "staff.totp_reset")) == 1


def test_a_support_agent_cannot_reset_an_authenticator(client, db_session, sign_in_staff):
    admin = make_staff("admin")
    agent_client = sign_in_staff(make_staff("support_agent"))

    response = agent_client.post(f"/staff/users/{admin.id}/reset-authenticator")

    assert response.status_code == 403
    assert _audit(db_session, "staff.totp_reset") == []


def test_a_new_enrolment_code_for_someone_not_yet_enrolled_replaces_the_old_one(
        admin_client, db_session, client):
    newcomer = make_staff("support_agent", enrolled=False)

    response = admin_client.post(f"/staff/users/{newcomer.id}/enrolment-code")
    fresh = client.application.test_client()
    fresh.post("/staff/login", data={"email": newcomer.email, "password": PASSWORD})
    old = fresh.post("/staff/login/enrol", data={"enrolment_code": newcomer.enrolment_code})
    new = fresh.post("/staff/login/enrol", data={"enrolment_code": enrolment_code(response.text)})

    assert response.status_code == 200
    assert old.status_code == 422
    assert new.status_code == 303 and new.location == "/staff/login/code"
