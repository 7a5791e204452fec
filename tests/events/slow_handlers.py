"""Handlers for the worker test (tests/events/test_worker.py): the worker registers them
through KADE_EVENT_HANDLER_MODULES. They leave their traces as files in
KADE_TEST_EVENTS_DIR, which the test reads (the worker is another process)."""

import os
import time
from pathlib import Path

from app.events import handler


def _folder() -> Path:
    return Path(os.environ.get("KADE_TEST_EVENTS_DIR", "/nonexistent"))


def _note(name: str, event) -> None:
    with (_folder() / name).open("a") as f:
        f.write(f"{event.id}\n")


@handler("test.slow", name="tests.quick")
def quick(event) -> None:
    _note("quick", event)


@handler("test.slow", name="tests.slow")
def slow(event) -> None:
    """Waits for the test to drop a `release` file (the test kills the worker meanwhile)."""
    _note(f"started-{os.getpid()}", event)
    deadline = time.monotonic() + 60
    while not (_folder() / "release").exists():
        if time.monotonic() > deadline:
            raise TimeoutError("never released")
        time.sleep(0.05)
    _note("slow", event)
