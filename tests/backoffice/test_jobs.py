"""The jobs page: who gets in, the queues and failed jobs read from a real Redis (a job that
raises, run by RQ's SimpleWorker in this process), retry and discard with their audit
entries, an unreachable Redis, and the embedded mode's outbox with "retry"."""

from __future__ import annotations

import json
import re
import shutil

import pytest
from redis import Redis
from rq import Queue, SimpleWorker
from rq.job import Job
from rq.registry import FailedJobRegistry
from sqlalchemy import delete, select

from app import db
from app.audit.models import AuditEntry
from app.errors import Forbidden
from app.notifications.models import OutboxMessage
from app.ops import jobs
from tests.factories import make_staff

FAILING = "tests.backoffice.test_jobs.fail_on_purpose"
SUCCEEDING = "tests.backoffice.test_jobs.succeed"
ORDER_MAIL = {"number": "KD-2026-000042", "name": "Nimal", "link": "http://x/o/42",
              "total_cents": 1250_00, "payment_method": "cod", "status": "shipped"}


def fail_on_purpose(order_id: int) -> None:
    """A job that always fails, naming an address as a mail server's refusal would."""
    raise RuntimeError(f"550 mailbox of nimal@example.lk is full (order {order_id})")


def succeed(order_id: int) -> int:
    return order_id


@pytest.fixture()
def rq(redis_url):
    connection = Redis.from_url(redis_url)
    yield connection
    connection.close()


@pytest.fixture()
def redis_app(make_app, redis_url):
    return make_app(REDIS_URL=redis_url)


@pytest.fixture()
def redis_admin_client(redis_app, admin, sign_in_staff):
    return sign_in_staff(admin, c=redis_app.test_client())


class _InProcessWorker(SimpleWorker):
    """RQ's SimpleWorker without the command channel (shutdown, stop-job), which nothing
    sends a worker working here. Leaving it cost up to a minute a burst: RQ unsubscribes,
    then redis-py's PubSubWorkerThread.stop() joins its thread with no timeout, and a thread
    that read the unsubscribe reply first waits out RQ's 60 s for a new subscription."""

    def subscribe(self):
        pass

    def unsubscribe(self):
        pass


def _run(rq, *names: str) -> None:
    """Work the queues until they are empty, here, as a worker process would."""
    _InProcessWorker([Queue(n, connection=rq) for n in names], connection=rq).work(burst=True)


def _failed_job(rq, queue: str = "default", order_id: int = 7) -> str:
    job = Queue(queue, connection=rq).enqueue(FAILING, order_id)
    _run(rq, queue)
    assert job.id in FailedJobRegistry(queue, connection=rq)
    return job.id


def _audit(action: str) -> list[AuditEntry]:
    db.session.commit()  # a fresh snapshot: the request wrote from its own session
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def _status(message_id: int) -> str:
    db.session.commit()  # a fresh snapshot: the request and the relay wrote from elsewhere
    return db.session.scalar(select(OutboxMessage.status).where(OutboxMessage.id == message_id))


def _failed_message(**overrides) -> OutboxMessage:
    values = {"channel": "email", "purpose": "transactional", "template": "order_shipped",
              "recipient": "nimal@example.lk", "locale": "en", "dedupe_key": "order:42:shipped",
              "data": json.dumps(ORDER_MAIL), "status": "failed", "attempts": 8,
              "last_error": "SMTP 550: <nimal@example.lk> refused, call +94771234567"}
    values.update(overrides)
    message = OutboxMessage(**values)
    db.session.add(message)
    db.session.commit()
    return message


# ---- who gets in -------------------------------------------------------------------------------

def test_anonymous_visitors_are_sent_to_the_staff_sign_in(client):
    response = client.get("/staff/jobs")

    assert response.status_code == 303
    assert response.location.startswith("/staff/login?next=/staff/jobs")


@pytest.mark.parametrize("path", ["/staff/jobs/abc/retry", "/staff/jobs/abc/discard",
                                  "/staff/jobs/outbox/1/retry"])
def test_anonymous_posts_are_refused(client, path):
    assert client.post(path).status_code == 403


