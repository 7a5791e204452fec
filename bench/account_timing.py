"""Does the time of an answer tell who has an account? Run by hand (bench/README.md).

Times the account routes an attacker would probe, each with an email that has an account and
one that has none, RUNS times each, interleaved (known, unknown, known, …) so that a change
in the machine's load touches both alike, with the production argon2 parameters and the
embedded mail transport. Prints the median and the 90th percentile of each, and the
difference of the medians.

    .venv/bin/python bench/account_timing.py                 # SQLite in a temporary folder
    .venv/bin/python bench/account_timing.py --db postgresql://postgres@127.0.0.1:5432/kade_timing
"""

from __future__ import annotations

import argparse
import base64
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, text

RUNS = 50
PASSWORD = "correct horse battery"  # noqa: S105 — the bench's own account


def _app(database_url: str, folder: Path):
    from app import create_app, migrate

    migrate.upgrade(database_url)
    key = base64.urlsafe_b64encode(b"k" * 32).decode()
    return create_app({
        "DATABASE_URL": database_url, "SECRET_KEY": "bench", "PII_KEYS": "t1:" + key,
        "PII_INDEX_KEY": key, "BACKUP_KEYS": "b1:" + key, "INSTANCE_PATH": str(folder),
        "OUTBOX_DIR": str(folder / "outbox"), "REDIS_URL": None, "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False, "LOGIN_MAX_FAILURES": 10_000, "SERVER_NAME": None})


def _timed(app, client, method: str, path: str, data: dict) -> float:
    from app.queue import wait_for_local_jobs

    start = time.perf_counter()
    response = client.open(path, method=method, data=data)
    took = (time.perf_counter() - start) * 1000
    assert response.status_code < 500, response.status_code
    wait_for_local_jobs(app)  # a job the request started finishes outside the timing
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="a database URL (emptied!); default: SQLite in a temp dir")
    parser.add_argument("--runs", type=int, default=RUNS)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="kade-timing-"))
    url = args.db or f"sqlite:///{folder / 'timing.db'}"
    if args.db:
        with create_engine(url).begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    app = _app(url, folder)
    with app.app_context():
        from app.accounts import services as accounts

        accounts.register(name="Known Person", email="known@example.lk",
                          phone="+94771234567", password=PASSWORD)
    client = app.test_client()
    probes = {
        "forgot password": lambda email, n: ("POST", "/account/forgot", {"email": email}),
        "register": lambda email, n: ("POST", "/account/register", {
            "name": "Some Body", "phone": "077 123 4567", "password": "a long pass phrase",
            "email": email if email.startswith("known") else f"new{n}@example.lk"}),
        "sign in, wrong password": lambda email, n: ("POST", "/account/login", {
            "email": email, "password": "wrong guess here"}),
    }
    print(f"{args.runs} runs each; milliseconds; {'PostgreSQL' if args.db else 'SQLite'}")
    print(f"{'route':<26}{'known p50':>10}{'unknown p50':>13}{'known p90':>11}"
          f"{'unknown p90':>13}{'p50 diff':>10}")
    for name, probe in probes.items():
        known, unknown = [], []
        for n in range(args.runs):
            known.append(_timed(app, client, *probe("known@example.lk", n)))
            unknown.append(_timed(app, client, *probe(f"nobody{n}@example.lk", n)))
        k50, u50 = statistics.median(known), statistics.median(unknown)
        k90 = statistics.quantiles(known, n=10)[-1]
        u90 = statistics.quantiles(unknown, n=10)[-1]
        print(f"{name:<26}{k50:>10.1f}{u50:>13.1f}{k90:>11.1f}{u90:>13.1f}{u50 - k50:>+10.1f}")


if __name__ == "__main__":
    main()
