"""The staff services the back office calls: each checks the actor's permission itself and
writes its audit entry, whoever calls it (page, API, command)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.accounts import services as accounts, sessions, staff
from app.accounts.errors import AccountLocked, InvalidCode, InvalidCredentials
from app.accounts.models import User
from app.audit.models import AuditEntry
from app.errors import Forbidden, Invalid, NotFound
from tests.backoffice.conftest import current_code, wrong_code
from tests.factories import PASSWORD, make_customer, make_staff


def _actions(db_session, target: User) -> list[tuple[str, bool]]:
    return [(e.action, e.success) for e in db_session.scalars(
        select(AuditEntry).where(AuditEntry.target_id == str(target.id)).order_by(AuditEntry.id))]


def test_only_staff_managers_list_staff(db_session):
    admin, agent = make_staff("admin"), make_staff("support_agent")
    make_customer()

    with pytest.raises(Forbidden):
        staff.list_staff(actor=agent)
    assert [u.id for u in staff.list_staff(actor=admin)] == [admin.id, agent.id]


def test_only_staff_managers_create_staff(db_session):
    agent = make_staff("support_agent")

    with pytest.raises(Forbidden):
        staff.create_staff(email="x@kade.lk", role="admin", password=PASSWORD, actor=agent)
    assert accounts.find_by_email("x@kade.lk") is None


def test_promoting_a_customer_is_audited_as_such(db_session):
    admin, customer = make_staff("admin"), make_customer()

    staff.create_staff(email=customer.email, role="marketing", password=PASSWORD, actor=admin)

    entry = db_session.scalars(select(AuditEntry).where(AuditEntry.action == "staff.create")
                               .order_by(AuditEntry.id.desc())).first()
    assert (entry.actor_id, entry.details) == (admin.id, {"role": "marketing", "promoted": True})


def test_change_role_checks_permission_and_is_audited(db_session):
    admin, agent = make_staff("admin"), make_staff("support_agent")

    with pytest.raises(Forbidden):
        staff.change_role(admin.id, "support_agent", actor=agent)
    staff.change_role(agent.id, "marketing", actor=admin, ip="198.51.100.7")

    assert db_session.get(User, agent.id).role == "marketing"
    assert db_session.get(User, admin.id).role == "admin"
    assert ("staff.change_role", True) in _actions(db_session, agent)


@pytest.mark.parametrize(("target", "role", "error"), [
    ("self", "marketing", Forbidden),
    ("agent", "owner", Invalid),
    ("customer", "marketing", NotFound),
])
def test_change_role_refusals(db_session, target, role, error):
    admin = make_staff("admin")
    users = {"self": admin, "agent": make_staff("support_agent"), "customer": make_customer()}

    with pytest.raises(error):
        staff.change_role(users[target].id, role, actor=admin)

    assert not [a for a, _ in _actions(db_session, users[target]) if a == "staff.change_role"]


def test_deactivation_ends_sessions_for_good_and_is_audited(db_session):
    admin, agent = make_staff("admin"), make_staff("support_agent")
    old_session = sessions.start(agent, kind=sessions.STAFF).session_key

    staff.deactivate_staff(agent.id, actor=admin)
    assert sessions.user_for(old_session) is None
    with pytest.raises(InvalidCredentials):
        accounts.authenticate(agent.email, PASSWORD)
    staff.reactivate_staff(agent.id, actor=admin)

    assert sessions.user_for(old_session) is None  # old cookies stay dead
    assert accounts.authenticate(agent.email, PASSWORD).id == agent.id
    actions = [a for a, _ in _actions(db_session, agent)]
    assert actions.index("staff.deactivate") < actions.index("staff.reactivate")


def test_nobody_deactivates_themself(db_session):
    admin = make_staff("admin")

    with pytest.raises(Forbidden):
        staff.deactivate_staff(admin.id, actor=admin)
    assert db_session.get(User, admin.id).is_active


def test_customer_password_on_the_staff_form_is_refused_and_audited(db_session):
    customer = make_customer()

    with pytest.raises(InvalidCredentials):
        staff.authenticate_staff(customer.email, PASSWORD)

    assert ("staff.login_refused", False) in _actions(db_session, customer)


def test_each_accepted_enrolment_code_opens_a_new_secret(db_session):
    """Whoever passed the code last owns the secret being set up: a secret shown to an
    earlier attempt cannot finish the enrolment."""
    user = make_staff("admin", enrolled=False)

    first = staff.start_totp_enrolment(user.id, user.enrolment_code)
    again = staff.start_totp_enrolment(user.id, user.enrolment_code)

    assert first != again
    with pytest.raises(InvalidCode):
        staff.confirm_totp_enrolment(user.id, current_code(first))
    assert staff.confirm_totp_enrolment(user.id, current_code(again)).totp_enrolled_at
    assert [a for a, ok in _actions(db_session, user) if a == "staff.enrolment_code"] == [
        "staff.enrolment_code"] * 2


def test_enrolled_staff_cannot_enrol_again(db_session):
    user = make_staff("admin")

    with pytest.raises(InvalidCode):
        staff.confirm_totp_enrolment(user.id, current_code(user.totp_secret))


def test_guessing_codes_locks_both_sign_in_steps(app, db_session, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_MAX_FAILURES", 3)
    user = make_staff("admin")
    for _ in range(3):
        with pytest.raises(InvalidCode):
            staff.verify_totp(user.id, wrong_code(user.totp_secret))

    with pytest.raises(AccountLocked) as caught:
        staff.verify_totp(user.id, current_code(user.totp_secret))

    assert caught.value.retry_after > 0
    with pytest.raises(AccountLocked):  # the password step too: a new password try won't help
        accounts.authenticate(user.email, PASSWORD)
    assert ("staff.totp_locked", False) in _actions(db_session, user)


def test_a_right_code_starts_the_wrong_code_count_again(app, db_session, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_MAX_FAILURES", 3)
    user = make_staff("admin")
    for _ in range(2):
        with pytest.raises(InvalidCode):
            staff.verify_totp(user.id, wrong_code(user.totp_secret))
    staff.verify_totp(user.id, current_code(user.totp_secret))

    with pytest.raises(InvalidCode):  # a third wrong code, but the first since a right one
        staff.verify_totp(user.id, wrong_code(user.totp_secret))

    assert db_session.get(User, user.id).locked_until is None