@pytest.mark.parametrize("role", ["order_manager", "support_agent", "catalog_manager",
                                  "marketing"])
def test_only_administrators_open_the_jobs_page(client, db_session, sign_in_staff, role):
    sign_in_staff(make_staff(role))

    assert client.get("/staff/jobs").status_code == 403
    assert client.get("/staff/jobs/abc").status_code == 403
    assert "/staff/jobs" not in client.get("/staff/").text


@pytest.mark.parametrize("role", ["order_manager", "support_agent"])
def test_other_staff_cannot_retry_or_discard(rq, redis_app, db_session, sign_in_staff, role):
    job_id = _failed_job(rq)
    c = sign_in_staff(make_staff(role), c=redis_app.test_client())

    assert c.post(f"/staff/jobs/{job_id}/retry").status_code == 403
    assert c.post(f"/staff/jobs/{job_id}/discard").status_code == 403

    assert job_id in FailedJobRegistry("default", connection=rq)
    assert _audit("jobs.retry") == [] and _audit("jobs.discard") == []


def test_other_staff_cannot_resend_a_message(client, db_session, sign_in_staff):
    message = _failed_message()
    sign_in_staff(make_staff("order_manager"))

    assert client.post(f"/staff/jobs/outbox/{message.id}/retry").status_code == 403

    assert _status(message.id) == "failed"


def test_the_services_check_the_permission_too(db_session):
    manager = make_staff("order_manager")

    with pytest.raises(Forbidden):
        jobs.overview(manager)
    with pytest.raises(Forbidden):
        jobs.retry("abc", manager)
    with pytest.raises(Forbidden):
        jobs.discard("abc", manager)
    with pytest.raises(Forbidden):
        jobs.retry_message(1, manager)


def test_administrators_find_jobs_in_the_menu(admin_client):
    assert 'href="/staff/jobs"' in admin_client.get("/staff/").text


# ---- with Redis --------------------------------------------------------------------------------

def test_the_page_counts_each_queues_jobs(rq, redis_app, redis_admin_client, admin):
    Queue("low", connection=rq).enqueue(SUCCEEDING, 1)
    Queue("low", connection=rq).enqueue(SUCCEEDING, 2)
    Queue("default", connection=rq).enqueue(SUCCEEDING, 3)
    _run(rq, "default")
    _failed_job(rq, "default")
    _failed_job(rq, "high")

    with redis_app.app_context():
        counts = {q.name: q for q in jobs.overview(admin).queues}
    page = redis_admin_client.get("/staff/jobs")

    assert page.status_code == 200
    assert [q for q in counts] == ["high", "default", "low", "backups"]
    assert (counts["low"].queued, counts["low"].failed) == (2, 0)
    assert (counts["default"].finished, counts["default"].failed) == (1, 1)
    assert counts["high"].failed == 1 and counts["backups"].queued == 0
    assert "Queues" in page.text and "<code>backups</code>" in page.text


def test_failed_jobs_are_listed_with_their_error(rq, redis_admin_client):
    job_id = _failed_job(rq, order_id=42)

    page = redis_admin_client.get("/staff/jobs").text

    assert f'href="/staff/jobs/{job_id}"' in page
    assert FAILING in page
    assert "RuntimeError: 550 mailbox of [email] is full (order 42)" in page
    assert "nimal@example.lk" not in page
    assert "Traceback" not in page  # the whole traceback is on the job's own page
    assert f'action="/staff/jobs/{job_id}/retry"' in page
    assert f'action="/staff/jobs/{job_id}/discard"' in page


def test_a_failed_jobs_page_shows_its_traceback(rq, redis_admin_client):
    job_id = _failed_job(rq, order_id=42)

    page = redis_admin_client.get(f"/staff/jobs/{job_id}")

    assert page.status_code == 200
    assert "Traceback (most recent call last)" in page.text
    assert "in fail_on_purpose" in page.text
    assert "nimal@example.lk" not in page.text
    assert "failed" in page.text and "<code>default</code>" in page.text


