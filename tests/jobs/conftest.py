"""Real processes for the background-job tests: a throwaway Redis of our own (so a test may
stop it), an SMTP server (aiosmtpd) that can be told to refuse or to stall, a local HTTP
server shaped like the SMS gateway, and `python -m jobs.worker` / `python -m jobs.scheduler`
subprocesses sharing the test database. Every process started here is killed when the test
ends, whatever happened."""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from tests.redis_server import RedisServer, free_port  # noqa: F401  (free_port: for the tests)

ROOT = Path(__file__).resolve().parents[2]
# The guest of tests/checkout/factories.py: what must never show in Redis or in a log line.
CUSTOMER_EMAIL = "sarah@example.lk"
CUSTOMER_PHONE_DIGITS = "771234567"  # +94771234567, 94771234567, 0771234567 all hold it


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "processes: starts real Redis, SMTP, SMS gateway, worker or scheduler "
        "processes (runs in both database passes; deselect with -m 'not processes')")


def wait_for(predicate, timeout: float, what: str, *, every: float = 0.05, on_fail=None):
    """Poll until `predicate()` is truthy; fail with `what` (and `on_fail()`) after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            detail = f"\n{on_fail()}" if on_fail else ""
            pytest.fail(f"timed out after {timeout}s waiting for {what}{detail}")
        time.sleep(every)


# ---- Redis -----------------------------------------------------------------------------------

@pytest.fixture()
def redis_server(tmp_path):
    server = RedisServer(tmp_path / "redis")
    server.start()
    yield server
    server.stop()


# ---- SMTP ------------------------------------------------------------------------------------

class SmtpHandler:
    """Accepts mail, or refuses it (at RCPT, quoting the address as real servers do, or at
    DATA), or stalls after receiving it without ever answering."""

    def __init__(self):
        self.lock = threading.Lock()
        self.received: list[email.message.EmailMessage] = []  # accepted (250)
        self.stalled: list[email.message.EmailMessage] = []  # got, never accepted
        self.refused = 0
        self.mode = "accept"  # accept | refuse | stall
        self.refuse_next = 0  # refuse this many, then go by `mode`
        self.refuse_at = "data"  # rcpt | data
        self.release = threading.Event()  # lets a stalled session end (with a 451)
        self.senders: list[str] = []  # every MAIL FROM, accepted or not
        self.over_tls: list[bool] = []  # for each accepted mail: did it come over TLS?
        # Take the next `slow_next` mails (they are in the mailbox) but answer each only after
        # `slow_for` seconds: a client that gives up first does not know it was delivered.
        self.slow_next = 0
        self.slow_for = 0.0
        self.in_flight = 0  # messages whose answer the client is waiting for right now
        self.most_in_flight = 0

    def _refuses(self, stage: str) -> bool:
        with self.lock:
            if stage != self.refuse_at:
                return False
            if self.refuse_next > 0:
                self.refuse_next -= 1
            elif self.mode != "refuse":
                return False
            self.refused += 1
            return True

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        with self.lock:
            self.senders.append(address)
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self._refuses("rcpt"):
            return f"550 5.1.1 <{address}>: Recipient address rejected: user unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            # A client that hangs up cancels this (aiosmtpd), which ends its time in flight.
            return await self._data(session, envelope)
        finally:
            with self.lock:
                self.in_flight -= 1

    async def _data(self, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        if self._refuses("data"):
            return "451 4.3.0 Temporary failure, try again later"
        with self.lock:
            slow = self.slow_next > 0
            if slow:
                self.slow_next -= 1
                self.received.append(message)
                self.over_tls.append(bool(session.ssl))
        if slow:
            await asyncio.sleep(self.slow_for)
            return "250 2.0.0 Message accepted for delivery"
        if self.mode == "stall":
            with self.lock:
                self.stalled.append(message)
            while not self.release.is_set():
                await asyncio.sleep(0.05)
            return "451 4.3.0 Gave up"
        with self.lock:
            self.received.append(message)
            self.over_tls.append(bool(session.ssl))
        return "250 2.0.0 Message accepted for delivery"

    def mails(self, dedupe_key: str | None = None) -> list:
        with self.lock:
            return [m for m in self.received
                    if dedupe_key is None or m["X-Kade-Dedupe-Key"] == dedupe_key]


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, made here: the server presents it and the
    app trusts it through SMTP_CA_FILE, so the client checks it as it checks any other."""
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    folder.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


