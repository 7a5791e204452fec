"""The shop taking orders while a drill runs: a thread placing guest orders one after
another, each in its own app context and transaction, recording when each commit returned.
After the database is destroyed and restored, `lost_window` tells how much was lost."""

from __future__ import annotations

import datetime as dt
import os
import threading
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app.db import utcnow


class OrderLoop:
    def __init__(self, app, pause: float = 0.05):
        self.app = app
        self.pause = pause
        self.placed: list[tuple[str, dt.datetime]] = []  # (order number, committed at UTC)
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="order-loop")

    def __enter__(self) -> OrderLoop:
        from tests.checkout.factories import starter_delivery, stocked

        with self.app.app_context():
            starter_delivery()
            self.variant = stocked("Drill tea", units=1_000_000)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        from app import db
        from app.checkout.services import Contact
        from tests.checkout.factories import place_guest_order

        shopper = 0
        while not self._stop.is_set():
            # The shop's traffic: each order from another shopper (one number placing them
            # all would meet the per-phone checkout limit).
            shopper += 1
            contact = Contact(name="Drill Shopper", email="drill@example.lk",
                              phone=f"0771{shopper:06d}")
            with self.app.app_context():
                try:
                    order = place_guest_order(self.variant, contact=contact)
                    self.placed.append((order.number, utcnow()))
                except Exception as exc:  # the database vanishing mid-drill is expected
                    self.errors.append(type(exc).__name__)
                finally:
                    db.session.remove()
            self._stop.wait(self.pause)

    def committed_before(self, moment: dt.datetime) -> set[str]:
        return {number for number, at in self.placed if at <= moment}


def lost_window(loop: OrderLoop, present: set[str]) -> dt.timedelta:
    """Wall time between the first order missing after the restore and the last order
    placed: how much of the shop's work the restore lost (zero when nothing was lost)."""
    missing = [at for number, at in loop.placed if number not in present]
    if not missing:
        return dt.timedelta(0)
    return loop.placed[-1][1] - min(missing)


def destroy_database(url: str) -> None:
    """The disaster: the SQLite file (and its -wal, -shm) deleted, or the PostgreSQL
    database dropped. Pooled connections to it are closed first."""
    from app import db

    db.session.remove()
    db.dispose_engines()
    if url.startswith("sqlite"):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{make_url(url).database}{suffix}").unlink(missing_ok=True)
        return
    admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{make_url(url).database}" WITH (FORCE)'))
    admin.dispose()


def operator_env(config) -> dict[str, str]:
    """The environment an operator runs `flask backup …` with: the app's database, backup
    store, pgBackRest stanza and keys, and none of the test run's own KADE_ or DATABASE_
    settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KADE_", "DATABASE_"))}
    env.update(DATABASE_URL=config["DATABASE_URL"], KADE_INSTANCE_PATH=config["INSTANCE_PATH"],
               BACKUP_KEYS=config["BACKUP_KEYS"], PII_KEYS=config["PII_KEYS"],
               PII_INDEX_KEY=config["PII_INDEX_KEY"], SECRET_KEY=config["SECRET_KEY"])
    for name in ("BACKUP_URL", "PGBACKREST_STANZA", "PGBACKREST_CONFIG", "PG_START_COMMAND"):
        if config.get(name):
            env[name] = config[name]
    if config.get("AWS_ENDPOINT_URL"):
        from tests.s3 import AWS_TEST_ENV

        env.update(AWS_TEST_ENV, AWS_ENDPOINT_URL=config["AWS_ENDPOINT_URL"])
    return env
