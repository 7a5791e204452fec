"""Playwright journeys against a real Kade server, phone-sized first.

One server runs for the whole session, on a fresh SQLite database seeded with the demo shop,
in its own temp dir; tests reach it through `page.goto("/...")` (base_url) and change its data
through `live_server.flask(...)`, the same CLI an operator uses.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests import instance_guard

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"  # Debian's: Playwright cannot download its own build here
STARTUP_TIMEOUT = 30.0

# Settings the server must not inherit from a developer's shell: with them unset the app uses
# its embedded defaults (keys it makes itself, jobs in-process, mail and SMS to the outbox),
# so the suite never touches a real database, Redis, mailbox or payment account.
INHERITED_SETTINGS_DROPPED = (
    "SECRET_KEY",
    "PII_KEYS",
    "DATABASE_URL",
    "REDIS_URL",
    "BACKUP_URL",
    "BACKUP_KEYS",
    "PII_INDEX_KEY",
    "MEDIA_URL",
    "MEDIA_PUBLIC_URL",
    "KADE_OUTBOX_DIR",
    "KADE_INSTANCE_PATH",
    "AWS_ENDPOINT_URL",
    "SMTP_URL",
    "SMS_GATEWAY_URL",
    "PAYHERE_MERCHANT_ID",
    "PAYHERE_MERCHANT_SECRET",
    "PAYHERE_SANDBOX",
    "PAYHERE_LOCAL_SANDBOX",
    "PAYHERE_APP_ID",
    "PAYHERE_APP_SECRET",
    "PAYHERE_API_URL",
    "SHOP_BANK_DETAILS",
    "SMS_USER_ID",
    "SMS_API_KEY",
    "KADE_LOCAL_SCHEDULE",
    "KADE_SCHEDULE_SCALE",
    "FLASK_APP",
    "FLASK_DEBUG",
    "KADE_ENV",
)


def pytest_configure(config):
    instance_guard.register(config)  # the demo shop's instance/ is left as it was


@dataclass
class LiveServer:
    url: str
    outbox_dir: Path
    env: dict[str, str]
    log_path: Path

    def flask(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run `flask --app wsgi ARGS` against the server's database; raise if it fails."""
        return _run_flask(args, self.env)


def _run_flask(args: tuple[str, ...], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "flask", "--app", "wsgi", *args]
    # Not check=True: the error should carry the command's output.
    result = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise RuntimeError(
            f"{' '.join(args)!r} failed with exit {result.returncode}\n"
            f"--- stdout\n{result.stdout}--- stderr\n{result.stderr}"
        )
    return result


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_healthy(url: str, server: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(
                f"server exited with {server.returncode}:\n{log_path.read_text()[-4000:]}"
            )
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass  # not listening yet, or /healthz answered an error: keep waiting
        time.sleep(0.2)
    raise RuntimeError(
        f"GET {url}/healthz did not answer 200 within {STARTUP_TIMEOUT:.0f}s:\n"
        f"{log_path.read_text()[-4000:]}"
    )


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    # pytest keeps the last few temp dirs, so after a failure the database, the outbox and
    # server.log are still there to read (the path is printed below).
    tmp = tmp_path_factory.mktemp("e2e")
    env = {k: v for k, v in os.environ.items() if k not in INHERITED_SETTINGS_DROPPED}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp / 'e2e.db'}",
        KADE_INSTANCE_PATH=str(tmp / "instance"),  # the keys the app makes live here, shared
        KADE_OUTBOX_DIR=str(tmp / "outbox"),  # by the server and the CLI helper
        KADE_ENV="development",
        RATELIMIT_ENABLED="1",  # the journeys check the limits a shopper meets
        PYTHONUNBUFFERED="1",  # the server log is complete when a startup failure shows it
    )
    _run_flask(("db", "upgrade"), env)
    _run_flask(("seed", "demo"), env)

    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = tmp / "server.log"
    print(f"\ne2e server: {url}, files in {tmp}")
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "flask",
                "--app",
                "wsgi",
                "run",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-reload",
                "--no-debugger",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_healthy(url, server, log_path)
        yield LiveServer(url=url, outbox_dir=tmp / "outbox", env=env, log_path=log_path)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture(scope="session")
def base_url(live_server: LiveServer) -> str:
    """Lets tests write page.goto("/cart"); pytest-playwright passes it to every context."""
    return live_server.url


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    return {
        "headless": True,  # --headed on the command line still wins (it sets headless=False)
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        # No sandbox: CI runs as root, where Chromium's sandbox refuses to start. The rest
        # stop Chromium phoning home (updates, sync, QUIC probes): this machine has no
        # network beyond loopback, and each attempt would only slow the tests down.
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict) -> dict:
    # Phone first: most of Kade's shoppers are on a phone (an iPhone 12-14 sized viewport).
    return {**browser_context_args, "viewport": {"width": 390, "height": 844}}
