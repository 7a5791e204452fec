"""Backup and restore benchmark, run by hand (not part of the test suite).

Builds a shop of N orders (100 000 by default) on SQLite and on PostgreSQL, then times
`flask backup create` and `flask backup restore --latest` after the database is destroyed,
each as an operator runs it: a new process (app start, upload/download, encrypt/decrypt,
check, migrate). Prints the sizes and seconds: the RTO's share that is the restore itself.

The orders are real ones placed through checkout (a few dozen), then copied with SQL until
there are N, with their lines and timeline events, so the database has the size and shape
of a shop that took N orders.

    .venv/bin/python bench/restore.py                     # both databases, 100 000 orders
    .venv/bin/python bench/restore.py --orders 20000 --db sqlite
"""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

SEED_ORDERS = 40
PG_SERVER = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def _config(url: str, work: Path) -> dict:
    from tests.conftest import base_config

    return {**base_config(url, work), "BACKUP_URL": f"file://{work / 'backups'}",
            "TESTING": False}


def _seed(app, orders: int) -> int:
    """Place SEED_ORDERS real orders, then copy them (ids shifted) until there are `orders`."""
    from app import db
    from app.orders.models import Order, OrderEvent, OrderLine
    from tests.checkout.factories import place_guest_order, stocked

    with app.app_context():
        variant = stocked("Bench tea", units=SEED_ORDERS)
        for _ in range(SEED_ORDERS):
            place_guest_order(variant)
        db.session.commit()
        tables = [(Order.__table__, None), (OrderLine.__table__, "order_id"),
                  (OrderEvent.__table__, "order_id")]
        while (count := db.session.scalar(select(func.count()).select_from(Order))) < orders:
            batch = min(count, orders - count)
            shift = db.session.scalar(select(func.max(Order.id)))
            for table, parent in tables:
                _copy_rows(table, parent, shift, batch)
            db.session.commit()
        if db.session.get_bind().dialect.name == "postgresql":
            for table, _ in tables:
                reset = (f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "  # noqa: S608
                         f"(SELECT max(id) FROM {table.name}))")
                db.session.execute(text(reset))
            db.session.commit()
        return db.session.scalar(select(func.count()).select_from(Order))


def _copy_rows(table, parent: str | None, shift: int, batch: int) -> None:
    """Copy the rows of the first `batch` orders (or their children) with ids moved past the
    current maximum; copied orders are numbered KD-B-<id>."""
    from app import db

    columns = [c.name for c in table.columns]
    own_shift = db.session.scalar(text(f"SELECT max(id) FROM {table.name}"))  # noqa: S608
    values = []
    for name in columns:
        if name == "id":
            values.append(f"id + {own_shift}")
        elif name == parent:
            values.append(f"{name} + {shift}")
        elif name == "number" and parent is None:
            values.append(f"'KD-B-' || CAST(id + {own_shift} AS VARCHAR(20))")
        else:
            values.append(name)
    owner = "id" if parent is None else parent
    db.session.execute(text(
        f"INSERT INTO {table.name} ({', '.join(columns)}) "  # noqa: S608 — our own names
        f"SELECT {', '.join(values)} FROM {table.name} WHERE {owner} <= "
        f"(SELECT min(id) - 1 + {batch} FROM orders_order)"))


def _flask(config: dict, *args: str) -> tuple[float, str]:
    from tests.ops.backups.drill import operator_env

    env = operator_env(config)
    started = time.perf_counter()
    done = subprocess.run([str(Path(sys.executable).with_name("flask")),  # noqa: S603
                           "--app", "wsgi", *args], env=env, cwd=ROOT, capture_output=True,
                          text=True)
    seconds = time.perf_counter() - started
    if done.returncode:
        raise SystemExit(f"flask {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return seconds, done.stdout.strip()


def run(backend: str, orders: int) -> None:
    from app import create_app, migrate
    from tests.ops.backups.drill import destroy_database

    with tempfile.TemporaryDirectory(prefix="kade-bench-restore-") as tmp:
        work = Path(tmp)
        if backend == "sqlite":
            url = f"sqlite:///{work / 'kade.db'}"
        else:
            name = f"kade_bench_restore_{secrets.token_hex(3)}"
            server = make_url(PG_SERVER).set(drivername="postgresql+psycopg")
            admin = create_engine(server, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            url = server.set(database=name).render_as_string(hide_password=False)
        try:
            migrate.upgrade(url)
            config = _config(url, work)
            app = create_app(config)
            started = time.perf_counter()
            count = _seed(app, orders)
            print(f"{backend}: {count} orders loaded in {time.perf_counter() - started:.1f} s")
            backup_s, said = _flask(config, "backup", "create")
            print(f"{backend}: backup create  {backup_s:6.1f} s  {said}")
            destroy_database(url)
            restore_s, said = _flask(config, "backup", "restore", "--latest")
            print(f"{backend}: backup restore {restore_s:6.1f} s  {said}")
            with app.app_context():
                from app import db
                from app.orders.models import Order

                back = db.session.scalar(select(func.count()).select_from(Order))
            verdict = "all" if back == count else "MISSING SOME"
            print(f"{backend}: {back} orders after the restore ({verdict})")
        finally:
            from app.db import dispose_engines

            dispose_engines()
            if backend == "postgresql":
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    for backend in (["sqlite", "postgresql"] if args.db == "both" else [args.db]):
        run(backend, args.orders)


if __name__ == "__main__":
    main()
