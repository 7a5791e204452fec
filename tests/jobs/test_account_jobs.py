"""A password reset through the real worker: the request only enqueues the email's blind
index (never the email), and the worker finds the account and mails the link."""

from __future__ import annotations

import pytest

from tests.factories import make_customer
from tests.jobs.conftest import CUSTOMER_EMAIL, assert_no_personal_data, wait_for

pytestmark = pytest.mark.processes


def _resets(smtp) -> list:
    return [m for m in smtp.handler.mails() if m["X-Kade-Dedupe-Key"].startswith("reset:")]


def test_a_reset_request_is_mailed_by_the_worker(shop, background, smtp, redis_server):
    app = shop()
    worker = background.worker(app)
    with app.app_context():
        make_customer(email=CUSTOMER_EMAIL, phone="+94770000001")
    client = app.test_client()

    known = client.post("/account/forgot", data={"email": CUSTOMER_EMAIL})
    unknown = client.post("/account/forgot", data={"email": "nobody.here@example.lk"})

    assert known.status_code == unknown.status_code == 303
    wait_for(lambda: _resets(smtp), 60, "the reset mail", on_fail=worker.tail)
    [mail] = _resets(smtp)
    assert mail["To"] == CUSTOMER_EMAIL
    # The reset job carried the blind index; the mail itself went by the outbox row's id.
    assert_no_personal_data(redis_server, background.logs())
