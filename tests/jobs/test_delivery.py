"""Issue 7's acceptance, with real processes: orders placed in the test app, messages
delivered by a `python -m jobs.worker` subprocess over a real Redis, to an SMTP server and an
SMS gateway on 127.0.0.1. See conftest.py for the moving parts."""

from __future__ import annotations

import json
import threading
import time

import pytest
from flask import render_template
from flask_babel import force_locale
from rq import Queue
from rq.job import Job
from rq.registry import FailedJobRegistry, StartedJobRegistry
from sqlalchemy import select

from app import db
from app.db import utcnow
from app.events import services as events
from app.i18n import format_lkr
from app.notifications import services as notifications
from app.notifications.models import OutboxMessage
from tests.checkout.factories import place_guest_order, stocked
from tests.factories import make_staff
from tests.jobs.conftest import CUSTOMER_EMAIL, assert_no_personal_data, wait_for

pytestmark = pytest.mark.processes


def _rows(app) -> list[OutboxMessage]:
    with app.app_context():
        return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def _row(app, dedupe_key: str) -> OutboxMessage:
    """The message's row, once written: an order's messages are written by its event's
    handler on the worker, a moment after the order commits."""
    return wait_for(lambda: next((r for r in _rows(app) if r.dedupe_key == dedupe_key), None),
                    30, f"the outbox row {dedupe_key}")


def _wait_until_sent(app, dedupe_key: str | None = None) -> None:
    """The provider has the message a moment before the worker records it as sent."""
    wait_for(lambda: {r.status for r in _rows(app)
                      if dedupe_key in (None, r.dedupe_key)} == {"sent"}, 15,
             f"{dedupe_key or 'every message'} to be recorded as sent")


def _order(app, *, units: int = 5, **choices) -> str:
    with app.app_context():
        return place_guest_order(stocked(units=units), **choices).number


def _expected(app, row: OutboxMessage) -> dict:
    """What the worker should have sent for `row`, rendered here in the row's language with
    the same templates and catalogs (so it holds before and after the translators' work)."""
    data = json.loads(row.data)
    with app.app_context(), force_locale(row.locale):
        subject = render_template(f"emails/{row.template}.subject.txt", **data).strip()
        sms = " ".join(render_template(f"sms/{row.template}.txt", **data).split())
    return {"subject": subject, "sms": sms, "total": data["total_cents"]}


def test_an_order_sends_one_mail_and_one_sms_in_the_customers_language(
        shop, background, smtp, sms_gateway, redis_server):
    app = shop()
    worker = background.worker(app)
    sinhala, tamil = _order(app, locale="si"), _order(app, locale="ta")

    wait_for(lambda: len(smtp.handler.mails()) >= 2 and len(sms_gateway.messages()) >= 2,
             30, "two mails and two SMS", on_fail=worker.tail)
    time.sleep(0.5)  # anything extra would arrive now
    assert len(smtp.handler.mails()) == 2 and len(sms_gateway.messages()) == 2

    for number, locale in ((sinhala, "si"), (tamil, "ta")):
        key = f"order:{number}:order_placed"
        [mail] = smtp.handler.mails(key)
        [sms] = sms_gateway.messages(f"{key}:sms")
        expected = _expected(app, _row(app, key))
        assert mail["To"] == CUSTOMER_EMAIL and number in mail["Subject"]
        assert mail["Subject"] == expected["subject"]
        html = mail.get_body(("html",)).get_content()
        assert f'<html lang="{locale}">' in html  # the layout says which language it is in
        assert sms["to"] == "94771234567" and sms["message"] == expected["sms"]
        assert sms["user_id"] == "kade-test" and sms["api_key"] == "test-api-key"
        assert sms["sender_id"] == "Kade"
        # Non-GSM text (Sinhala, Tamil) goes as unicode, and only then.
        assert (sms.get("type") == "unicode") == (not sms["message"].isascii())

    # Sinhala: the total in Sinhala money format (රු.), so the SMS is unicode whether or
    # not the catalogs translate the sentence yet.
    key = f"order:{sinhala}:order_placed"
    total = format_lkr(_expected(app, _row(app, key))["total"], "si")
    assert total.startswith("රු")
    assert total in smtp.handler.mails(key)[0].get_body(("plain",)).get_content()
    [sms] = sms_gateway.messages(f"{key}:sms")
    assert total in sms["message"] and sms["type"] == "unicode"

    _wait_until_sent(app)
    rows = _rows(app)
    assert sorted((r.channel, r.status, r.attempts) for r in rows) == [
        ("email", "sent", 1), ("email", "sent", 1), ("sms", "sent", 1), ("sms", "sent", 1)]
    assert all(r.segments for r in rows if r.channel == "sms")
    assert_no_personal_data(redis_server, background.logs())


