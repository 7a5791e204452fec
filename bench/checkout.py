"""Checkout benchmark, run by hand (not part of the test suite): see bench/README.md.

1. A fresh PostgreSQL database (`kade_bench_checkout`), migrated, with bench/catalog.py's shop
   (5 000 products by default, loaded with COPY), the starter delivery options, a few "hot"
   variants with little stock (set through the inventory service, so the ledger has them)
   and thousands of customers, each with an API access token, made in-process with the
   server's keys.
2. Kade under gunicorn as in production (gunicorn.conf.py, KADE_ENV=production, made-up
   keys, REDIS_URL so jobs are queued and not run in the request; the production rate limits
   on, with PROXY_COUNT=1: the bench plays the proxy, and each buyer comes from an address of
   its own, as shoppers do).
3. Many concurrent buyers, each a customer of the mobile app doing a real checkout through
   the JSON API: add to cart (some want a hot variant too), view the priced cart, place the
   order (POST /api/v1/checkout with an Idempotency-Key); refused for stock, they drop the
   short lines and place again.
   Before them, bench/catalog.py's yardstick (bare Flask under the same gunicorn.conf.py):
   what the machine can do that day, to read the figures against.
4. Orders per second over the measured window (after a warm-up), p50/p95/p99 per request,
   errors (anything but a success or a clean out-of-stock refusal), the CPU an order costs
   (gunicorn, PostgreSQL, this client); then, in the database: no variant sold more than it
   had, no stock level below zero, the units held equal the units ordered, and every order a
   buyer saw placed is there. PASS or FAIL; the exit status is 1 on FAIL.

    .venv/bin/python bench/checkout.py                  # about a minute and a half
    .venv/bin/python bench/checkout.py --buyers 48 --duration 60
"""

from __future__ import annotations

import argparse
import atexit
import datetime as dt
import http.client
import json
import os
import random
import resource
import shutil
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from catalog import (  # noqa: E402
    HELLO_APP,
    SERVER,
    WRK_SCRIPT,
    Server,
    _cpu_ticks,
    _cpu_used,
    _free_port,
    _reachable,
    environment,
    fresh_database,
    load_shop,
    production_env,
    start as start_server,  # noqa: E402
    wrk,
)

DATABASE = "kade_bench_checkout"
# A Redis database of the bench's own: emptied before and after a run (the rate limits'
# counters and the queued mail jobs of a run must not carry over to the next).
REDIS = "redis://127.0.0.1:6379/14"
TARGET_ORDERS_PER_SECOND = 50  # issue 22 (the checkout issue's benchmark)
LOAD_WARNING = 0.5  # as bench/catalog.py: above it, something else is using the CPUs

# Where the buyers live: (district, a town in it, its postal code). Every one is served by
# the starter "island-wide" option.
PLACES = [("colombo", "Colombo", "00300"), ("gampaha", "Negombo", "11500"),
          ("kandy", "Kandy", "20000"), ("galle", "Galle", "80000"),
          ("matara", "Matara", "81000"), ("kurunegala", "Kurunegala", "60000"),
          ("jaffna", "Jaffna", "40000"), ("anuradhapura", "Anuradhapura", "50000")]
STREETS = ["Temple Road", "Galle Road", "Station Road", "Lake Drive", "Church Street",
           "Hospital Road", "Main Street", "Market Lane"]


# -- the shop and its customers ------------------------------------------------------------------

@dataclass(frozen=True)
class Buyer:
    """A customer of the app, signed in (an access token), with a delivery address and an
    address on the internet of their own (the proxy's X-Forwarded-For)."""
    user_id: int
    token: str
    ip: str
    address: dict


@dataclass
class Shop:
    normal: list[int]  # variant ids in stock, wanted now and then
    hot: list[int]  # variant ids with little stock that many want at once
    hot_units: int
    buyers: list[Buyer]


def build_app(env: dict[str, str]):
    """The app as the server builds it (same keys): customers sealed here open there."""
    with environment(env):
        from app import create_app

        return create_app()


