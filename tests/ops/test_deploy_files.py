"""The deploy files say the same as the Procfile: each process (web, staff, worker,
scheduler) has a systemd unit and a way to run from the container image, with the same
entry point; the units are ones systemd accepts."""

from __future__ import annotations

import getpass
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.ops.servers import ROOT

UNITS = ROOT / "ops" / "systemd"


def procfile() -> dict[str, str]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip())


def _entry(command: str) -> tuple[dict[str, str], list[str]]:
    """(environment, arguments) of a Procfile command or an ExecStart line, the program
    named by its last path part."""
    words = shlex.split(command)
    env = {}
    while words and re.fullmatch(r"[A-Z_]+=\S*", words[0]):
        name, value = words.pop(0).split("=", 1)
        env[name] = value
    return env, [Path(words[0]).name, *words[1:]]


def _unit(name: str) -> str:
    return (UNITS / f"kade-{name}.service").read_text()


def test_every_procfile_process_has_a_unit_with_the_same_entry_point():
    for process, command in procfile().items():
        unit = _unit(process)
        env, argv = _entry(command)
        [start] = re.findall(r"^ExecStart=(.+)$", unit, re.M)
        assert _entry(start)[1] == argv, process
        settings = " ".join(re.findall(r"^Environment=(.+)$", unit, re.M))
        for name, value in env.items():  # KADE_POOL=staff
            assert f"{name}={value}" in settings.split(), (process, name)


def test_the_image_runs_the_web_process_and_documents_the_others():
    dockerfile = (ROOT / "Dockerfile").read_text()
    [cmd] = re.findall(r"^CMD (\[.+\])$", dockerfile, re.M)
    processes = procfile()
    assert eval(cmd) == _entry(processes["web"])[1]  # noqa: S307 — our own file's JSON list
    for process in ("staff", "worker", "scheduler"):
        env, argv = _entry(processes[process])
        # A command may run on over two comment lines (a trailing backslash).
        commands = re.sub(r"\\\n#\s+", " ", dockerfile).splitlines()
        shown = [line for line in commands if line.startswith("#   docker run")
                 and " ".join(argv) in line
                 and all(f"-e {name}={value}" in line for name, value in env.items())]
        assert shown, process


@pytest.fixture()
def local_units(tmp_path):
    """The units with this checkout, its .venv and this user in place of the server's."""
    for unit in UNITS.glob("*.service"):
        text = (unit.read_text()
                .replace("/srv/kade/current/.venv", str(ROOT / ".venv"))
                .replace("/srv/kade/current", str(ROOT))
                .replace("EnvironmentFile=/", "EnvironmentFile=-/")  # none here: optional
                .replace("User=kade", f"User={getpass.getuser()}")
                .replace("Group=kade", ""))
        (tmp_path / unit.name).write_text(text)
    return sorted(tmp_path.glob("*.service"))


def test_systemd_accepts_the_units(local_units):
    verify = shutil.which("systemd-analyze")
    if verify is None:
        pytest.fail("systemd-analyze is missing: `scripts/services.sh ops-tools` installs it")
    assert [u.name for u in local_units] == [f"kade-{p}.service" for p in sorted(procfile())]

    checked = subprocess.run([verify, "verify", *map(str, local_units)],
                             capture_output=True, text=True)

    assert checked.returncode == 0 and not checked.stderr.strip(), checked.stderr