def test_a_delivery_killed_midway_is_sent_after_the_lease_runs_out(
        shop, background, smtp, sms_gateway, redis_server):
    # Only the outbox's lease and the relay sweep may bring the mail back. The lease is
    # stretched past what an attempt may last (3 s to answer: a 16 s lease).
    app = shop(OUTBOX_LEASE_SECONDS=4, OUTBOX_SEND_TIMEOUT_SECONDS=3)
    smtp.handler.mode = "stall"
    first = background.worker(app)
    number = _order(app)
    key = f"order:{number}:order_placed"

    wait_for(lambda: smtp.handler.stalled, 30, "the SMTP server to hold the mail",
             on_fail=first.tail)
    # A `high` job runs in the worker's own process (jobs/worker.py): no work-horse.
    assert not first.horses(), "the worker itself is delivering"
    first.kill()  # the worker and RQ's scheduler: SIGKILL, all at once
    row = _row(app, key)
    assert (row.status, row.attempts) == ("pending", 1)  # the attempt was counted

    # While the lease holds, a sweep leaves the message alone.
    if (row.leased_until - utcnow()).total_seconds() > 1:
        with app.app_context():
            assert notifications.relay_now() == 0

    # The dead worker's job: RQ would find it abandoned after its heartbeat expires; force it.
    redis = redis_server.client()
    started = StartedJobRegistry("high", connection=redis)
    [abandoned] = started.get_job_ids(cleanup=False)
    started.cleanup(timestamp=time.time() + 3600)
    assert abandoned in FailedJobRegistry("high", connection=redis).get_job_ids()
    result = Job.fetch(abandoned, connection=redis).latest_result()
    assert "AbandonedJobError" in result.exc_string

    smtp.handler.mode = "accept"
    smtp.handler.release.set()
    second = background.worker(app)
    wait_for(lambda: utcnow() > row.leased_until, 30, "the lease to run out")
    Queue("high", connection=redis).enqueue("jobs.notifications.relay")  # the sweep
    wait_for(lambda: smtp.handler.mails(key), 30, "the mail, after the sweep",
             on_fail=second.tail)
    time.sleep(0.5)

    # Delivered once; the copy the stalled server got (as if it had accepted it before the
    # worker died) carries the same dedupe key and Message-ID, so it is recognisable.
    [mail] = smtp.handler.mails(key)
    copies = smtp.handler.stalled + smtp.handler.mails(key)
    assert {m["X-Kade-Dedupe-Key"] for m in copies} == {key}
    assert {m["Message-ID"] for m in copies} == {mail["Message-ID"]}, (
        "the Message-ID must come from the dedupe key alone (make_msgid adds a time and a "
        "random part to it)")
    _wait_until_sent(app, key)
    assert _row(app, key).attempts == 2
    assert len(sms_gateway.messages(f"{key}:sms")) == 1


def test_orders_placed_while_redis_is_down_are_all_mailed_once_it_is_back(
        shop, background, smtp, sms_gateway, redis_server):
    # Twenty orders from one guest's number: over the per-phone hour's limit, which is not
    # this test's subject (twenty shoppers would give twenty numbers).
    app = shop(ORDERS_PER_PHONE_PER_HOUR=100)
    worker = background.worker(app)
    redis_server.stop()

    with app.app_context():
        variant = stocked(units=40)
        numbers = [place_guest_order(variant).number for _ in range(20)]
    assert len(set(numbers)) == 20  # every order went through
    # Their order.placed events wait for the worker, whose handlers write the messages (and
    # note the purchases for recommendations): one handling per event and handler.
    with app.app_context():
        assert events.counts().pending == 20 * len(events.handlers_for("order.placed"))
    assert _rows(app) == []

    redis_server.start()  # the same address, empty, as after a crash
    redis = redis_server.client()
    from rq import Worker

    wait_for(lambda: any(w.pid == worker.pid for w in Worker.all(connection=redis)), 60,
             "the worker to come back", on_fail=worker.tail)
    Queue("high", connection=redis).enqueue("jobs.events.deliver")  # the sweep
    wait_for(lambda: len(smtp.handler.mails()) >= 20 and len(sms_gateway.messages()) >= 20,
             90, "20 mails and 20 SMS", on_fail=worker.tail)
    time.sleep(0.5)

    mails = smtp.handler.mails()
    assert len(mails) == 20 and len(sms_gateway.messages()) == 20
    assert sorted(m["X-Kade-Dedupe-Key"] for m in mails) == sorted(
        f"order:{n}:order_placed" for n in numbers)
    _wait_until_sent(app)
    assert_no_personal_data(redis_server, background.logs())