def prepare_shop(app, url: str, *, hot: int, hot_units: int, customers: int,
                 seed: int = 22) -> Shop:
    """Delivery options, the hot variants' stock and the customers, made through the app's
    services (and its models for the customers, as bench/catalog.py makes its one)."""
    from app import db
    from app.checkout import delivery
    from app.inventory import services as inventory

    rng = random.Random(seed)
    with psycopg.connect(url) as conn:
        # Published products' active variants with stock on hand. Single-variant products make
        # the hot ones: a crowd wants that very thing.
        rows = conn.execute(
            "SELECT v.id, (SELECT count(*) FROM catalog_variant w WHERE w.product_id = p.id)"
            " FROM catalog_variant v JOIN catalog_product p ON p.id = v.product_id"
            " JOIN inventory_stock_level s ON s.variant_id = v.id"
            " WHERE p.status = 'published' AND p.kind = 'product' AND v.is_active"
            " AND s.on_hand - s.reserved > 0 ORDER BY v.id").fetchall()
    singles = [variant for variant, count in rows if count == 1]
    hot_ids = sorted(rng.sample(singles, hot))
    taken = set(hot_ids)
    normal = [variant for variant, _count in rows if variant not in taken]
    with app.app_context():
        delivery.ensure_starter_options()
        for variant in hot_ids:
            inventory.set_on_hand(variant, hot_units)
        buyers = make_buyers(customers, rng)
        db.dispose_engines()  # no idle backend of ours left in the database's CPU figures
    return Shop(normal, hot_ids, hot_units, buyers)


def make_buyers(n: int, rng: random.Random, batch: int = 500) -> list[Buyer]:
    """`n` verified customers with a mobile number each and an access token (issued by the
    token service, as POST /auth/token would after the password), in batches. Inside an app
    context. One password hash serves them all: argon2 takes ~50 ms a hash, and nobody signs
    in with it here."""
    from app import db
    from app.accounts import services as accounts, tokens
    from app.accounts.models import User
    from app.security import passwords

    password_hash = passwords.hash_password(uuid.uuid4().hex)
    buyers: list[Buyer] = []
    for start in range(0, n, batch):
        with db.transaction():
            users = []
            for i in range(start, min(n, start + batch)):
                email, phone = f"buyer{i}@example.lk", f"+9477{i:07d}"
                users.append(User(
                    name=f"Buyer {i}", email=email, email_index=accounts.email_index(email),
                    phone=phone, phone_index=accounts.phone_index(phone),
                    password_hash=password_hash, locale="en", email_verified_at=db.utcnow()))
            db.session.add_all(users)
            db.session.flush()
            for i, user in enumerate(users, start):
                district, city, postal = rng.choice(PLACES)
                buyers.append(Buyer(
                    user_id=user.id, token=tokens.issue(user).access_token,
                    ip=f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}",
                    address={"recipient": f"Buyer {i}", "phone": f"077{i:07d}",
                             "line1": f"{i % 300 + 1} {rng.choice(STREETS)}, {i}",
                             "city": city, "district": district, "postal_code": postal}))
    return buyers


def stock(url: str) -> dict[int, tuple[int, int]]:
    """variant id -> (on hand, reserved), over every warehouse."""
    with psycopg.connect(url) as conn:
        return {variant: (int(on_hand), int(reserved)) for variant, on_hand, reserved in
                conn.execute("SELECT variant_id, sum(on_hand), sum(reserved) "
                             "FROM inventory_stock_level GROUP BY variant_id")}


# -- the server ----------------------------------------------------------------------------------

def server_env(url: str, work: Path, port: int, redis: str | None,
               extra: dict[str, str] | None = None) -> dict[str, str]:
    """Production's settings (bench/catalog.py's made-up keys), behind one proxy."""
    env = production_env(url, work / "instance", port, redis)
    # ops/nginx/kade.conf: with the proxy in front, PROXY_COUNT=1 and the client's address
    # comes from X-Forwarded-For. The rate limits stay on at production's values and count
    # per buyer, as they would; without this every buyer would be 127.0.0.1 and the tenth
    # order a minute would be refused (CHECKOUT_RATE_LIMIT).
    env["PROXY_COUNT"] = "1"
    env.update(extra or {})
    return env


def start_kade(env: dict[str, str], logs: Path, port: int, name: str = "kade") -> Server:
    """Kade under gunicorn with gunicorn.conf.py from the repository's folder (so this
    checkout's `app` is imported); returns once its API answers."""
    return start_server(name, "wsgi:app", env, ROOT, logs, port,
                        probe="/api/v1/delivery-options?district=colombo")