@pytest.mark.parametrize("job_id", ["no-such-job", "0123456789abcdef", "a" * 200, "not%20a%20job"])
def test_unknown_jobs_are_404(rq, redis_admin_client, job_id):
    assert redis_admin_client.get(f"/staff/jobs/{job_id}").status_code == 404
    assert redis_admin_client.post(f"/staff/jobs/{job_id}/retry").status_code == 404
    assert redis_admin_client.post(f"/staff/jobs/{job_id}/discard").status_code == 404


def test_retry_puts_the_job_back_on_its_queue(rq, redis_admin_client, admin):
    job_id = _failed_job(rq)

    response = redis_admin_client.post(f"/staff/jobs/{job_id}/retry")

    assert response.status_code == 303 and response.location == "/staff/jobs"
    assert job_id not in FailedJobRegistry("default", connection=rq)
    assert job_id in Queue("default", connection=rq).job_ids
    [entry] = _audit("jobs.retry")
    assert entry.actor_id == admin.id and entry.target_id == job_id
    assert entry.details == {"queue": "default", "function": FAILING}
    assert "back on its queue" in redis_admin_client.get("/staff/jobs").text

    _run(rq, "default")  # it fails again: back in the list, and can be retried again

    assert job_id in FailedJobRegistry("default", connection=rq)


def test_a_second_retry_of_the_same_job_says_it_is_done_already(rq, redis_admin_client):
    job_id = _failed_job(rq)
    redis_admin_client.post(f"/staff/jobs/{job_id}/retry")

    response = redis_admin_client.post(f"/staff/jobs/{job_id}/retry", follow_redirects=True)

    assert response.status_code == 200
    assert "not among the failed jobs any more" in response.text
    assert Queue("default", connection=rq).job_ids.count(job_id) == 1
    assert len(_audit("jobs.retry")) == 1


def test_discard_deletes_the_job(rq, redis_admin_client, admin):
    job_id = _failed_job(rq, "low")

    response = redis_admin_client.post(f"/staff/jobs/{job_id}/discard")

    assert response.status_code == 303
    assert not Job.exists(job_id, connection=rq)
    assert FailedJobRegistry("low", connection=rq).count == 0
    [entry] = _audit("jobs.discard")
    assert entry.actor_id == admin.id and entry.target_id == job_id
    page = redis_admin_client.get("/staff/jobs").text
    assert "The job is discarded." in page and "No failed jobs." in page


def test_an_unreachable_redis_is_said_not_a_500(make_app, admin, sign_in_staff):
    app = make_app(REDIS_URL="redis://127.0.0.1:1/0")
    c = sign_in_staff(admin, c=app.test_client())
    _failed_message()

    page = c.get("/staff/jobs")
    detail = c.get("/staff/jobs/0123456789abcdef")
    retry = c.post("/staff/jobs/0123456789abcdef/retry", follow_redirects=True)

    assert page.status_code == 200
    assert "Redis cannot be reached" in page.text
    assert "order_shipped" in page.text  # the outbox is still there
    assert detail.status_code == 503 and "Redis cannot be reached" in detail.text
    assert retry.status_code == 200 and "Redis cannot be reached" in retry.text


# ---- without Redis (embedded) ------------------------------------------------------------------

def test_embedded_mode_says_jobs_run_here_and_shows_the_outbox(admin_client, db_session):
    _failed_message()
    _failed_message(dedupe_key="order:43:shipped:sms", channel="sms", attempts=3,
                    recipient="+94771234567", last_error="gateway said no")
    db_session.add(OutboxMessage(channel="email", template="order_placed", recipient="a@b.lk",
                                 dedupe_key="pending:1", data="{}"))
    db_session.commit()

    page = admin_client.get("/staff/jobs")

    assert page.status_code == 200
    text = re.sub(r"\s+", " ", page.text)
    assert "jobs run in this process" in text
    assert "Queues" not in text and "Failed jobs" not in text
    assert "Waiting to be sent</dt><dd class=\"num\">1<" in text
    assert "Sent today</dt><dd class=\"num\">0<" in text
    assert "order_shipped" in text and "SMS" in text and "gateway said no" in text
    assert "SMTP 550: <[email]> refused, call [phone]" in page.text.replace("&lt;", "<") \
        .replace("&gt;", ">")
    assert "nimal@example.lk" not in page.text and "771234567" not in page.text
    assert "a@b.lk" not in page.text


