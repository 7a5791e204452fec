"""Issue 17: an outbox message has one retry clock, its row. A failed attempt writes when to
try next; only the relay's claim of a due row starts another attempt (no RQ retry), each
claim makes one attempt however many jobs carry it, and the lease an attempt holds outlasts
the longest it may run. The whole-worker version is in tests/jobs/test_delivery.py."""

from __future__ import annotations

import datetime as dt
from email.message import EmailMessage

import pytest
from rq import Queue
from rq.registry import ScheduledJobRegistry
from sqlalchemy import update

from app import db
from app.db import utcnow
from app.notifications import services as notifications
from app.notifications.models import OutboxMessage
from app.notifications.transports import DeliveryError, SmtpMailer
from tests.jobs.conftest import wait_for
from tests.redis_server import RedisServer

KEY = "order:KD-2026-000042:order_placed"


@pytest.fixture()
def redis_server(tmp_path):
    server = RedisServer(tmp_path / "redis")
    server.start()
    yield server
    server.stop()


def _write_message() -> int:
    """A pending mail, written without waking the relay: the test runs the relay itself."""
    message = OutboxMessage(channel="email", purpose="transactional", template="order_shipped",
                            recipient="sarah@example.lk", locale="en", dedupe_key=KEY,
                            data='{"name": "Sarah", "number": "KD-2026-000042", '
                                 '"total_cents": 125000, "link": "https://kade.lk/o/1"}')
    db.session.add(message)
    db.session.commit()
    return message.id


def _row(message_id: int) -> OutboxMessage:
    db.session.commit()  # a fresh snapshot: the relay writes from its own connection
    return db.session.get(OutboxMessage, message_id, populate_existing=True)


def _time_passes(message_id: int) -> None:
    """The row's wait is over (moved back rather than sleeping through it)."""
    db.session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id)
                       .values(next_attempt_at=utcnow() - dt.timedelta(seconds=1)))
    db.session.commit()


def test_a_failed_attempt_is_retried_by_the_sweep_after_its_wait_and_by_nothing_else(
        make_app, smtp):
    app = make_app(**smtp.settings(), OUTBOX_RETRY_INTERVALS="600,600")
    smtp.handler.refuse_next = 1
    with app.app_context():
        message_id = _write_message()

        assert notifications.relay_now() == 0  # the attempt was refused
        row = _row(message_id)
        assert (row.status, row.attempts, row.leased_until) == ("pending", 1, None)
        assert "451" in row.last_error
        wait = row.next_attempt_at - utcnow()
        assert dt.timedelta(seconds=590) < wait <= dt.timedelta(seconds=600)

        # Before the wait is over: a sweep claims nothing, and the first claim replayed
        # (a job run twice) makes no attempt.
        assert notifications.relay_now() == 0
        assert notifications.deliver_now(message_id, 0) is False
        assert _row(message_id).attempts == 1
        assert smtp.handler.refused == 1 and smtp.handler.mails() == []

        _time_passes(message_id)
        assert notifications.relay_now() == 1

        row = _row(message_id)
        assert (row.status, row.attempts) == ("sent", 2)
        assert [m["X-Kade-Dedupe-Key"] for m in smtp.handler.mails()] == [KEY]


def test_the_last_attempt_allowed_gives_up_and_staff_may_send_it_once_more(make_app, smtp):
    app = make_app(**smtp.settings(), OUTBOX_RETRY_INTERVALS="600")  # two attempts
    smtp.handler.mode = "refuse"
    with app.app_context():
        message_id = _write_message()
        notifications.relay_now()
        _time_passes(message_id)
        notifications.relay_now()

        row = _row(message_id)
        assert (row.status, row.attempts) == ("failed", 2)
        _time_passes(message_id)
        assert notifications.relay_now() == 0  # a message that gave up waits for staff

        smtp.handler.mode = "accept"
        notifications.retry_failed(message_id)
        assert notifications.relay_now() == 1
        assert (_row(message_id).status, _row(message_id).attempts) == ("sent", 3)


