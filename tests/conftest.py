"""Fixtures for unit and integration tests, on SQLite (`--db=sqlite`, the default) or on a
fresh PostgreSQL database (`--db=postgresql`, server from TEST_POSTGRES_URL).

The schema is built by the real Alembic migrations once per run; every test starts with
empty tables (what each test left is deleted after it), so tests may commit, use threads and
several connections, as the code under test does.
"""

from __future__ import annotations

import base64
import email
import email.policy
import os
import re
import secrets
import shutil
import tempfile
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from flask.globals import _cv_app
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app.queue import wait_for_local_jobs
from tests import instance_guard
from tests.html_checks import check_page
from tests.redis_server import RedisServer

TEST_PII_KEYS = "t1:" + base64.urlsafe_b64encode(b"k" * 32).decode()
TEST_INDEX_KEY = base64.urlsafe_b64encode(b"i" * 32).decode()
TEST_BACKUP_KEYS = "b1:" + base64.urlsafe_b64encode(b"b" * 32).decode()
PASSWORD = "correct horse battery"  # noqa: S105 — a test password that passes the rules


# The cheapest argon2id the library takes. The production parameters (OWASP's: 19 MiB, two
# passes) cost ~30 ms a hash or check, and most tests make a customer and sign them in.
_CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


def pytest_configure(config):
    instance_guard.register(config)  # the demo shop's instance/ is left as it was
    config.addinivalue_line(
        "markers", "production_argon2: hash passwords with the production argon2 parameters "
        "(tests of those parameters); other tests hash with the cheapest ones")
    _schemathesis_asks_for_plain_bodies()


def _schemathesis_asks_for_plain_bodies():
    """schemathesis sends requests' default Accept-Encoding (gzip, deflate, br), but its WSGI
    transport hands back the body as the app sent it, undecoded: the app's compressed JSON
    would read as binary. Its tests are about the document, not the transfer (compression has
    its own tests in tests/ops/test_lighter_pages.py), so it asks for plain bodies."""
    from schemathesis.transport.prepare import get_default_headers

    get_default_headers()["Accept-Encoding"] = "identity"  # the cached dict every case copies


def pytest_addoption(parser):
    parser.addoption("--db", choices=["sqlite", "postgresql"], default="sqlite",
                     help="database backend for the tests")


def pytest_collection_modifyitems(config, items):
    """Tests marked postgres_only (query plans, pg_trgm) run in the PostgreSQL pass, and
    those marked sqlite_only (they build a SQLite shop of their own whatever the backend)
    in the SQLite pass; the other pass lists them as deselected rather than skipping them
    one by one."""
    other = "sqlite_only" if config.getoption("--db") == "postgresql" else "postgres_only"
    kept = [item for item in items if not item.get_closest_marker(other)]
    deselected = [item for item in items if item.get_closest_marker(other)]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept


def pytest_report_header(config):
    return f"database backend: {config.getoption('--db')}"


@pytest.fixture(scope="session")
def backend(request) -> str:
    return request.config.getoption("--db")


