"""Freshness where people and monitors look: /readyz, /metrics, the back office, and a mail
to the administrators when a backup failed or the last good one is too old."""

from __future__ import annotations

import datetime as dt

import pytest

from app import db
from app.db import utcnow
from app.ops.backups import alerts
from app.ops.backups.models import BackupRun
from tests.conftest import PRODUCTION_SETTINGS
from tests.factories import make_staff


@pytest.fixture()
def backup_app(make_app, tmp_path):
    return make_app(BACKUP_URL=f"file://{tmp_path / 'backups'}")


def _run(status: str, minutes_ago: float, **values) -> BackupRun:
    finished = utcnow() - dt.timedelta(minutes=minutes_ago)
    run = BackupRun(kind="snapshot", status=status, started_at=finished,
                    finished_at=finished, **values)
    db.session.add(run)
    db.session.commit()
    return run


def test_readyz_shows_the_backup_age_and_stays_ready_when_it_is_stale(backup_app):
    client = backup_app.test_client()

    with backup_app.app_context():
        stale = client.get("/readyz")
        _run("ok", minutes_ago=2, backup_id="b-fresh")
        fresh = client.get("/readyz")

    assert stale.status_code == 200  # a late backup never takes the shop out of service
    assert stale.get_json()["backup"]["stale"] is True
    assert stale.get_json()["backup"]["age_seconds"] is None
    body = fresh.get_json()["backup"]
    assert body["stale"] is False and body["last_backup_id"] == "b-fresh"
    assert 100 <= body["age_seconds"] <= 200


def test_metrics_expose_the_backup_age_for_prometheus(backup_app):
    with backup_app.app_context():
        _run("ok", minutes_ago=20, backup_id="b-old")

    response = backup_app.test_client().get("/metrics")

    assert response.status_code == 200
    assert response.content_type.startswith("text/plain")
    text = response.get_data(as_text=True)
    samples = dict(line.split() for line in text.splitlines() if not line.startswith("#"))
    age = float(samples["kade_backup_age_seconds"])
    assert 1150 <= age <= 1300
    assert samples["kade_backup_stale"] == "1.0"


def test_metrics_need_the_token_when_one_is_set(make_app):
    app = make_app(METRICS_TOKEN="s3cret-token")  # noqa: S106
    client = app.test_client()

    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    ok = client.get("/metrics", headers={"Authorization": "Bearer s3cret-token"})
    assert ok.status_code == 200 and "kade_backup_stale" in ok.get_data(as_text=True)


def test_metrics_in_production_are_a_404_without_a_token_and_need_it_with_one(make_app):
    closed = make_app(**PRODUCTION_SETTINGS, METRICS_TOKEN=None).test_client()
    guarded = make_app(**PRODUCTION_SETTINGS, METRICS_TOKEN="s3cret-token").test_client()  # noqa: S106

    assert closed.get("/metrics").status_code == 404
    assert closed.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 404
    assert guarded.get("/metrics").status_code == 401
    ok = guarded.get("/metrics", headers={"Authorization": "Bearer s3cret-token"})
    assert ok.status_code == 200 and "kade_backup_stale" in ok.get_data(as_text=True)


def test_a_failed_backup_is_mailed_to_the_administrators_once(app_ctx, outbox):
    admin = make_staff("admin")
    make_staff("catalog_manager")  # may not manage jobs: not told
    _run("ok", minutes_ago=1)
    _run("failed", minutes_ago=0.5, error="pg_dump failed: connection refused")

    assert alerts.watch() == ["failed"]
    assert alerts.watch() == []

    [mail] = outbox.messages()
    assert mail["To"] == admin.email
    assert "Backup failed" in mail["Subject"]
    assert "pg_dump failed: connection refused" in outbox.text(mail)


def test_a_stale_backup_is_mailed_once_per_episode(app_ctx, outbox):
    admin = make_staff("admin")
    _run("ok", minutes_ago=16, backup_id="b-1")

    assert alerts.watch() == ["stale"]
    assert alerts.watch() == ["stale"]  # still stale, but the same episode: no second mail
    assert len(outbox.to(admin.email)) == 1
    assert "older than 15 minutes" in outbox.to(admin.email)[0]["Subject"]
    assert "16 minutes old" in outbox.text(outbox.to(admin.email)[0])

    _run("ok", minutes_ago=0, backup_id="b-2")  # backups resume ...
    assert alerts.watch() == []
    db.session.query(BackupRun).delete()
    _run("ok", minutes_ago=30, backup_id="b-2")  # ... and stop again: a new episode
    assert alerts.watch() == ["stale"]
    assert len(outbox.to(admin.email)) == 2


def test_fresh_backups_alert_nobody(app_ctx, outbox):
    make_staff("admin")
    _run("ok", minutes_ago=3)

    assert alerts.watch() == []
    assert outbox.messages() == []