class SmtpServer:
    """aiosmtpd on 127.0.0.1. With `certificate` it offers STARTTLS with it (as a real
    submission server does); without, it is a plain server that never offers STARTTLS and
    would take a password in clear: what it got is in `logins` and `handler.senders`."""

    def __init__(self, certificate: tuple[Path, Path] | None = None):
        import ssl

        self.handler = SmtpHandler()
        self.port = free_port()
        self.logins: list[tuple[bytes, bytes]] = []
        options = {}
        if certificate:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(*certificate)
            options["tls_context"] = context
        self.ca_file = str(certificate[0]) if certificate else None
        self.url = f"smtp://kade:smtp-secret-pw@127.0.0.1:{self.port}"
        self.controller = Controller(
            self.handler, hostname="127.0.0.1", port=self.port,
            auth_require_tls=False, authenticator=self._authenticate, **options)

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        from aiosmtpd.smtp import AuthResult, LoginPassword

        if isinstance(auth_data, LoginPassword):
            with self.handler.lock:
                self.logins.append((auth_data.login, auth_data.password))
        return AuthResult(success=True)

    def settings(self) -> dict:
        """The app's settings for this server."""
        return {"SMTP_URL": self.url, "SMTP_CA_FILE": self.ca_file}

    def start(self):
        self.controller.start()

    def stop(self):
        self.handler.release.set()
        self.controller.stop()


@pytest.fixture(scope="session")
def smtp_certificate(tmp_path_factory):
    return self_signed_certificate(tmp_path_factory.mktemp("smtp-tls"))


@pytest.fixture()
def smtp(smtp_certificate):
    """A submission server that offers STARTTLS (the app must upgrade before anything)."""
    server = SmtpServer(smtp_certificate)
    server.start()
    yield server
    server.stop()


@pytest.fixture()
def plain_smtp():
    """A server that offers no STARTTLS."""
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


# ---- the SMS gateway -------------------------------------------------------------------------

