"""The recovery drill on PostgreSQL (issue 8, Acceptance): the shop takes orders in a loop on
a cluster of its own that archives its WAL with pgBackRest (to a folder, or to S3 on moto
behind stunnel); a differential backup runs while it does; then the cluster is destroyed
(stopped at once, data directory deleted) and `flask backup restore --latest` brings it
back. Every order whose commit reached an archived WAL segment must be back, the orders lost
must span under a minute of wall time, and the restore time is printed (`pytest -s`) and
recorded as a property of the test (`--junitxml`).

archive_timeout is compressed to 2 s (production: 30 s), so the measured window here is
about 2 s plus the push time; in production expect about 30 s plus the push time."""

from __future__ import annotations

import contextlib
import subprocess
import threading
import time
from dataclasses import dataclass

import pytest
from sqlalchemy import text

from app import create_app, db, migrate
from app.config import PROJECT_ROOT
from app.db import utcnow
from app.ops.backups import services as backups
from tests.checkout.factories import place_guest_order, stocked
from tests.conftest import base_config
from tests.ops.backups.drill import operator_env
from tests.ops.backups.pgcluster import (
    PG_BIN,
    archived_cluster,
    lsn,
    s3_repository,
    segment_end_lsn,
)

pytestmark = pytest.mark.postgres_only

LOOP_SECONDS_BEFORE_BACKUP = 4
LOOP_SECONDS_AFTER_BACKUP = 5


@dataclass
class Placed:
    number: str
    returned_at: object  # aware UTC datetime: when place_order's commit returned
    wal_position: int | None  # an LSN at or past the commit record (None: unknown)


class OrderLoop(threading.Thread):
    """Places guest orders one after another until stopped; records each one the shop
    confirmed. Errors (the database is gone) are counted and the loop goes on trying."""

    def __init__(self, app, variant):
        super().__init__(daemon=True)
        self.app, self.variant = app, variant
        self.placed: list[Placed] = []
        self.errors = 0
        self.stopping = threading.Event()

    def run(self):
        with self.app.app_context():
            while not self.stopping.is_set():
                try:
                    order = place_guest_order(self.variant)
                except Exception:  # noqa: BLE001 — the drill destroys the database under us
                    self.errors += 1
                    db.session.remove()
                    time.sleep(0.05)
                    continue
                returned_at = utcnow()
                try:
                    position = lsn(db.session.execute(
                        text("SELECT pg_current_wal_insert_lsn()::text")).scalar_one())
                    db.session.commit()
                except Exception:  # noqa: BLE001
                    position = None
                    db.session.remove()
                self.placed.append(Placed(order.number, returned_at, position))

    def stop(self):
        self.stopping.set()
        self.join(timeout=30)


@pytest.fixture(params=["posix", "s3"])
def shop_cluster(request, tmp_path):
    with contextlib.ExitStack() as stack:
        s3 = stack.enter_context(s3_repository(tmp_path)) if request.param == "s3" else None
        cluster = stack.enter_context(archived_cluster(s3=s3, archive_timeout="2s"))
        yield request.param, cluster
        db.dispose_engines()


def test_drill_orders_flow_the_cluster_is_destroyed_and_restore_latest_brings_it_back(
        shop_cluster, tmp_path, record_property):
    repo, cluster = shop_cluster
    migrate.upgrade(cluster.url)
    config = {**base_config(cluster.url, tmp_path), **cluster.config()}
    if repo == "s3":
        # The operator's own start command (systemctl on a real host); the posix drill
        # exercises the default, pg_ctl as the data directory's owner.
        config["PG_START_COMMAND"] = (
            f"runuser -u postgres -- {PG_BIN / 'pg_ctl'} -D {cluster.data} "
            f"-l {cluster.root / 'started.log'} start")
    app = create_app(config)
    with app.app_context():
        variant = stocked(units=100_000)
    loop = OrderLoop(app, variant)
    loop.start()
    time.sleep(LOOP_SECONDS_BEFORE_BACKUP)
    with app.app_context():
        diff = backups.create("diff")  # online, while orders flow
    time.sleep(LOOP_SECONDS_AFTER_BACKUP)

    last_archived = cluster.archiver()[0]  # whole in the repository before the disaster
    destroyed_at = utcnow()
    cluster.destroy()
    loop.stop()
    db.dispose_engines()
    started = time.monotonic()
    done = subprocess.run(
        [str(PROJECT_ROOT / ".venv" / "bin" / "flask"), "--app", "wsgi", "backup", "restore",
         "--latest"],
        cwd=PROJECT_ROOT, env=operator_env(config), capture_output=True, text=True,
        timeout=300)
    restore_seconds = time.monotonic() - started

    assert done.returncode == 0, done.stdout + done.stderr
    assert "restored from" in done.stdout
    assert diff["kind"] == "diff"
    present = set(cluster.psql("SELECT number FROM orders_order").split())
    archived_end = segment_end_lsn(last_archived[:24])
    must_be_back = [p for p in loop.placed
                    if p.wal_position is not None and p.wal_position <= archived_end]
    kept = [p for p in loop.placed if p.number in present]
    lost = [p for p in loop.placed if p.number not in present]
    window = (destroyed_at - kept[-1].returned_at).total_seconds()
    print(f"\n[{repo}] drill: {len(loop.placed)} orders placed, {len(lost)} lost, "
          f"data-loss window {window:.1f} s, restore {restore_seconds:.1f} s "
          f"(CLI: {done.stdout.strip()})")
    record_property("repository", repo)
    record_property("orders_placed", len(loop.placed))
    record_property("orders_lost", len(lost))
    record_property("data_loss_window_seconds", round(window, 2))
    record_property("restore_seconds", round(restore_seconds, 2))

    assert len(must_be_back) >= 10  # the loop ran for real, and WAL reached the repository
    assert [p.number for p in must_be_back if p.number not in present] == []
    assert loop.placed[:len(kept)] == kept  # no hole: what came back is everything up to a point
    assert window < 60
    assert cluster.psql("SELECT pg_is_in_recovery()") == "f"  # promoted: the shop can write
    assert len(present) >= len(kept)