def test_deliveries_go_to_rq_without_retries_and_stop_before_their_lease_ends(
        make_app, smtp, redis_server):
    # A lease asked for shorter than an attempt may last is stretched past it.
    app = make_app(**smtp.settings(), REDIS_URL=redis_server.url, OUTBOX_LEASE_SECONDS=1,
                   OUTBOX_SEND_TIMEOUT_SECONDS=10, OUTBOX_RETRY_INTERVALS="60")
    smtp.handler.refuse_next = 1
    with app.app_context():
        message_id = _write_message()
        claimed_at = utcnow()

        assert notifications.relay_now() == 1

        [job] = Queue("high", connection=redis_server.client()).get_jobs()
        assert job.func_name == "jobs.notifications.deliver"
        assert job.args == (message_id, 0)  # the id and the claim's token, no address
        assert job.retries_left is None  # RQ never retries it: the row does
        lease = _row(message_id).leased_until - claimed_at
        assert job.timeout == notifications.attempt_timeout() >= 2 * 10
        assert lease > dt.timedelta(seconds=job.timeout)

        # The job, run here: refused. The row waits; the only thing RQ holds for later is a
        # relay to wake when the wait is over, not a delivery.
        assert notifications.deliver_now(*job.args) is False
        row = _row(message_id)
        assert (row.status, row.attempts) == ("pending", 1)
        scheduled = ScheduledJobRegistry("high", connection=redis_server.client())
        [wake] = [job.__class__.fetch(i, connection=redis_server.client())
                  for i in scheduled.get_job_ids()]
        assert wake.func_name == "jobs.notifications.relay"
        assert scheduled.get_scheduled_time(wake) >= row.next_attempt_at.replace(microsecond=0)

        # The same job again (RQ ran it twice): no second attempt.
        assert notifications.deliver_now(*job.args) is False
        assert _row(message_id).attempts == 1 and smtp.handler.refused == 1


def test_two_jobs_for_one_claim_make_one_attempt(make_app, smtp, redis_server):
    app = make_app(**smtp.settings(), REDIS_URL=redis_server.url)
    with app.app_context():
        message_id = _write_message()
        notifications.relay_now()
        [job] = Queue("high", connection=redis_server.client()).get_jobs()

        results = [notifications.deliver_now(*job.args), notifications.deliver_now(*job.args)]

        assert results == [True, True]  # both say it is sent
        assert len(smtp.handler.mails()) == 1 and _row(message_id).attempts == 1


def test_a_lease_is_never_shorter_than_an_attempt_may_last(make_app):
    app = make_app(OUTBOX_LEASE_SECONDS=5, OUTBOX_SEND_TIMEOUT_SECONDS=20)
    with app.app_context():
        assert notifications.attempt_timeout() == 45
        assert notifications._lease() == dt.timedelta(seconds=50)
    app = make_app(OUTBOX_LEASE_SECONDS=300, OUTBOX_SEND_TIMEOUT_SECONDS=20)
    with app.app_context():
        assert notifications._lease() == dt.timedelta(seconds=300)


def _mail() -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = (
        "shop@kade.lk", "sarah@example.lk", "Your order")
    message.set_content("Thank you.")
    return message


def test_a_server_that_takes_the_mail_but_answers_too_late_is_a_refusal(smtp):
    smtp.handler.slow_next, smtp.handler.slow_for = 1, 30
    mailer = SmtpMailer(smtp.url, ca_file=smtp.ca_file, timeout=0.5)

    with pytest.raises(DeliveryError, match=r"no answer within 0\.5 s"):
        mailer.send(_mail(), KEY)

    # It was delivered all the same: why a retry may make a second copy (same Message-ID).
    # The server's thread files it on its own time: on a loaded machine, after the client
    # has given up.
    delivered = wait_for(smtp.handler.mails, 5, "the server to file the mail")
    assert [m["Subject"] for m in delivered] == ["Your order"]