def test_the_outbox_counts_what_was_sent_today(admin, db_session):
    from app.db import utcnow

    db_session.add(OutboxMessage(channel="email", template="order_placed", recipient="a@b.lk",
                                 dedupe_key="sent:1", data="{}", status="sent",
                                 sent_at=utcnow()))
    db_session.commit()

    counts = jobs.overview(admin).outbox

    assert (counts.pending, counts.failed, counts.sent_today) == (0, 0, 1)


def test_retrying_a_failed_message_sends_it(admin_client, admin, db_session, outbox):
    message = _failed_message()
    message_id = message.id

    response = admin_client.post(f"/staff/jobs/outbox/{message_id}/retry")

    assert response.status_code == 303 and response.location == "/staff/jobs"
    [mail] = outbox.to("nimal@example.lk")
    assert "KD-2026-000042" in mail["Subject"]
    assert _status(message_id) == "sent"
    [entry] = _audit("outbox.retry")
    assert entry.actor_id == admin.id and entry.target_id == str(message_id)
    assert "nimal@example.lk" not in str(entry.details)


def test_a_message_that_is_not_failed_is_not_retried(admin_client, db_session):
    message = _failed_message(status="sent")

    response = admin_client.post(f"/staff/jobs/outbox/{message.id}/retry",
                                 follow_redirects=True)

    assert "not waiting to be retried any more" in response.text
    assert _audit("outbox.retry") == []
    assert admin_client.post("/staff/jobs/outbox/999999/retry").status_code == 404


def test_without_redis_there_is_no_job_to_open(admin_client):
    assert admin_client.get("/staff/jobs/0123456789abcdef").status_code == 404
    assert admin_client.post("/staff/jobs/0123456789abcdef/retry").status_code == 404


def test_event_reactions_that_gave_up_are_counted_for_staff(admin_client, db_session):
    from app.events.models import Event, Handling

    event = Event(name="order.placed", key="order:KD-2026-000042", data={"n": 1})
    event.handlings = [Handling(handler="orders.placed_message", key=event.key,
                                status="failed", attempts=8, last_error="ValueError: x"),
                       Handling(handler="tests.other", key=event.key)]
    db_session.add(event)
    db_session.commit()

    page = admin_client.get("/staff/jobs")

    assert page.status_code == 200
    counts = page.text.split('id="events"', 1)[1]
    assert re.search(r"Reactions waiting</dt><dd class=\"num\">1<", counts)
    assert re.search(r"Reactions that gave up</dt><dd class=\"num\"><span[^>]*>1<", counts)


def test_staff_retry_an_event_reaction_that_gave_up(admin_client, admin, db_session, outbox):
    from app.events.models import Event, Handling
    from tests.checkout.factories import place_guest_order, stocked

    order = place_guest_order(stocked())
    [placed] = db_session.scalars(select(Handling).where(
        Handling.handler == "orders.placed_message")).all()
    # As if the handler had failed eight times before the mail was written.
    db_session.execute(delete(OutboxMessage))
    shutil.rmtree(outbox.folder, ignore_errors=True)
    placed.status, placed.attempts, placed.last_error = "failed", 8, "Error: nimal@example.lk"
    db_session.commit()
    event = db_session.get(Event, placed.event_id)

    page = admin_client.get("/staff/jobs")
    assert "orders.placed_message" in page.text and event.key in page.text
    assert "Error: [email]" in page.text and "nimal@example.lk" not in page.text

    response = admin_client.post(f"/staff/jobs/events/{placed.id}/retry")

    assert response.status_code == 303 and response.location == "/staff/jobs"
    placed = db_session.get(Handling, placed.id)
    assert (placed.status, placed.attempts) == ("done", 1)
    assert [m["X-Kade-Dedupe-Key"] for m in outbox.to("sarah@example.lk")] == [
        f"order:{order.number}:order_placed"]
    [entry] = _audit("events.retry")
    assert entry.actor_id == admin.id and entry.target_id == str(placed.id)
    again = admin_client.post(f"/staff/jobs/events/{placed.id}/retry")
    assert again.status_code == 303  # back to the list, with "not waiting any more"
