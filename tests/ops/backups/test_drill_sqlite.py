"""The recovery drill on SQLite: the shop takes orders while the scheduler snapshots it
(5 minutes compressed to 1.5 s); the database file is deleted; `flask backup restore
--latest`, run as an operator would, brings it back. Every order committed before the last
snapshot began is there, and the orders lost span less than the RPO of 15 minutes.

The same drill runs against a folder and against an S3 bucket (moto's server)."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from app import db
from app.ops.backups import services as backups
from app.orders.models import Order
from app.queue import start_local_schedule
from tests.ops.backups.drill import OrderLoop, destroy_database, lost_window, operator_env
from tests.s3 import moto_s3

pytestmark = pytest.mark.sqlite_only
RPO = dt.timedelta(minutes=15)
FLASK = str(Path(sys.executable).with_name("flask"))


@dataclass
class Outcome:
    must_have: set[str]  # orders committed before the last snapshot began
    present: set[str]  # orders in the restored database
    window: dt.timedelta  # wall time of the orders lost


def _drill(make_shop, monkeypatch, **settings) -> Outcome:
    """Orders in a loop, snapshots on the compressed schedule, the file deleted, then the
    operator's `flask backup restore --latest`. Returns what came back."""
    monkeypatch.setenv("KADE_SCHEDULE_SCALE", "0.005")  # snapshots every 1.5 s
    app = make_shop(**settings)
    stop_schedule = threading.Event()
    with OrderLoop(app) as loop:
        scheduler = start_local_schedule(app, stop_schedule)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # until three snapshots are in the store
            with app.app_context():
                if len(backups.backup_ids()) >= 3:
                    break
            time.sleep(0.2)
        stop_schedule.set()  # the machine dies: no more backups ...
        scheduler.join(10)
        time.sleep(0.5)  # ... while a few more orders come in
    with app.app_context():
        last = backups.list_backups(1)[0]
    assert len(loop.placed) > 10, loop.errors

    destroy_database(app.config["DATABASE_URL"])

    started = time.perf_counter()
    restored = subprocess.run(
        [FLASK, "--app", "wsgi", "backup", "restore", "--latest"],
        env=operator_env(app.config), capture_output=True, text=True, timeout=300,
        cwd=Path(__file__).resolve().parents[3])
    seconds = time.perf_counter() - started
    assert restored.returncode == 0, restored.stderr[-2000:]
    assert f"restored from {last.id}" in restored.stdout

    with app.app_context():
        present = set(db.session.scalars(select(Order.number)))
        db.session.remove()
    must_have = loop.committed_before(last.created_at)
    window = lost_window(loop, present)
    where = "S3" if "AWS_ENDPOINT_URL" in settings else "folder"
    print(f"\nSQLite drill ({where}): "
          f"{len(loop.placed)} orders placed, {len(present)} restored, "
          f"lost window {window.total_seconds():.2f} s, restore {seconds:.2f} s "
          "(a new process: app start, download, decrypt, check, migrate)")
    return Outcome(must_have, present, window)


def test_drill_with_backups_in_a_folder(make_shop, monkeypatch):
    outcome = _drill(make_shop, monkeypatch)

    assert outcome.must_have, "no order was committed before the last snapshot"
    assert outcome.must_have <= outcome.present
    assert outcome.window < RPO


def test_drill_with_backups_in_an_s3_bucket(make_shop, monkeypatch):
    with moto_s3("kade-backups") as endpoint:
        outcome = _drill(make_shop, monkeypatch, BACKUP_URL="s3://kade-backups/shop",
                         AWS_ENDPOINT_URL=endpoint)

    assert outcome.must_have, "no order was committed before the last snapshot"
    assert outcome.must_have <= outcome.present
    assert outcome.window < RPO