def test_a_mail_refused_three_times_arrives_once(shop, background, smtp, redis_server):
    app = shop(OUTBOX_RETRY_INTERVALS="1,1,1")
    smtp.handler.refuse_next = 3
    worker = background.worker(app)
    key = f"order:{_order(app)}:order_placed"

    wait_for(lambda: smtp.handler.mails(key), 60, "the mail", on_fail=worker.tail)
    time.sleep(0.5)
    assert len(smtp.handler.mails(key)) == 1 and smtp.handler.refused == 3
    _wait_until_sent(app, key)
    assert _row(app, key).attempts == 4
    assert FailedJobRegistry("high", connection=redis_server.client()).count == 0


def _failed_delivery(redis, message_id: int) -> Job | None:
    for job_id in FailedJobRegistry("high", connection=redis).get_job_ids():
        job = Job.fetch(job_id, connection=redis)
        if job.func_name == "jobs.notifications.deliver" and job.args[0] == message_id:
            return job
    return None


def test_a_mail_always_refused_lands_in_the_failed_jobs_with_its_error(
        shop, background, smtp, sms_gateway, redis_server):
    app = shop(OUTBOX_RETRY_INTERVALS="1,1")
    smtp.handler.mode, smtp.handler.refuse_at = "refuse", "rcpt"  # quoting the address
    worker = background.worker(app)
    key = f"order:{_order(app)}:order_placed"
    row = _row(app, key)
    redis = redis_server.client()

    job = wait_for(lambda: _failed_delivery(redis, row.id), 60, "the failed delivery job",
                   on_fail=worker.tail)
    assert smtp.handler.refused == 3  # the first try and two retries
    error = job.latest_result().exc_string
    assert "DeliveryError" in error and "SMTPRecipientsRefused" in error and "550" in error
    assert "[email]" in error  # the server quoted the address; the worker masked it
    row = _row(app, key)
    assert row.status == "failed" and row.attempts == 3 and row.last_error
    # Only the last attempt, the one that gave up, is a failed job: the two before it
    # waited on their row, not in RQ.
    failed = FailedJobRegistry("high", connection=redis).get_job_ids()
    assert [Job.fetch(i, connection=redis).args[0] for i in failed].count(row.id) == 1
    assert not smtp.handler.mails(key) and len(sms_gateway.messages()) == 1
    assert "[email]" in worker.output()  # RQ logged the error, masked
    assert_no_personal_data(redis_server, background.logs())