class SmsGateway:
    """POST form fields as Notify.lk takes them; answers {"status": "success", ...}."""

    def __init__(self):
        self.received: list[dict] = []
        self.lock = threading.Lock()
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 — http.server's naming
                length = int(self.headers.get("Content-Length", 0))
                form = {k: v[0] for k, v in urllib.parse.parse_qs(
                    self.rfile.read(length).decode()).items()}
                with gateway.lock:
                    gateway.received.append(form)
                    n = len(gateway.received)
                body = json.dumps({"status": "success", "data": {"id": f"sms-{n}"}}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api/v1/send"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def messages(self, reference: str | None = None) -> list[dict]:
        with self.lock:
            return [m for m in self.received if reference is None or m["reference"] == reference]


@pytest.fixture()
def sms_gateway():
    gateway = SmsGateway()
    gateway.thread.start()
    yield gateway
    gateway.server.shutdown()
    gateway.server.server_close()


# ---- the shop and its background processes ---------------------------------------------------

@pytest.fixture()
def shop(make_app, redis_server, smtp, sms_gateway):
    """`shop(**settings)`: the test app wired to our Redis, SMTP server and SMS gateway
    (wake_relay enqueues to our Redis). The worker gets the same settings."""

    def make(**overrides):
        settings = {
            "REDIS_URL": redis_server.url, **smtp.settings(),
            "SMS_GATEWAY_URL": sms_gateway.url, "SMS_USER_ID": "kade-test",
            "SMS_API_KEY": "test-api-key", "SMS_SENDER_ID": "Kade",
            "OUTBOX_LEASE_SECONDS": 30, "OUTBOX_RETRY_INTERVALS": "1,1,1",
            "OUTBOX_SEND_TIMEOUT_SECONDS": 5,
        }
        settings.update(overrides)
        return make_app(**settings)

    return make


# Settings a worker takes from its environment, named as app.config reads them.
_CONFIG_TO_ENV = {
    "DATABASE_URL": "DATABASE_URL", "REDIS_URL": "REDIS_URL", "SECRET_KEY": "SECRET_KEY",
    "PII_KEYS": "PII_KEYS", "PII_INDEX_KEY": "PII_INDEX_KEY", "SMTP_URL": "SMTP_URL",
    "SMTP_CA_FILE": "SMTP_CA_FILE",
    "SMS_GATEWAY_URL": "SMS_GATEWAY_URL", "SMS_USER_ID": "SMS_USER_ID",
    "SMS_API_KEY": "SMS_API_KEY", "SMS_SENDER_ID": "SMS_SENDER_ID",
    "OUTBOX_LEASE_SECONDS": "OUTBOX_LEASE_SECONDS",
    "OUTBOX_RETRY_INTERVALS": "OUTBOX_RETRY_INTERVALS", "MAIL_FROM": "MAIL_FROM",
    "OUTBOX_SEND_TIMEOUT_SECONDS": "OUTBOX_SEND_TIMEOUT_SECONDS",
    "INSTANCE_PATH": "KADE_INSTANCE_PATH", "OUTBOX_DIR": "KADE_OUTBOX_DIR",
    "UNPAID_ORDER_HOURS": "UNPAID_ORDER_HOURS", "PUBLIC_URL": "PUBLIC_URL",
}


def process_env(app, **extra) -> dict:
    """The environment of a worker for `app`: the same database, Redis, keys and providers
    (a developer's own DATABASE_URL or REDIS_URL must never leak in)."""
    env = {k: v for k, v in os.environ.items()
           if k not in _CONFIG_TO_ENV.values() and not k.startswith(("KADE_", "SMS_"))}
    for name, var in _CONFIG_TO_ENV.items():
        value = app.config.get(name)
        if value is not None:
            env[var] = str(value)
    env.update({"PYTHONUNBUFFERED": "1", "RATELIMIT_ENABLED": "0", "LOG_LEVEL": "INFO"})
    env.update({k: str(v) for k, v in extra.items()})
    return env


def _stat(pid: int) -> tuple[int, int, int] | None:
    """(ppid, process group, session) of a live process, None when it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw.rsplit(")", 1)[1].split()
    if fields[0] == "Z":
        return None
    return int(fields[1]), int(fields[2]), int(fields[3])


class Background:
    """A `python -m jobs.worker` or `python -m jobs.scheduler` in a session of its own, so
    it and everything it forks (work-horses, RQ's scheduler) can be found and killed."""

    def __init__(self, module: str, env: dict, folder: Path, n: int):
        folder.mkdir(parents=True, exist_ok=True)
        self.log_path = folder / f"{module.rsplit('.', 1)[1]}-{n}.log"
        self._log = self.log_path.open("wb")
        self.popen = subprocess.Popen([sys.executable, "-m", module], cwd=ROOT, env=env,
                                      stdout=self._log, stderr=subprocess.STDOUT,
                                      start_new_session=True)
        self.pid = self.popen.pid

    def family(self) -> list[int]:
        """Every live process of this session (the main one, horses, schedulers)."""
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                stat = _stat(int(entry.name))
                if stat and stat[2] == self.pid:
                    found.append(int(entry.name))
        return found

    def horses(self) -> list[int]:
        """RQ work-horses: children that made a process group of their own."""
        return [pid for pid in self.family()
                if pid != self.pid and (_stat(pid) or (0, 0, 0))[1] == pid]

    def kill(self) -> None:
        """SIGKILL the whole family at once, as when a container is killed."""
        for pid in self.family():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            self.popen.wait(10)
        except subprocess.TimeoutExpired:
            pass
        deadline = time.monotonic() + 5
        while self.family() and time.monotonic() < deadline:
            for pid in self.family():
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.02)

    def output(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.output().splitlines()[-lines:])

    def close(self) -> None:
        self.kill()
        self._log.close()


@pytest.fixture()
def background(tmp_path, redis_server):
    """`background.worker(app)`, `background.scheduler(app, scale=...)`: start one and wait
    until it is ready; all are killed at the end of the test."""

    class Starter:
        def __init__(self):
            self.started: list[Background] = []

        def _start(self, module, app, **extra) -> Background:
            proc = Background(module, process_env(app, **extra), tmp_path / "logs",
                              len(self.started) + 1)
            self.started.append(proc)
            return proc

        def worker(self, app, **extra) -> Background:
            from rq import Worker

            proc = self._start("jobs.worker", app, **extra)
            client = redis_server.client()

            def ready():
                if proc.popen.poll() is not None:
                    pytest.fail(f"the worker exited ({proc.popen.returncode}):\n{proc.tail()}")
                try:
                    return any(w.pid == proc.pid for w in Worker.all(connection=client))
                except Exception:
                    return False

            wait_for(ready, 60, "the worker to register", on_fail=proc.tail)
            return proc

        def scheduler(self, app, **extra) -> Background:
            return self._start("jobs.scheduler", app, **extra)

        def logs(self) -> str:
            return "\n".join(proc.output() for proc in self.started)

    starter = Starter()
    yield starter
    for proc in starter.started:
        proc.close()


def assert_no_personal_data(redis_server: RedisServer, logs: str) -> None:
    """Neither Redis (job payloads, errors, results) nor the processes' log lines hold the
    customer's email address or phone number."""
    stored = redis_server.dump()
    assert CUSTOMER_EMAIL.encode() not in stored
    assert CUSTOMER_PHONE_DIGITS.encode() not in stored
    assert CUSTOMER_EMAIL not in logs
    assert CUSTOMER_PHONE_DIGITS not in logs
