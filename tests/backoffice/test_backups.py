"""The backups page: administrators see how fresh backups are and can take one now; other
roles cannot get in."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app import db
from app.audit.models import AuditEntry
from app.errors import Forbidden
from app.ops.backups import staff as backups_staff
from app.ops.backups.models import BackupRun
from app.queue import wait_for_local_jobs
from tests.factories import make_staff


@pytest.fixture()
def backup_app(make_app, tmp_path):
    return make_app(BACKUP_URL=f"file://{tmp_path / 'backups'}")


def test_an_administrator_sees_no_backup_yet_then_takes_one(backup_app, sign_in_staff):
    with backup_app.app_context():
        admin = make_staff("admin")
    client = sign_in_staff(admin, c=backup_app.test_client())

    page = client.get("/staff/backups").get_data(as_text=True)
    assert "There is no good backup yet." in page
    assert "No backups are stored yet." in page

    response = client.post("/staff/backups")
    assert response.status_code == 303
    wait_for_local_jobs(backup_app)  # embedded: the job runs in a thread of this process

    page = client.get("/staff/backups").get_data(as_text=True)
    assert "Backups are up to date" in page
    assert "Z-sqlite-snapshot-" in page or "Z-postgresql-dump-" in page
    assert ">Done<" in page
    with backup_app.app_context():
        assert db.session.scalar(select(AuditEntry.action).where(
            AuditEntry.action == "backups.requested")) == "backups.requested"


def test_a_failed_run_shows_its_error(backup_app, sign_in_staff):
    with backup_app.app_context():
        admin = make_staff("admin")
        db.session.add(BackupRun(kind="snapshot", status="failed", error="disk full",
                                 finished_at=db.utcnow()))
        db.session.commit()
    client = sign_in_staff(admin, c=backup_app.test_client())

    page = client.get("/staff/backups").get_data(as_text=True)

    assert "disk full" in page and ">Failed<" in page


@pytest.mark.parametrize("role", ["order_manager", "catalog_manager", "support_agent"])
def test_other_roles_cannot_see_or_take_backups(backup_app, sign_in_staff, role):
    with backup_app.app_context():
        user = make_staff(role)
    client = sign_in_staff(user, c=backup_app.test_client())

    assert client.get("/staff/backups").status_code == 403
    assert client.post("/staff/backups").status_code == 403
    assert "/staff/backups" not in client.get("/staff/").get_data(as_text=True)


def test_the_service_checks_the_permission_too(app_ctx):
    with pytest.raises(Forbidden):
        backups_staff.request_backup(make_staff("order_manager"))
    with pytest.raises(Forbidden):
        backups_staff.overview(make_staff("support_agent"))
