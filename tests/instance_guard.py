"""The demo shop's folder, instance/, belongs to the developer (`make run`): a test run
leaves it exactly as it found it.

Each pass used to leave ~1,500 files there, backups sealed with the tests' key among them,
after which `flask backup verify` and `restore` on the demo shop failed. So the suites point
KADE_INSTANCE_PATH (from which every default folder follows: keys, database, outbox, backups,
media) at a temp folder for every app they build and every `flask` they start, and this
plugin fingerprints instance/ (names, sizes, modification times) when the run starts and
fails the run at its end if anything there changed. tests/ and e2e/ both load it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEMO_INSTANCE = ROOT / "instance"

Fingerprint = dict[str, tuple[int, int]] | None


def fingerprint(folder: Path) -> Fingerprint:
    """Every entry under `folder` with its size and modification time; None: no folder."""
    if not folder.exists():
        return None
    entries = {}
    for path in folder.rglob("*"):
        info = path.lstat()
        entries[str(path.relative_to(folder))] = (info.st_size, info.st_mtime_ns)
    return entries


def differences(before: Fingerprint, after: Fingerprint) -> list[str]:
    if before == after:
        return []
    if before is None or after is None:
        return ["the folder was created" if before is None else "the folder was removed"]
    return ([f"added {name}" for name in sorted(after.keys() - before.keys())]
            + [f"removed {name}" for name in sorted(before.keys() - after.keys())]
            + [f"changed {name}" for name in sorted(before.keys() & after.keys())
               if before[name] != after[name]])


class InstanceGuard:
    def __init__(self, folder: Path = DEMO_INSTANCE):
        self.folder = folder
        self.before: Fingerprint = None
        self.temp: Path | None = None
        self.saved_env: str | None = None

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self, session):
        self.before = fingerprint(self.folder)
        self.temp = Path(tempfile.mkdtemp(prefix="kade-test-instance-"))
        self.saved_env = os.environ.get("KADE_INSTANCE_PATH")
        os.environ["KADE_INSTANCE_PATH"] = str(self.temp)

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session):
        if self.saved_env is None:
            os.environ.pop("KADE_INSTANCE_PATH", None)
        else:
            os.environ["KADE_INSTANCE_PATH"] = self.saved_env
        shutil.rmtree(self.temp, ignore_errors=True)
        changed = differences(self.before, fingerprint(self.folder))
        if changed:
            reporter = session.config.pluginmanager.get_plugin("terminalreporter")
            lines = [f"the test run changed {self.folder} (the demo shop's folder):",
                     *changed[:20], *(["..."] if len(changed) > 20 else [])]
            if reporter:
                reporter.write("\n")
                reporter.write_sep("=", "instance/ changed", red=True, bold=True)
                reporter.write_line("\n".join(lines), red=True)
            session.exitstatus = pytest.ExitCode.TESTS_FAILED


def register(config) -> None:
    if not config.pluginmanager.has_plugin("kade-instance-guard"):
        config.pluginmanager.register(InstanceGuard(), "kade-instance-guard")
