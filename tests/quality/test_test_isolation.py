"""The suites keep to their own backends and folders: no test reaches a Redis server another
program may use, and a run leaves the demo shop's instance/ as it found it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from redis import Redis

from tests.instance_guard import differences, fingerprint
from tests.redis_server import RedisServer

ROOT = Path(__file__).resolve().parents[2]
# A Redis URL with a port spelt out (a shared server's, e.g. 6379), or the shared server's
# environment variable. Ports 1 and 9 are "nothing listens here" in tests of an outage.
SHARED_REDIS = re.compile(r"redis://[^\s\"'/]*:(?!(?:1|9)/)\d+|TEST_REDIS_URL|6379")


def test_no_test_uses_a_redis_server_it_did_not_start():
    offenders = []
    for folder in ("tests", "e2e"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path == Path(__file__).resolve():
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if SHARED_REDIS.search(line):
                    offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []


@pytest.mark.sqlite_only  # its pytest runs on SQLite whatever the pass: once is enough
def test_the_jobs_page_tests_pass_while_another_program_uses_database_13(tmp_path):
    """What once failed them: another program busy in "their" database 13 of the shared
    server (and they flushed its data). That server is handed to the run the way
    scripts/services.sh hands one over; the other program writes on throughout, and finds
    its keys intact afterwards."""
    shared = RedisServer(tmp_path / "shared-redis")
    shared.start()
    other_program = Redis(host="127.0.0.1", port=shared.port, db=13)
    stop = threading.Event()

    def keep_writing():
        n = 0
        while not stop.is_set():
            other_program.set(f"other:{n % 50}", "theirs")
            other_program.rpush("rq:queue:high", f"their job {n}")
            n += 1
            time.sleep(0.005)

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        env = {**os.environ, "TEST_REDIS_URL": shared.url}
        # The tests that count and list what Redis holds: another program's jobs in their
        # Redis would show on the page (the whole file takes minutes on a busy machine).
        run = subprocess.run([sys.executable, "-m", "pytest", "tests/backoffice/test_jobs.py",
                              "-q", "-p", "no:randomly", "-k", "counts_each_queues or "
                              "failed_jobs_are_listed or discard_deletes"],
                             cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    finally:
        stop.set()
        writer.join()
    try:
        assert run.returncode == 0, run.stdout[-3000:]
        assert re.search(r"\b3 passed", run.stdout), run.stdout[-500:]
        assert other_program.get("other:0") == b"theirs"
        assert other_program.llen("rq:queue:high") > 0
    finally:
        other_program.close()
        shared.stop()


def test_the_instance_fingerprint_sees_an_added_a_changed_and_a_removed_file(tmp_path):
    folder = tmp_path / "instance"
    (folder / "backups").mkdir(parents=True)
    (folder / "kade.db").write_bytes(b"demo")
    (folder / "old.eml").write_bytes(b"mail")
    before = fingerprint(folder)

    (folder / "backups" / "20260101.kbak").write_bytes(b"sealed with the tests' key")
    (folder / "kade.db").write_bytes(b"demo, changed")
    (folder / "old.eml").unlink()

    assert differences(before, fingerprint(folder)) == [
        "added backups/20260101.kbak", "removed old.eml",
        "changed backups", "changed kade.db"]  # a folder changes with what it holds
    assert differences(None, fingerprint(folder)) == ["the folder was created"]
    assert differences(fingerprint(folder), fingerprint(folder)) == []


def test_apps_built_by_the_suite_keep_their_files_out_of_instance(app):
    demo = str(ROOT / "instance")
    folders = {name: str(app.config[name]) for name in (
        "INSTANCE_PATH", "OUTBOX_DIR", "BACKUP_URL", "MEDIA_URL", "DATABASE_URL")}

    assert [name for name, value in folders.items() if demo in value] == []