@pytest.fixture(scope="session")
def tmp_root():
    path = Path(tempfile.mkdtemp(prefix="kade-test-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def database_url(backend, tmp_root):
    if backend == "sqlite":
        yield f"sqlite:///{tmp_root / 'test.db'}"
        return
    server = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    server_url = make_url(server).set(drivername="postgresql+psycopg")
    name = f"kade_test_{secrets.token_hex(4)}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # no server: fail loudly, never skip silently
        pytest.exit(f"PostgreSQL at {server} is not usable: {exc}", returncode=3)
    yield server_url.set(database=name).render_as_string(hide_password=False)
    from app.db import dispose_engines

    dispose_engines()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


# What production needs besides the keys base_config gives (app.config.check_production):
# a test that runs the app as production starts from these.
PRODUCTION_SETTINGS = {
    "KADE_ENV": "production",
    "PUBLIC_URL": "https://shop.example.lk",
    "SMTP_URL": "smtps://kade:secret@mail.example.lk:465",
    "SMS_GATEWAY_URL": "https://sms.example.lk/api/v1/send",
}


def base_config(database_url: str, tmp_root: Path) -> dict:
    return {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret-key",
        "PII_KEYS": TEST_PII_KEYS,
        "PII_INDEX_KEY": TEST_INDEX_KEY,
        "BACKUP_KEYS": TEST_BACKUP_KEYS,
        "INSTANCE_PATH": str(tmp_root / "instance"),
        "OUTBOX_DIR": str(tmp_root / "outbox"),
        # Spelt out, not left to follow INSTANCE_PATH: their defaults come from the
        # environment's instance folder, which was the demo shop's (tests/instance_guard.py).
        "BACKUP_URL": f"file://{tmp_root / 'backups'}",
        "MEDIA_URL": f"file://{tmp_root / 'media'}",
        "MEDIA_PUBLIC_URL": None,
        "AWS_ENDPOINT_URL": None,
        "REDIS_URL": None,
        "SMTP_URL": None,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "RATELIMIT_STORAGE_URI": "memory://",
        # Each test makes its own promotions in a fresh database: none kept from the last.
        "PROMOTIONS_CACHE_SECONDS": 0,
        "REFERENCE_CACHE_SECONDS": 0,
        "SERVER_NAME": None,
        # No card payments unless a test sets PayHere up (tests/payments do).
        "PAYHERE_LOCAL_SANDBOX": False,
        "PAYHERE_MERCHANT_ID": None,
        "PAYHERE_MERCHANT_SECRET": None,
    }


@pytest.fixture()
def scratch_url(backend, tmp_path, database_url):
    """An empty database of the backend under test, dropped afterwards (for tests that
    migrate up and down)."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'scratch.db'}"
        return
    name = f"kade_scratch_{secrets.token_hex(4)}"
    server = make_url(database_url)
    admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield server.set(database=name).render_as_string(hide_password=False)
    from app.db import dispose_engines

    dispose_engines()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def migrated(database_url):
    from app import migrate

    migrate.upgrade(database_url)
    return database_url


class IsolatedClient(FlaskClient):
    """Each request gets its own app context (fresh `g`, fresh DB session), as in production,
    even when the test itself holds an app context to set up data with services. Flask would
    otherwise reuse the test's context, and Flask-Login's cached user with it."""

    def open(self, *args, **kwargs):
        token = _cv_app.set(None)
        try:
            response = super().open(*args, **kwargs)
        finally:
            _cv_app.reset(token)
        # Every page the suite renders keeps its ids unique (tests/html_checks.py).
        check_page(response, str(args[0]) if args else kwargs.get("path", ""))
        return response


def _create_test_app(config):
    from app import create_app

    app = create_app(config)
    app.test_client_class = IsolatedClient
    return app


@pytest.fixture(scope="session")
def app(migrated, tmp_root):
    return _create_test_app(base_config(migrated, tmp_root))


@pytest.fixture()
def make_app(migrated, tmp_root):
    """An app with extra settings (rate limits on, CSRF on …) over the same database."""

    from app.extensions import limiter

    def make(**overrides):
        return _create_test_app({**base_config(migrated, tmp_root), **overrides})

    yield make
    # The limiter is one object shared by every app: an app made with limits on switches
    # them on for all. Put back the default test state and forget the counted hits.
    if limiter.enabled:
        limiter.reset()
    limiter.enabled = False


def _empty_all_tables(engine) -> None:
    from app.db import Base
    from app.models import import_all

    import_all()
    names = [t.name for t in Base.metadata.sorted_tables]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            # What the test left, and only that, by DELETE: a TRUNCATE makes new files for
            # each table and its indexes however few rows it held (all tables: ~60 ms a
            # test; those a customer cascades to: ~90 ms); deleting a few rows is ~1 ms.
            holding_rows, used_sequences = _left_behind(conn, names)
            for name in reversed(names):  # referencing tables first: no key is left dangling
                if name in holding_rows:
                    conn.execute(text(f"DELETE FROM {name}"))  # noqa: S608 — our table names
            for sequence in used_sequences:  # as TRUNCATE's RESTART IDENTITY did
                conn.execute(text(f"ALTER SEQUENCE {sequence} RESTART"))
        else:
            # Checked at commit, when every row is gone (self-references, e.g. categories).
            conn.execute(text("PRAGMA defer_foreign_keys = ON"))
            for name in reversed(names):
                conn.execute(text(f"DELETE FROM {name}"))  # noqa: S608 — our table names
            conn.execute(text("DELETE FROM sqlite_sequence")) if _has_sequence(conn) else None


def _left_behind(conn, names: list[str]) -> tuple[set[str], list[str]]:
    """The tables holding a row, and the sequences of their columns used since the last
    reset, whoever wrote them (the test, raw SQL, a worker or CLI subprocess): asked of the
    database itself, in one query, so nothing a test left can be missed."""
    holding_rows = " UNION ALL ".join(
        f"SELECT 'rows', '{name}' WHERE EXISTS (SELECT 1 FROM {name})"  # noqa: S608
        for name in names)
    # A sequence not used since its last reset reads NULL; 'a' is a serial's, 'i' an identity's.
    used_sequences = f"""
        SELECT 'sequence', format('%I.%I', s.schemaname, s.sequencename) FROM pg_sequences AS s
        JOIN pg_namespace AS ns ON ns.nspname = s.schemaname
        JOIN pg_class AS seq ON seq.relname = s.sequencename AND seq.relnamespace = ns.oid
        JOIN pg_depend AS d ON d.classid = 'pg_class'::regclass AND d.objid = seq.oid
            AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
        JOIN pg_class AS owner ON owner.oid = d.refobjid
        WHERE s.schemaname = current_schema() AND s.last_value IS NOT NULL
            AND owner.relname = ANY(ARRAY[{", ".join(f"'{n}'" for n in names)}])"""
    found = conn.execute(text(f"{holding_rows} UNION ALL {used_sequences}")).all()
    return ({name for kind, name in found if kind == "rows"},
            [name for kind, name in found if kind == "sequence"])


def _has_sequence(conn) -> bool:
    return bool(conn.execute(text(
        "SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'")).first())


@pytest.fixture(autouse=True)
def _clean_database(request, tmp_root):
    yield
    if "migrated" not in request.fixturenames and "app" not in request.fixturenames:
        return
    from app.db import engine_for, session
    from app.queue import wait_for_local_jobs

    if "app" in request.fixturenames:
        app = request.getfixturevalue("app")
        wait_for_local_jobs(app)
        # The shopper events a test's pages buffered in the shared app, never flushed: the
        # next test starts with none, as it starts with empty tables.
        app.extensions.pop("kade_shopper_events", None)
        app.extensions.pop("kade_shopper_events_held", None)
    session.remove()
    _empty_all_tables(engine_for(request.getfixturevalue("migrated")))
    shutil.rmtree(tmp_root / "outbox", ignore_errors=True)


@pytest.fixture(autouse=True)
def _cheap_password_hashing(request, monkeypatch):
    """Hashes made here verify the same way (argon2 reads the parameters from the hash);
    worker and CLI subprocesses keep the production parameters."""
    if request.node.get_closest_marker("production_argon2"):
        return
    from app.security import passwords

    monkeypatch.setattr(passwords, "_hasher", _CHEAP_HASHER)


@pytest.fixture(scope="session")
def own_redis(tmp_root):
    """A Redis server of the suite's own (tests/redis_server.py), started when a test first
    asks for it: never a database number on a server another program may be using."""
    server = RedisServer(tmp_root / "redis")
    server.start()
    yield server
    server.stop()


@pytest.fixture()
def redis_url(own_redis):
    """The suite's own Redis, empty when the test starts and emptied after it."""
    client = own_redis.client()
    client.flushall()
    yield own_redis.url
    client.flushall()
    client.close()


@pytest.fixture()
def app_ctx(app):
    with app.app_context():
        yield app


@pytest.fixture()
def db_session(app_ctx):
    from app.db import session

    yield session
    session.rollback()


@pytest.fixture()
def client(app):
    return app.test_client()


class Outbox:
    """The mails the embedded transport wrote, parsed."""

    def __init__(self, app, folder: Path):
        self.app = app
        self.folder = folder

    def messages(self) -> list[email.message.EmailMessage]:
        wait_for_local_jobs(self.app)  # the relay runs in a thread after each commit
        if not self.folder.exists():
            return []
        files = sorted(self.folder.glob("*.eml"), key=lambda p: p.stat().st_mtime)
        return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
                for p in files]

    def to(self, address: str, kind: str | None = None) -> list[email.message.EmailMessage]:
        """Mails to `address`; `kind` ("verify", "reset" …) is the dedupe key's prefix."""
        return [m for m in self.messages() if m["To"] == address
                and (kind is None or m["X-Kade-Dedupe-Key"].startswith(kind + ":"))]

    @staticmethod
    def text(message) -> str:
        return message.get_body(("plain",)).get_content()

    def link(self, message) -> str:
        found = re.search(r"https?://\S+", self.text(message))
        assert found, "the mail has no link"
        return found.group(0)


@pytest.fixture()
def outbox(app) -> Outbox:
    return Outbox(app, Path(app.config["OUTBOX_DIR"]))


@pytest.fixture()
def customer(app_ctx):
    """A verified customer with the test password."""
    from tests.factories import make_customer

    return make_customer(verified=True)


@pytest.fixture()
def login(client):
    """Sign a customer in through the real form: `login(user)`."""

    def sign_in(user, password: str = PASSWORD, c=None):
        c = c or client
        response = c.post("/account/login", data={"email": user.email, "password": password})
        assert response.status_code == 303, response.data[:500]
        return c

    return sign_in
