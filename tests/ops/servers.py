"""Kade served by a real gunicorn, started as production starts it (`gunicorn -c <config>
wsgi:app`), on a free port, on the test database and keys: for the tests of what only a
real server shows (its log lines, its workers' metrics, its pools and nodes)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import TEST_BACKUP_KEYS, TEST_INDEX_KEY, TEST_PII_KEYS
from tests.redis_server import free_port

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Server:
    port: int
    output: Path  # everything gunicorn and the app wrote
    process: subprocess.Popen

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.output.read_text(errors="replace")


def _wait_until_serving(port: int, process: subprocess.Popen, output: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited:\n{output.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"gunicorn did not answer:\n{output.read_text()[-3000:]}")


def environment(database_url: str, folder: Path, **extra: str) -> dict[str, str]:
    """This process's environment without a developer's Kade settings, plus the test
    database and keys; `folder` holds the instance and the outbox."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("KADE_", "SMTP_", "SMS_", "GUNICORN_", "PAYHERE_", "STAFF_",
                                "PROMETHEUS_"))
           and k not in ("DATABASE_URL", "REDIS_URL", "PUBLIC_URL", "LOG_LEVEL", "PORT",
                         "WEB_CONCURRENCY", "DATABASE_POOL_SIZE", "DATABASE_MAX_OVERFLOW")}
    env.update({
        "DATABASE_URL": database_url, "SECRET_KEY": "test-secret-key",
        "PII_KEYS": TEST_PII_KEYS, "PII_INDEX_KEY": TEST_INDEX_KEY,
        "BACKUP_KEYS": TEST_BACKUP_KEYS, "KADE_INSTANCE_PATH": str(folder / "instance"),
        "KADE_OUTBOX_DIR": str(folder / "outbox"), "RATELIMIT_ENABLED": "0",
        "PAYHERE_LOCAL_SANDBOX": "0", "WEB_CONCURRENCY": "1", "GUNICORN_THREADS": "2"})
    env.update(extra)
    return env


@contextlib.contextmanager
def gunicorn(database_url: str, folder: Path, *, pool: str = "web", port: int | None = None,
             **extra: str) -> Iterator[Server]:
    """A gunicorn of Kade's `pool` (web: the storefront; staff: the back office) until the
    block ends (then SIGTERM, as a deploy stops it). `extra`: environment settings
    (WEB_CONCURRENCY, REDIS_URL …)."""
    with gunicorns(database_url, [(folder, pool, port)], **extra) as [server]:
        yield server


@contextlib.contextmanager
def gunicorns(database_url: str, wanted: list[tuple[Path, str, int | None]],
              **extra: str) -> Iterator[list[Server]]:
    """Several at once, each (folder, pool, port or None), started side by side (each takes
    seconds to load the app) and all serving before the block starts."""
    started: list[Server] = []
    try:
        for folder, pool, port in wanted:
            folder.mkdir(parents=True, exist_ok=True)
            port = port or free_port()
            env = environment(database_url, folder, KADE_POOL=pool, **extra)
            env["PORT" if pool == "web" else "STAFF_PORT"] = str(port)
            output = folder / f"gunicorn-{port}.log"
            with output.open("wb") as sink:
                process = subprocess.Popen(
                    [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
                    cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT,
                    start_new_session=True)  # its workers with it: see crash()
            started.append(Server(port, output, process))
        for server in started:
            _wait_until_serving(server.port, server.process, server.output)
        yield started
    finally:
        for server in started:
            stop(server.process)


def crash(server: Server) -> None:
    """SIGKILL the server's master and workers at once, as when its machine dies (a killed
    master alone leaves its workers serving until they notice)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.process.pid, signal.SIGKILL)
    server.process.wait(10)


def stop(process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    if process.poll() is None:
        process.send_signal(sig)
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)
