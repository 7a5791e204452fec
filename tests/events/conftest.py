"""Events tests: handlers registered by a test are forgotten after it; the real-process
fixtures (a Redis of our own, `python -m jobs.worker`) are those of tests/jobs."""

import pytest

from app.events import services as events
from tests.jobs.conftest import background, redis_server  # noqa: F401  (fixtures)


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "processes: starts real Redis, SMTP, SMS gateway, worker or scheduler "
        "processes (runs in both database passes; deselect with -m 'not processes')")


@pytest.fixture()
def registry():
    with events.registry_snapshot():
        yield events