def yardstick(work: Path, logs: Path, seconds: float = 10):
    """bench/catalog.py's yardstick, measured here before the buyers: a bare Flask "Hello,
    World!" under the same gunicorn.conf.py, driven by wrk at 32 connections. It says what
    the machine can do at all today: the same code has placed twice as many orders a second
    on one day as on another (the machine's CPUs are shared), and the CPU an order takes,
    counted in yardstick requests, moves far less."""
    (work / "hello").mkdir(exist_ok=True)
    (work / "hello" / "hello.py").write_text(HELLO_APP)
    (work / "report.lua").write_text(WRK_SCRIPT)
    hello = start_server("yardstick", "hello:app", {}, work / "hello", logs, _free_port())
    try:
        return wrk(hello.base + "/", 32, max(1, round(seconds)), work / "report.lua", hello)
    finally:
        hello.stop()


def flush_redis(redis_url: str | None) -> None:
    if redis_url:
        from redis import Redis

        Redis.from_url(redis_url).flushdb()


def warn_if_busy() -> float:
    """The load average now, printed; a warning above LOAD_WARNING (as bench/catalog.py)."""
    load = os.getloadavg()[0]
    print(f"load average at start: {load:.2f} ({os.cpu_count()} CPUs)")
    if load > LOAD_WARNING:
        print(f"warning: load average {load:.1f} before the run: something else is using the "
              f"CPUs, so the figures will be low and noisy")
    return load


# -- the client ------------------------------------------------------------------------------------

@dataclass
class Sample:
    kind: str
    start: float
    end: float
    status: int
    outcome: str  # ok, refused (a clean out-of-stock answer), error


class Http:
    """One keep-alive connection to the server, as an app or browser keeps one. Cheap on
    purpose (http.client, no session library): the client's CPU competes with the server's
    on the same two cores."""

    def __init__(self, port: int, samples: list[Sample], errors: Counter):
        self.port = port
        self.samples = samples
        self.errors = errors
        self.conn: http.client.HTTPConnection | None = None

    def _connection(self) -> http.client.HTTPConnection:
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        return self.conn

    def send(self, method: str, path: str, headers: dict[str, str],
             body: bytes | None = None) -> tuple[int, bytes]:
        # gunicorn closes a connection idle for `keepalive` seconds; a request that finds it
        # closed never reached the app, so it is sent again on a new one.
        for attempt in (1, 2):
            conn = self._connection()
            try:
                conn.request(method, path, body=body, headers=headers)
                answer = conn.getresponse()
                data = answer.read()
                self.received(answer)
                if answer.getheader("Connection", "").lower() == "close":
                    conn.close()
                    self.conn = None
                return answer.status, data
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                conn.close()
                self.conn = None
                if attempt == 2:
                    raise
            except OSError:
                conn.close()
                self.conn = None
                raise
        raise AssertionError("unreachable")

    def received(self, answer: http.client.HTTPResponse) -> None:
        """Called with each answer (a subclass keeps its cookies)."""

    def call(self, kind: str, method: str, path: str, headers: dict[str, str],
             payload=None, refused: tuple[int, ...] = ()) -> tuple[int, dict | None]:
        """Send, time and classify one request: ok (2xx), refused (a status in `refused`
        with the code `out_of_stock`), or error (anything else, kept by kind, status and
        code or message)."""
        body = None if payload is None else json.dumps(payload).encode()
        start = time.monotonic()
        try:
            status, data = self.send(method, path, headers, body)
        except OSError as exc:
            self.samples.append(Sample(kind, start, time.monotonic(), 0, "error"))
            bump(self.errors, f"{kind}: {type(exc).__name__}: {exc}")
            return 0, None
        end = time.monotonic()
        try:
            answer = json.loads(data) if data else None
        except ValueError:
            answer = None
        code = answer.get("code") if isinstance(answer, dict) else None
        if 200 <= status < 300:
            outcome = "ok"
        elif status in refused and code == "out_of_stock":
            outcome = "refused"
        else:
            outcome = "error"
            detail = (code or "") + (f" {answer.get('detail')}" if isinstance(answer, dict)
                                     else f" {data[:200]!r}")
            bump(self.errors, f"{kind}: {status} {detail}".strip())
        self.samples.append(Sample(kind, start, end, status, outcome))
        return status, answer


