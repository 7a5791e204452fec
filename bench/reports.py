"""Reports benchmark, run by hand (not part of the test suite): see bench/README.md.

1. Makes a fresh PostgreSQL database (`kade_bench_reports`), runs the migrations and loads
   100 000 orders (by default) with COPY: spread over the last 400 days, two or three lines
   each over 2 000 products, every payment method and district, a refund for one in twenty,
   stock levels with alert levels, open support tickets. Personal fields hold one sealed
   value (the same for every order): reports never read them.
2. Builds the app on that database as production would (PostgreSQL, the reports' own
   connection with its statement timeout), signs an administrator in, and times GET /staff/
   (the dashboard: every card) and GET /staff/reports/sales (30 days by day, and 365 days by
   product) in-process, after a warm-up: median and p95 of N requests, against the target
   (the dashboard under 300 ms).

    .venv/bin/python bench/reports.py                 # load and measure, about 2 minutes
    .venv/bin/python bench/reports.py --reuse         # keep the loaded database
    .venv/bin/python bench/reports.py --orders 20000  # a smaller shop
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.catalog import _copy  # noqa: E402  (COPY rows in: the catalogue bench's)

SERVER = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
NAME = "kade_bench_reports"
TARGET_MS = 300  # the issue's: the dashboard with 100 000 orders
DISTRICTS = ("colombo", "gampaha", "kalutara", "kandy", "galle", "matara", "jaffna",
             "kurunegala", "anuradhapura", "badulla", "ratnapura", "trincomalee")
METHODS = ("cod", "payhere", "bank_transfer")
STATUSES = (("completed", 60), ("delivered", 10), ("shipped", 8), ("processing", 6),
            ("paid", 3), ("pending_payment", 4), ("cancelled", 5), ("partially_refunded", 4))
PII_KEYS = "k1:" + base64.urlsafe_b64encode(b"r" * 32).decode()
INDEX_KEY = base64.urlsafe_b64encode(b"x" * 32).decode()


def psycopg_url(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def sqlalchemy_url(url: str) -> str:
    return make_url(url).set(drivername="postgresql+psycopg").render_as_string(
        hide_password=False)


def fresh_database() -> str:
    from app import migrate

    with psycopg.connect(SERVER, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{NAME}"')
    url = make_url(SERVER).set(database=NAME).render_as_string(hide_password=False)
    migrate.upgrade(sqlalchemy_url(url))
    return url


def load(url: str, orders: int, seed: int = 2026) -> None:
    """Orders, lines, payments, refunds, stock levels and tickets, with COPY."""
    from app.security import pii

    pii.configure(PII_KEYS, INDEX_KEY)
    sealed = pii.seal("Bench Customer")
    rng = random.Random(seed)
    now = dt.datetime.now(dt.UTC)
    started = time.perf_counter()
    products = [(n, f"SKU-{n:05d}", f"Product {n}", rng.randrange(100_00, 5_000_00, 50))
                for n in range(1, 2_001)]
    statuses = [code for code, weight in STATUSES for _ in range(weight)]
    order_rows, line_rows, payment_rows, refund_rows = [], [], [], []
    for oid in range(1, orders + 1):
        placed = now - dt.timedelta(seconds=rng.randrange(0, 400 * 86_400))
        status = rng.choice(statuses)
        method = rng.choice(METHODS)
        picked = rng.sample(products, rng.choice((1, 2, 2, 3)))
        subtotal = 0
        for pid, sku, name, price in picked:
            quantity = rng.choice((1, 1, 2, 3))
            discount = price * quantity // 10 if rng.random() < .2 else 0
            total = price * quantity - discount
            subtotal += total
            line_rows.append((oid, pid, pid, "product", sku, name, price, quantity, discount,
                              total, quantity))
        discount = 100_00 if subtotal > 2_000_00 and rng.random() < .3 else 0
        fee = 0 if subtotal > 20_000_00 else 350_00
        total = subtotal - discount + fee
        paid = status not in ("pending_payment", "cancelled") or rng.random() < .3
        number = f"KD-{placed.year}-{oid:07d}"
        order_rows.append((oid, number, status, method, "paid" if paid else "unpaid", "en",
                           "web", sealed, sealed, sealed, rng.choice(DISTRICTS), subtotal,
                           discount, fee, total, 0, 0, "LKR", placed, placed, 0))
        payment_rows.append((oid, number, method, "captured" if paid else "initiated", total,
                             "LKR", total if paid else 0, 0, placed, placed))
        if paid and rng.random() < .05:
            refund_rows.append((oid, number, min(total, 500_00), "Damaged", "manual", "done",
                                False, placed + dt.timedelta(days=rng.randrange(1, 20))))
    with psycopg.connect(psycopg_url(url)) as conn, conn.cursor() as cur:
        _copy(cur, "orders_order", [
            "id", "number", "status", "payment_method", "payment_status", "locale", "channel",
            "contact_name", "contact_email", "contact_phone", "district", "subtotal_cents",
            "discount_cents", "delivery_fee_cents", "total_cents", "credit_cents",
            "points_cents", "currency", "placed_at", "updated_at", "link_version"],
            order_rows)
        _copy(cur, "orders_order_line", [
            "order_id", "product_id", "variant_id", "kind", "sku", "name_en", "unit_cents",
            "quantity", "discount_cents", "total_cents", "fulfilled_quantity"], line_rows)
        _copy(cur, "payments_payment", [
            "id", "order_number", "method", "status", "amount_cents", "currency",
            "captured_cents", "refunded_cents", "created_at", "updated_at"], payment_rows)
        _copy(cur, "payments_refund", [
            "payment_id", "order_number", "amount_cents", "reason", "mode", "state",
            "restock", "created_at"], refund_rows)
        for table in ("orders_order", "orders_order_line", "payments_payment",
                      "payments_refund"):  # our own table names, not input
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                        f"(SELECT coalesce(max(id), 1) FROM {table}))")
        conn.commit()
        cur.execute("ANALYZE")
    print(f"loaded {orders:,} orders, {len(line_rows):,} lines, {len(refund_rows):,} refunds "
          f"in {time.perf_counter() - started:.1f} s")


def _has_orders(url: str) -> int:
    try:
        with psycopg.connect(psycopg_url(url)) as conn:
            return conn.execute("SELECT count(*) FROM orders_order").fetchone()[0]
    except psycopg.Error:
        return 0


def signed_in_admin(app):
    """A test client whose session is an administrator's, verified by the second factor
    (set in the session as the sign-in would; the sign-in's own cost is not measured)."""
    from app.accounts import sessions, staff as staff_accounts
    from app.backoffice.guards import SEEN_KEY, VERIFIED_KEY

    with app.app_context():
        from app import db

        invite = staff_accounts.create_staff(
            email=f"bench.{secrets.token_hex(4)}@kade.lk", role="admin", name="Bench Admin",
            password=secrets.token_urlsafe(16))
        db.session.commit()
        user_id = sessions.start(invite.user, kind=sessions.STAFF).get_id()
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = user_id
        session["_fresh"] = True
        session[VERIFIED_KEY] = user_id
        session[SEEN_KEY] = int(time.time())
    return client


def timed(client, path: str, n: int) -> tuple[float, float]:
    for _ in range(3):
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        response = client.get(path)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * .95) - 1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--reuse", action="store_true", help="keep a loaded database")
    parser.add_argument("-n", type=int, default=20, help="requests per page")
    args = parser.parse_args(argv)

    url = make_url(SERVER).set(database=NAME).render_as_string(hide_password=False)
    if not (args.reuse and _has_orders(url)):
        url = fresh_database()
        load(url, args.orders)
    else:
        from app import migrate

        migrate.upgrade(sqlalchemy_url(url))  # a database loaded by an older Kade
    count = _has_orders(url)

    from app import create_app

    instance = Path(tempfile.mkdtemp(prefix="kade-bench-reports-"))
    app = create_app({
        "DATABASE_URL": sqlalchemy_url(url), "SECRET_KEY": secrets.token_urlsafe(32),
        "PII_KEYS": PII_KEYS, "PII_INDEX_KEY": INDEX_KEY,
        "BACKUP_KEYS": "b1:" + base64.urlsafe_b64encode(b"b" * 32).decode(),
        "INSTANCE_PATH": str(instance), "OUTBOX_DIR": str(instance / "outbox"),
        "BACKUP_URL": f"file://{instance / 'backups'}", "MEDIA_URL": f"file://{instance}",
        "REDIS_URL": None, "RATELIMIT_ENABLED": False, "LOCAL_SCHEDULE": False,
        "SERVER_NAME": None,
    })
    client = signed_in_admin(app)
    print(f"{count:,} orders in PostgreSQL; {args.n} requests a page, in-process")
    print(f"{'page':<44} {'median':>9} {'p95':>9}")
    year_ago = (dt.date.today() - dt.timedelta(days=364)).isoformat()
    verdict = 0
    for label, path, target in (
            ("dashboard /staff/", "/staff/", TARGET_MS),
            ("sales, 30 days by day", "/staff/reports/sales", None),
            ("sales, 365 days by month", f"/staff/reports/sales?first={year_ago}"
                                         "&grouping=month", None),
            ("sales, 365 days by district", f"/staff/reports/sales?first={year_ago}"
                                            "&by=district", None),
            ("sales, 365 days by product", f"/staff/reports/sales?first={year_ago}"
                                           "&by=product", None)):
        median, p95 = timed(client, path, args.n)
        mark = ""
        if target is not None:
            mark = "PASS" if p95 < target else "FAIL"
            verdict |= mark == "FAIL"
            mark = f"  {mark} (target p95 < {target} ms)"
        print(f"{label:<44} {median:>7.1f}ms {p95:>7.1f}ms{mark}")
    return verdict


if __name__ == "__main__":
    sys.exit(main())
