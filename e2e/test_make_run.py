"""`make run` on a machine with no PostgreSQL or Redis settings: it migrates, seeds, serves,
and a demo customer can sign in. Run twice, it does not duplicate the demo data."""

import os
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from e2e.conftest import INHERITED_SETTINGS_DROPPED, ROOT, _free_port

DEMO_PASSWORD = "kade-demo-2026"


def _start_make_run(instance: Path, port: int, log: Path) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k not in INHERITED_SETTINGS_DROPPED}
    env.update(KADE_INSTANCE_PATH=str(instance), PORT=str(port), PYTHONUNBUFFERED="1")
    return subprocess.Popen(["make", "run"], cwd=ROOT, env=env, stdout=log.open("w"),
                            stderr=subprocess.STDOUT, start_new_session=True)


def _wait_for(url: str, process: subprocess.Popen, log: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"make run exited {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"make run did not serve {url}:\n{log.read_text()[-3000:]}")


def _stop(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@pytest.fixture()
def instance(tmp_path):
    return tmp_path / "instance"


def test_make_run_serves_the_demo_shop_and_a_customer_signs_in(page: Page, instance, tmp_path):
    port = _free_port()
    log = tmp_path / "make-run.log"
    process = _start_make_run(instance, port, log)
    try:
        _wait_for(f"http://127.0.0.1:{port}/healthz", process, log)

        page.goto(f"http://127.0.0.1:{port}/")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        page.goto(f"http://127.0.0.1:{port}/account/login")
        page.get_by_label("Email").fill("sarah@example.lk")
        page.get_by_label("Password").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", name="My account")).to_be_visible()
    finally:
        _stop(process)

    output = log.read_text()
    assert "Demo logins" in output and "admin@kade.lk" in output
    assert (instance / "kade.db").exists()


def test_seeding_again_does_not_duplicate(live_server):
    before = live_server.flask("users", "count").stdout.strip().splitlines()[-1]

    again = live_server.flask("seed", "demo").stdout

    after = live_server.flask("users", "count").stdout.strip().splitlines()[-1]
    assert after == before  # other journeys may have registered customers: compare, not fix
    assert "(0 added now)" in again