class InProcess(Http):
    """Http's interface over Flask's test client: the same journeys in this process, for
    the profiler."""

    def __init__(self, client, samples: list[Sample], errors: Counter):
        super().__init__(0, samples, errors)
        self.client = client

    def send(self, method, path, headers, body=None):
        answer = self.client.open(path, method=method, headers=headers, data=body)
        return answer.status_code, answer.get_data()


def api_headers(buyer: Buyer) -> dict[str, str]:
    return {"Authorization": f"Bearer {buyer.token}", "X-Forwarded-For": buyer.ip,
            "Content-Type": "application/json", "Accept-Language": "en",
            "User-Agent": "kade-bench"}


_COUNTING = threading.Lock()


def bump(counter: Counter, key: object = None) -> None:
    """counter[key] += 1 from any thread: += on a Counter is a read and a write, and two
    threads could both read the old count."""
    with _COUNTING:
        counter[key] += 1


@dataclass
class Tally:
    """What the buyers saw, shared by their threads (list.append and a dict's item
    assignment are atomic; counters go through `bump`)."""
    samples: list[Sample] = field(default_factory=list)
    errors: Counter = field(default_factory=Counter)
    placed: dict[str, tuple[int, float]] = field(default_factory=dict)  # number -> (user, t)
    hot_refused_add: Counter = field(default_factory=Counter)
    hot_refused_place: Counter = field(default_factory=Counter)
    gave_up: Counter = field(default_factory=Counter)  # journeys left with nothing to buy
    ran_out: bool = False


def checkout_journey(http: Http, buyer: Buyer, wants: list[tuple[int, int]],
                     tally: Tally, hot: set[int], rng: random.Random) -> None:
    """One buyer's order through the API, as the mobile app does it: add each item (a
    refusal for stock drops it), look at the priced cart with the delivery fee, place the
    order; when placing is refused for stock, remove the short lines and place again."""
    headers = api_headers(buyer)
    lines: dict[int, int] = {}  # variant id -> cart line id
    for variant, quantity in wants:
        status, answer = http.call("add to cart", "POST", "/api/v1/cart/items", headers,
                                   {"variant_id": variant, "quantity": quantity},
                                   refused=(409,))
        if status in (200, 201):
            lines[variant] = answer["id"]
        elif status == 409 and variant in hot:
            bump(tally.hot_refused_add, variant)
    if not lines:
        bump(tally.gave_up)
        return
    district = buyer.address["district"]
    http.call("view cart", "GET",
              f"/api/v1/cart?district={district}&delivery_option=island-wide", headers)
    order = {"address": buyer.address, "delivery_option": "island-wide",
             "payment_method": "cod" if rng.random() < 0.8 else "bank_transfer"}
    for _attempt in range(3):
        status, answer = http.call("place order", "POST", "/api/v1/checkout",
                                   {**headers, "Idempotency-Key": str(uuid.uuid4())}, order,
                                   refused=(409,))
        if status == 201:
            tally.placed[answer["number"]] = (buyer.user_id, time.monotonic())
            return
        if status != 409 or not answer or answer.get("code") != "out_of_stock":
            return
        for short in answer.get("available", []):
            variant = short["variant_id"]
            if variant in hot:
                bump(tally.hot_refused_place, variant)
            if variant in lines:
                http.call("remove line", "DELETE", f"/api/v1/cart/items/{lines.pop(variant)}",
                          headers)
        if not lines:
            bump(tally.gave_up)
            return


def zipf_weights(n: int, s: float = 1.0) -> list[float]:
    """Cumulative weights: the first hot variant is wanted most, as in a sale's front page."""
    return list(accumulate(1 / (rank + 1) ** s for rank in range(n)))


def basket(shop: Shop, rng: random.Random, hot_share: float,
           hot_weights: list[float]) -> list[tuple[int, int]]:
    """What one buyer wants: a hot variant first (with probability `hot_share`), then one
    or two others, one or two units each."""
    wants = []
    if shop.hot and rng.random() < hot_share:
        wants.append((rng.choices(shop.hot, cum_weights=hot_weights)[0], 1))
    for variant in rng.sample(shop.normal, rng.choice((1, 1, 2))):
        wants.append((variant, 1 if rng.random() < 0.8 else 2))
    return wants