def _sign_in_staff(client, user):
    import pyotp

    from tests.factories import PASSWORD

    response = client.post("/staff/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 303, response.data[:300]
    response = client.post("/staff/login/code",
                           data={"code": pyotp.TOTP(user.totp_secret).now()})
    assert response.status_code == 303, response.data[:300]
    return client


def test_a_failed_delivery_is_retried_or_discarded_from_the_back_office(
        shop, background, smtp, redis_server):
    app = shop(OUTBOX_RETRY_INTERVALS="")  # no retries: the first refusal gives up
    smtp.handler.mode = "refuse"
    worker = background.worker(app)
    retried, discarded = (f"order:{_order(app)}:order_placed" for _ in range(2))
    redis = redis_server.client()
    jobs = {key: wait_for(lambda key=key: _failed_delivery(redis, _row(app, key).id), 60,
                          "a failed delivery job", on_fail=worker.tail)
            for key in (retried, discarded)}

    with app.app_context():
        admin, order_manager = make_staff("admin"), make_staff("order_manager")
    smtp.handler.mode = "accept"

    # Only those who may manage jobs can retry one.
    other = _sign_in_staff(app.test_client(), order_manager)
    assert other.post(f"/staff/jobs/{jobs[retried].id}/retry").status_code == 403

    client = _sign_in_staff(app.test_client(), admin)
    page = client.get("/staff/jobs")
    assert page.status_code == 200
    assert jobs[retried].id in page.text and jobs[discarded].id in page.text
    assert CUSTOMER_EMAIL not in page.text

    response = client.post(f"/staff/jobs/{jobs[retried].id}/retry")
    assert response.status_code in (302, 303)
    wait_for(lambda: smtp.handler.mails(retried), 30, "the retried mail", on_fail=worker.tail)
    _wait_until_sent(app, retried)

    response = client.post(f"/staff/jobs/{jobs[discarded].id}/discard")
    assert response.status_code in (302, 303)
    assert jobs[discarded].id not in FailedJobRegistry("high", connection=redis).get_job_ids()
    assert not smtp.handler.mails(discarded)
    assert len(smtp.handler.mails(retried)) == 1


def test_a_server_without_starttls_gets_nothing_and_the_delivery_is_retried_and_reported(
        shop, background, plain_smtp, sms_gateway, redis_server):
    app = shop(OUTBOX_RETRY_INTERVALS="1,1", **plain_smtp.settings())
    worker = background.worker(app)
    key = f"order:{_order(app)}:order_placed"
    row = _row(app, key)
    redis = redis_server.client()

    job = wait_for(lambda: _failed_delivery(redis, row.id), 60, "the failed delivery job",
                   on_fail=worker.tail)

    # Three tries (the first and two retries), and not one password or envelope among them.
    assert plain_smtp.logins == []
    assert plain_smtp.handler.senders == [] and plain_smtp.handler.mails() == []
    assert "offers no STARTTLS" in job.latest_result().exc_string
    row = _row(app, key)
    assert row.attempts == 3 and "offers no STARTTLS" in row.last_error
    assert len(sms_gateway.messages()) == 1  # the SMS went its own way
    assert "smtp-secret-pw" not in background.logs()


def test_a_mail_goes_over_starttls_with_the_password_only_after_the_upgrade(
        shop, background, smtp):
    app = shop()
    worker = background.worker(app)
    key = f"order:{_order(app)}:order_placed"

    wait_for(lambda: smtp.handler.mails(key), 30, "the mail", on_fail=worker.tail)

    assert smtp.handler.over_tls == [True]
    assert smtp.logins == [(b"kade", b"smtp-secret-pw")]
    assert "smtp-secret-pw" not in background.logs()


def test_a_mail_whose_answer_comes_too_late_is_sent_once_more_at_most_never_twice_at_once(
        shop, background, smtp, sms_gateway, redis_server):
    """Issue 17: the server takes the mail, then answers after the client gave up. The row
    is the only retry clock: no RQ retry, and sweeps every quarter second with two workers
    free never start a second delivery beside the first (the 1 s lease asked for is
    stretched past the attempt's deadline) nor before the row's wait is over."""
    app = shop(OUTBOX_SEND_TIMEOUT_SECONDS=1, OUTBOX_LEASE_SECONDS=1,
               OUTBOX_RETRY_INTERVALS="3,3,3")
    smtp.handler.slow_next, smtp.handler.slow_for = 1, 30
    workers = [background.worker(app), background.worker(app)]
    redis = redis_server.client()
    sweeping = threading.Event()

    def sweep():
        while not sweeping.wait(0.25):
            Queue("high", connection=redis).enqueue("jobs.notifications.relay")

    sweeper = threading.Thread(target=sweep, daemon=True)
    sweeper.start()
    try:
        number = _order(app)
        key = f"order:{number}:order_placed"
        first = wait_for(lambda: (r := _row(app, key)).attempts == 1 and r.last_error and r,
                         30, "the first attempt to give up waiting",
                         on_fail=lambda: f"attempts {_row(app, key).attempts}, at most "
                         f"{smtp.handler.most_in_flight} in flight at once\n"
                         + workers[0].tail() + workers[1].tail())
        _wait_until_sent(app, key)
    finally:
        sweeping.set()
        sweeper.join(5)

    row = _row(app, key)
    time.sleep(1)  # any third copy would arrive now
    copies = smtp.handler.mails(key)
    assert len(copies) == 2  # the one taken too slowly and the retry: once more at most
    assert smtp.handler.most_in_flight == 1  # never two deliveries at once
    assert "no answer within 1 s" in first.last_error
    assert row.attempts == 2 and row.status == "sent"
    # The retry came from the row's clock: not before its 3 s wait was over.
    assert row.sent_at >= first.next_attempt_at
    assert FailedJobRegistry("high", connection=redis).count == 0
    assert len(sms_gateway.messages(f"{key}:sms")) == 1