def drive(port: int, shop: Shop, buyers: int, seconds: float, hot_share: float,
          seed: int = 5) -> Tally:
    """`buyers` threads, each placing one customer's order after another, with no pause (a
    closed loop: the measure is what the server sustains) until `seconds` have passed."""
    tally = Tally()
    pool = iter(shop.buyers)
    lock = threading.Lock()
    hot, weights = set(shop.hot), zipf_weights(len(shop.hot))
    end = time.monotonic() + seconds

    def run(number: int) -> None:
        rng = random.Random(seed * 1000 + number)
        http = Http(port, tally.samples, tally.errors)
        while time.monotonic() < end:
            with lock:
                buyer = next(pool, None)
            if buyer is None:
                tally.ran_out = True
                return
            checkout_journey(http, buyer, basket(shop, rng, hot_share, weights), tally, hot,
                             rng)

    threads = [threading.Thread(target=run, args=(n,), daemon=True) for n in range(buyers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 90)
    return tally


# -- figures -------------------------------------------------------------------------------------

def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]


def request_table(samples: list[Sample], kinds: list[str], seconds: float) -> None:
    """Per kind of request: how many, req/s, refused, errors, p50/p95/p99 (ms)."""
    print(f"\n{'request':16} {'count':>7} {'req/s':>7} {'ok':>7} {'refused':>8} {'errors':>7} "
          f"{'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    for kind in kinds:
        mine = [s for s in samples if s.kind == kind]
        if not mine:
            continue
        took = [(s.end - s.start) * 1000 for s in mine]
        count = Counter(s.outcome for s in mine)
        print(f"{kind:16} {len(mine):7} {len(mine) / seconds:7.1f} {count['ok']:7} "
              f"{count['refused']:8} {count['error']:7} {percentile(took, 50):8.1f} "
              f"{percentile(took, 95):8.1f} {percentile(took, 99):8.1f}")


def in_window(samples: list[Sample], start: float, end: float) -> list[Sample]:
    """The requests that finished inside the measured window."""
    return [s for s in samples if start <= s.end < end]


@dataclass
class Cpu:
    """CPU seconds used by gunicorn's processes, the bench database's backends and this
    process (the client), between `begin` and `end`."""
    server_pid: int
    database: str
    marks: dict = field(default_factory=dict)

    def _now(self):
        tag = f" {self.database} ".encode()
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return (_cpu_ticks(lambda pgrp, _cmd: pgrp == self.server_pid),
                _cpu_ticks(lambda _pgrp, cmd: cmd.startswith(b"postgres: ") and tag in cmd),
                usage.ru_utime + usage.ru_stime)

    def mark(self, name: str) -> None:
        self.marks[name] = self._now()

    def used(self, begin: str, end: str) -> tuple[float, float, float]:
        (app0, db0, me0), (app1, db1, me1) = self.marks[begin], self.marks[end]
        return _cpu_used(app0, app1), _cpu_used(db0, db1), me1 - me0


def timed_marks(cpu: Cpu, at: dict[str, float]) -> threading.Thread:
    """A thread taking the CPU marks at the given monotonic times (the window's edges)."""

    def run() -> None:
        for name, when in sorted(at.items(), key=lambda item: item[1]):
            time.sleep(max(0.0, when - time.monotonic()))
            cpu.mark(name)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


# -- the books -----------------------------------------------------------------------------------

@dataclass
class Books:
    oversold: list[str]
    negative: list[str]
    held_mismatch: list[str]
    missing: list[str]  # placed for a buyer, not in the database
    unseen: list[str]  # in the database, never seen placed by a buyer
    orders: int
    sold: dict[int, int]


def check_books(url: str, before: dict[int, tuple[int, int]],
                placed: dict[str, tuple[int, float]]) -> Books:
    """After the run, from the database: no variant sold more than it had available before
    (on hand less reserved), no level below zero, the units now held are the units the
    orders took (nothing else ran), and the orders are the ones the buyers saw placed, for
    the same customers."""
    after = stock(url)
    with psycopg.connect(url) as conn:
        sold = {variant: int(units) for variant, units in conn.execute(
            "SELECT l.variant_id, sum(l.quantity) FROM orders_order_line l "
            "JOIN orders_order o ON o.id = l.order_id GROUP BY l.variant_id")}
        orders = dict(conn.execute("SELECT number, user_id FROM orders_order"))
        levels = conn.execute("SELECT variant_id, on_hand, reserved FROM inventory_stock_level "
                              "WHERE on_hand < 0 OR reserved < 0 OR on_hand < reserved")
        negative = [f"variant {v}: on hand {h}, reserved {r}" for v, h, r in levels]
    oversold, mismatch = [], []
    for variant, units in sorted(sold.items()):
        on_hand, reserved = before.get(variant, (0, 0))
        if units > on_hand - reserved:
            oversold.append(f"variant {variant}: {units} sold, {on_hand - reserved} available")
        held = after.get(variant, (0, 0))[1] - reserved
        if held != units:
            mismatch.append(f"variant {variant}: {units} ordered, {held} more held")
    for variant, (_on_hand, reserved) in after.items():
        if variant not in sold and reserved != before.get(variant, (0, 0))[1]:
            mismatch.append(f"variant {variant}: held changed with no order")
    missing = [n for n, (user, _t) in placed.items() if orders.get(n) != user]
    unseen = [n for n in orders if n not in placed]
    return Books(oversold, negative, mismatch, missing, unseen, len(orders), sold)


# -- where the time goes ------------------------------------------------------------------------

def statements_of_a_journey(app, shop: Shop, hot_share: float) -> None:
    """One journey's SQL, after a few to warm up, each statement's first line under the
    request that sent it: what to cut first."""
    from sqlalchemy import event

    tally, rng = Tally(), random.Random(5)
    http = InProcess(app.test_client(use_cookies=False), tally.samples, tally.errors)
    hot, weights, buyers = set(shop.hot), zipf_weights(len(shop.hot)), iter(shop.buyers)
    for _ in range(5):
        checkout_journey(http, next(buyers), basket(shop, rng, hot_share, weights), tally,
                         hot, rng)
    sent: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        sent.append(" ".join(statement.split())[:150])

    engine = app.extensions["kade_engine"]
    event.listen(engine, "before_cursor_execute", record)
    marks = []
    original = http.send

    def send(*args, **kwargs):
        marks.append((len(sent), f"{args[0]} {args[1]}"))
        return original(*args, **kwargs)

    http.send = send
    try:
        checkout_journey(http, next(buyers), basket(shop, rng, hot_share, weights), tally,
                         hot, rng)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    for n, (start, request) in enumerate(marks):
        end = marks[n + 1][0] if n + 1 < len(marks) else len(sent)
        print(f"\n{request}: {end - start} statements")
        for statement in sent[start:end]:
            print(f"  {statement}")


def profile(app, shop: Shop, n: int, hot_share: float, logs: Path) -> None:
    """`n` journeys in this process under cProfile (after 20 unprofiled ones): the functions
    that take the time, cumulative and own, per order."""
    import cProfile
    import io
    import logging
    import pstats

    logging.getLogger("kade.request").setLevel(logging.WARNING)  # a line a request: noise
    tally, rng = Tally(), random.Random(3)
    http = InProcess(app.test_client(use_cookies=False), tally.samples, tally.errors)
    hot, weights, buyers = set(shop.hot), zipf_weights(len(shop.hot)), iter(shop.buyers)
    for _ in range(20):  # warm
        checkout_journey(http, next(buyers), basket(shop, rng, hot_share, weights), tally,
                         hot, rng)
    # Unprofiled first: each request's own time in one process, nothing else competing.
    tally.samples.clear()
    started = time.perf_counter()
    for _ in range(n):
        checkout_journey(http, next(buyers), basket(shop, rng, hot_share, weights), tally,
                         hot, rng)
    took = (time.perf_counter() - started) / n * 1000
    print(f"\n{n} journeys in one process, not profiled: {took:.1f} ms each")
    request_table(tally.samples, ["add to cart", "view cart", "place order", "remove line"],
                  time.perf_counter() - started)
    # CPU time of this process, not the wall clock: the waits for PostgreSQL and Redis (their
    # CPU is theirs) would otherwise hide where the app's own CPU goes.
    profiler = cProfile.Profile(time.process_time)
    started = time.perf_counter()
    profiler.enable()
    for _ in range(n):
        checkout_journey(http, next(buyers), basket(shop, rng, hot_share, weights), tally,
                         hot, rng)
    profiler.disable()
    took = (time.perf_counter() - started) / n * 1000
    statements = sum(count for (_file, _line, name), (count, *_rest)
                     in pstats.Stats(profiler).stats.items() if name == "do_execute")
    dump = logs / "profile-checkout.prof"
    profiler.dump_stats(dump)
    print(f"\n{n} journeys (add, view cart, place) in one process, profiled: {took:.1f} ms "
          f"each; {len(tally.placed)} orders, {sum(tally.errors.values())} errors, "
          f"{statements / n:.0f} SQL statements a journey")
    for message, count in tally.errors.most_common(5):
        print(f"  error x{count}: {message}")
    for order, lines in (("cumulative", 60), ("tottime", 30)):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(lines)
        print(f"-- by {order} (all of it in {dump})")
        print("\n".join(out.getvalue().splitlines()[6:6 + lines + 2]))


# -- main ----------------------------------------------------------------------------------------

def report(args, tally: Tally, shop: Shop, books: Books, cpu: Cpu, window: tuple[float, float],
           load: float, yard) -> int:
    start, end = window
    seconds = end - start
    measured = in_window(tally.samples, start, end)
    orders = sum(1 for _n, (_u, t) in tally.placed.items() if start <= t < end)
    rate = orders / seconds
    request_table(measured, ["add to cart", "view cart", "place order", "remove line"],
                  seconds)
    app_cpu, db_cpu, client_cpu = cpu.used("start", "end")
    per = 1000 / max(1, orders)
    print(f"\norders placed in the {seconds:.0f} s window: {orders}, {rate:.1f} orders/s "
          f"({args.buyers} buyers, after {args.warmup:.0f} s of warm-up); "
          f"{len(tally.placed)} in the whole run")
    print(f"CPU an order took: gunicorn {app_cpu * per:.1f} ms, PostgreSQL {db_cpu * per:.1f} "
          f"ms, this client {client_cpu * per:.1f} ms (the client used "
          f"{client_cpu / seconds:.0%} of a CPU; the machine has {os.cpu_count()})")
    # CPU an order costs hardly moves with what else the machine runs; orders/s does. The
    # ceiling says what these cores could do for checkout alone at that cost.
    spent = (app_cpu + db_cpu + client_cpu) * per / 1000
    print(f"the server and its database got {(app_cpu + db_cpu) / seconds:.2f} of the "
          f"{os.cpu_count()} CPUs; at {spent * 1000:.0f} ms of CPU an order, "
          f"{os.cpu_count()} idle CPUs would place at most {os.cpu_count() / spent:.0f} "
          f"orders/s" if orders else "no order placed in the window")
    if orders and yard.app_cpu_ms:
        # The same two figures in the yardstick's terms, which carry from one machine (or
        # one day of a shared one) to another: a share of its req/s, as bench/catalog.py
        # gives, and an order's CPU in bare-Flask requests.
        print(f"in yardsticks: {rate / yard.rps:.2%} of its req/s; an order took the CPU "
              f"of {spent * 1000 / yard.app_cpu_ms:.0f} bare-Flask requests "
              f"({TARGET_ORDERS_PER_SECOND} orders/s on these CPUs would allow "
              f"{os.cpu_count() * 1000 / TARGET_ORDERS_PER_SECOND / yard.app_cpu_ms:.0f})")
    hot_sold = sum(books.sold.get(v, 0) for v in shop.hot)
    print(f"hot variants: {len(shop.hot)} x {shop.hot_units} units, {hot_sold} sold; refused "
          f"for stock {sum(tally.hot_refused_add.values())} times at add to cart, "
          f"{sum(tally.hot_refused_place.values())} at checkout; {tally.gave_up[None]} buyers "
          f"left "
          f"with nothing to buy")
    if tally.ran_out:
        print("warning: the buyers ran out of customers before the end: raise --customers")
    errors = sum(tally.errors.values())
    oversell = books.oversold + books.negative + books.held_mismatch
    for message, count in tally.errors.most_common(10):
        print(f"  error x{count}: {message}")

    verdicts = [
        (f"orders/s >= {TARGET_ORDERS_PER_SECOND}: {rate:.1f}",
         rate >= TARGET_ORDERS_PER_SECOND),
        (f"no oversell: {len(books.sold)} variants sold, none more than it had, no level "
         f"below zero, units held = units ordered" if not oversell else
         "no oversell: " + "; ".join(oversell[:5]), not oversell),
        (f"every order a buyer saw placed is in the database ({len(tally.placed)} of "
         f"{books.orders}; {len(books.unseen)} in the database were never seen placed)",
         not books.missing),
        (f"errors: {errors}", errors == 0),
    ]
    print()
    for text, ok in verdicts:
        print(f"{'PASS' if ok else 'FAIL'}  {text}")
    print(f"(load average {load:.2f} at start, {os.getloadavg()[0]:.2f} at the end; "
          f"{dt.datetime.now():%Y-%m-%d %H:%M})")
    return 0 if all(ok for _text, ok in verdicts) else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     epilog="See bench/README.md, 'bench/checkout.py'.")
    parser.add_argument("--server", default=SERVER, help="PostgreSQL server (any database)")
    parser.add_argument("--database", default=DATABASE, help="dropped and made afresh")
    parser.add_argument("--products", type=int, default=5000)
    parser.add_argument("--customers", type=int, default=8000,
                        help="customers made for the run; each places at most one order")
    parser.add_argument("--buyers", type=int, default=24, help="concurrent buyers")
    parser.add_argument("--warmup", type=float, default=10, help="seconds before measuring")
    parser.add_argument("--duration", type=float, default=30, help="seconds measured")
    parser.add_argument("--hot", type=int, default=10, help="hot variants")
    parser.add_argument("--hot-units", type=int, default=5, help="units of each hot variant")
    parser.add_argument("--hot-share", type=float, default=0.5,
                        help="share of buyers who want a hot variant")
    parser.add_argument("--redis", default=REDIS,
                        help="REDIS_URL for Kade (its database is emptied); '' for none")
    parser.add_argument("--profile", type=int, metavar="N",
                        help="instead of the server: N journeys in this process under "
                             "cProfile, and where their time goes")
    parser.add_argument("--statements", action="store_true",
                        help="instead of the server: the SQL one journey sends, request by "
                             "request")
    args = parser.parse_args(argv)

    load = warn_if_busy()
    url = fresh_database(args.server, args.database)
    load_shop(url, args.products)
    redis = _reachable(args.redis)
    work = Path(tempfile.mkdtemp(prefix="kade-bench-checkout-"))  # the instance folder
    atexit.register(shutil.rmtree, work, ignore_errors=True)
    logs = Path(tempfile.gettempdir()) / "kade-bench"
    logs.mkdir(exist_ok=True)
    port = _free_port()
    env = server_env(url, work, port, redis)
    started = time.perf_counter()
    app = build_app(env)
    shop = prepare_shop(app, url, hot=args.hot, hot_units=args.hot_units,
                        customers=args.customers)
    print(f"{len(shop.buyers)} customers with tokens, {len(shop.hot)} hot variants, "
          f"{len(shop.normal)} others in stock, in {time.perf_counter() - started:.0f} s")
    before = stock(url)
    flush_redis(redis)
    if args.profile or args.statements:
        # No app context around the journeys: each request must push its own, as under
        # gunicorn, or `g` (and what is kept on it for one request) would outlive it.
        with environment(env):
            if args.statements:
                statements_of_a_journey(app, shop, args.hot_share)
            else:
                profile(app, shop, args.profile, args.hot_share, logs)
        flush_redis(redis)
        return 0
    yard = yardstick(work, logs)
    print(f"yardstick (bare Flask under gunicorn.conf.py, wrk at 32 connections): "
          f"{yard.rps:.0f} req/s, {yard.app_cpu_ms:.2f} ms of CPU a request")
    server = start_kade(env, logs, port, "kade-checkout")
    print(f"gunicorn.conf.py: workers={os.environ.get('WEB_CONCURRENCY', 'CPUs*2+1')}, "
          f"threads={os.environ.get('GUNICORN_THREADS', '2')}; rate limits on (production "
          f"values, per buyer address); REDIS_URL {redis or 'none'}; log {server.log}")
    try:
        cpu = Cpu(server.process.pid, args.database)
        t0 = time.monotonic()
        window = (t0 + args.warmup, t0 + args.warmup + args.duration)
        marks = timed_marks(cpu, {"start": window[0], "end": window[1]})
        tally = drive(port, shop, args.buyers, args.warmup + args.duration, args.hot_share)
        marks.join()
    finally:
        server.stop()
        flush_redis(redis)
    books = check_books(url, before, tally.placed)
    return report(args, tally, shop, books, cpu, window, load, yard)


if __name__ == "__main__":
    sys.exit(main())
