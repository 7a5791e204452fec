"""What the background jobs are doing, for the back office at /staff/jobs.

With REDIS_URL the numbers come from RQ itself: each queue's length and its registries
(started, scheduled, deferred, failed, finished), and the failed jobs with their error, read
from FailedJobRegistry and the job's latest result. Staff may put a failed job back on its
queue (retry) or delete it (discard). Without REDIS_URL (the embedded default) jobs run in
threads of the web process and leave no trace but the outbox, so the outbox is what is shown:
its counts and the messages that gave up, which staff may send again.

Only administrators may look (Permission.MANAGE_JOBS): a traceback can quote what a job
touched. Jobs carry ids only, but errors from a mail server can name an address, so personal data
and tokens are masked in what is shown (app.security.masking, as the worker masks its logs),
and nothing here logs an error or a traceback.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import lazy_gettext as _l
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue
from rq.exceptions import DeserializationError, InvalidJobOperation, NoSuchJobError
from rq.job import Job
from rq.registry import (
    DeferredJobRegistry,
    FailedJobRegistry,
    FinishedJobRegistry,
    ScheduledJobRegistry,
    StartedJobRegistry,
)
from rq.results import Result

from app import db
from app.audit import services as audit
from app.db import transaction, utcnow
from app.errors import Conflict, DomainError, NotFound
from app.events import services as events_services
from app.i18n import COLOMBO
from app.notifications import services as notifications
from app.queue import QUEUES
from app.redis_client import redis_for
from app.security.masking import mask
from app.security.roles import Permission, require

FAILED_LIMIT = 50  # failed jobs (and failed messages) listed; the counts tell the rest
# RQ's ids are UUID hex; ours may be names ("outbox-relay-wakeup"). Anything else is no job.
JOB_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$")


class RedisUnavailable(DomainError):
    code = "redis_unavailable"
    status = 503
    default_message = _l("Redis cannot be reached, so the job queues cannot be read or "
                         "changed. Try again in a moment.")


class NotFailed(Conflict):
    code = "job_not_failed"
    default_message = _l("This job is not among the failed jobs any more: it may have been "
                         "retried or discarded already.")


class MessageNotFailed(Conflict):
    code = "message_not_failed"
    default_message = _l("This message is not waiting to be retried any more: it may have "
                         "been sent already.")


class ReactionNotFailed(Conflict):
    code = "reaction_not_failed"
    default_message = _l("This reaction is not waiting to be retried any more: it may have "
                         "been retried already.")


@dataclass(frozen=True)
class QueueCounts:
    name: str
    queued: int
    started: int
    scheduled: int
    deferred: int
    failed: int
    finished: int


@dataclass(frozen=True)
class JobInfo:
    id: str
    queue: str
    status: str
    function: str
    description: str
    enqueued_at: dt.datetime | None
    ended_at: dt.datetime | None
    error: str  # the last line of the traceback, masked
    traceback: str | None = None  # only from job(), for the detail page

    @property
    def is_failed(self) -> bool:
        return self.status == "failed"


@dataclass(frozen=True)
class OutboxCounts:
    pending: int
    failed: int
    sent_today: int


@dataclass(frozen=True)
class FailedMessage:
    """An outbox message that gave up; no recipient, no template data."""

    id: int
    template: str
    channel: str
    purpose: str
    attempts: int
    last_error: str
    created_at: dt.datetime


@dataclass(frozen=True)
class FailedReaction:
    """An event handler that gave up on one event: what happened, to what, the error."""

    id: int
    event: str
    key: str
    handler: str
    attempts: int
    last_error: str
    created_at: dt.datetime


@dataclass(frozen=True)
class Overview:
    embedded: bool  # no REDIS_URL: jobs run in threads of this process
    redis_down: bool  # REDIS_URL is set but Redis did not answer
    queues: list[QueueCounts] = field(default_factory=list)
    failed_jobs: list[JobInfo] = field(default_factory=list)
    failed_total: int = 0
    outbox: OutboxCounts = OutboxCounts(0, 0, 0)
    failed_messages: list[FailedMessage] = field(default_factory=list)
    failed_messages_total: int = 0
    # Domain events' handlings (app/events): waiting, and given up after their attempts.
    events: events_services.Counts = events_services.Counts(0, 0)
    failed_reactions: list[FailedReaction] = field(default_factory=list)


def _connection() -> Redis | None:
    return redis_for(current_app)


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _exc_string(job: Job) -> str:
    result = job.latest_result()
    if result is not None and result.type == Result.Type.FAILED:
        return result.exc_string or ""
    return ""


def _last_line(traceback: str) -> str:
    lines = [line.strip() for line in traceback.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


def _info(job: Job, *, with_traceback: bool = False) -> JobInfo:
    try:
        function = job.func_name or ""
    except DeserializationError:
        function = "?"
    found = job.get_status(refresh=False)
    status = str(getattr(found, "value", found) or "")
    traceback = mask(_exc_string(job)) if (status == "failed" or with_traceback) else ""
    return JobInfo(id=job.id, queue=job.origin, status=status, function=function,
                   description=mask(job.description or ""),
                   enqueued_at=_aware(job.enqueued_at), ended_at=_aware(job.ended_at),
                   error=_last_line(traceback),
                   traceback=traceback if with_traceback else None)


def _queue_counts(connection: Redis, name: str) -> QueueCounts:
    queue = Queue(name, connection=connection)

    def count(registry) -> int:
        # No clean-up: looking at the page must not move jobs about (workers do that).
        return registry.get_job_count(cleanup=False)

    return QueueCounts(
        name=name, queued=queue.count,
        started=count(StartedJobRegistry(queue=queue)),
        scheduled=count(ScheduledJobRegistry(queue=queue)),
        deferred=count(DeferredJobRegistry(queue=queue)),
        failed=count(FailedJobRegistry(queue=queue)),
        finished=count(FinishedJobRegistry(queue=queue)))


def _failed_jobs(connection: Redis, limit: int) -> list[JobInfo]:
    found: list[JobInfo] = []
    for name in QUEUES:
        registry = FailedJobRegistry(name, connection=connection)
        ids = registry.get_job_ids(0, limit - 1, desc=True, cleanup=False)
        for job in Job.fetch_many(ids, connection=connection):
            if job is not None:
                found.append(_info(job))
    oldest = dt.datetime.min.replace(tzinfo=dt.UTC)
    found.sort(key=lambda j: j.ended_at or j.enqueued_at or oldest, reverse=True)
    return found[:limit]


def _start_of_today() -> dt.datetime:
    local = utcnow().astimezone(COLOMBO)
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(dt.UTC)


def outbox_counts() -> OutboxCounts:
    pending, failed, sent_today = notifications.outbox_counts(sent_since=_start_of_today())
    return OutboxCounts(pending=pending, failed=failed, sent_today=sent_today)


def _failed_messages(limit: int) -> list[FailedMessage]:
    rows = notifications.failed_messages(limit)
    return [FailedMessage(id=r.id, template=r.template, channel=r.channel, purpose=r.purpose,
                          attempts=r.attempts, last_error=mask(r.last_error),
                          created_at=r.created_at) for r in rows]


def overview(actor, *, limit: int = FAILED_LIMIT) -> Overview:
    """The queues, the failed jobs and the outbox. An unreachable Redis is reported, not
    raised, so the page still shows the outbox. Raises Forbidden."""
    require(actor, Permission.MANAGE_JOBS)
    outbox = outbox_counts()
    messages = _failed_messages(limit)
    handlings = events_services.counts()
    reactions = [FailedReaction(id=h.id, event=e.name, key=e.key, handler=h.handler,
                                attempts=h.attempts, last_error=mask(h.last_error),
                                created_at=e.created_at)
                 for h, e in events_services.failed_handlings(limit)]
    db.session.commit()  # end the read
    common = {"outbox": outbox, "failed_messages": messages,
              "failed_messages_total": outbox.failed, "events": handlings,
              "failed_reactions": reactions}
    connection = _connection()
    if connection is None:
        return Overview(embedded=True, redis_down=False, **common)
    try:
        queues = [_queue_counts(connection, name) for name in QUEUES]
        failed = _failed_jobs(connection, limit)
    except RedisError:
        return Overview(embedded=False, redis_down=True, **common)
    finally:
        connection.close()
    return Overview(embedded=False, redis_down=False, queues=queues, failed_jobs=failed,
                    failed_total=sum(q.failed for q in queues), **common)


def _require_connection() -> Redis:
    connection = _connection()
    if connection is None:
        raise NotFound()  # embedded: there are no RQ jobs to find
    return connection


def _fetch(connection: Redis, job_id: str) -> Job:
    if not JOB_ID.match(job_id or ""):
        raise NotFound()
    try:
        job = Job.fetch(job_id, connection=connection)
    except NoSuchJobError as exc:
        raise NotFound() from exc
    except DeserializationError as exc:
        raise NotFound() from exc
    if job.origin not in QUEUES:
        raise NotFound()
    return job


def _failed(connection: Redis, job_id: str) -> Job:
    job = _fetch(connection, job_id)
    if job.id not in FailedJobRegistry(job.origin, connection=connection):
        raise NotFailed()
    return job


def job(job_id: str, actor) -> JobInfo:
    """One job with its full traceback (masked). Raises Forbidden, NotFound (unknown id, or
    no Redis at all), RedisUnavailable."""
    require(actor, Permission.MANAGE_JOBS)
    connection = _require_connection()
    try:
        return _info(_fetch(connection, job_id), with_traceback=True)
    except RedisError as exc:
        raise RedisUnavailable() from exc
    finally:
        connection.close()


def retry(job_id: str, actor, *, ip: str | None = None) -> JobInfo:
    """Put a failed job back on its queue, at the end, as it was first enqueued. Raises
    Forbidden, NotFound, NotFailed (retried or discarded meanwhile), RedisUnavailable."""
    require(actor, Permission.MANAGE_JOBS)
    connection = _require_connection()
    try:
        found = _failed(connection, job_id)
        info = _info(found)
        try:
            FailedJobRegistry(found.origin, connection=connection).requeue(found)
        except InvalidJobOperation as exc:  # another admin was quicker
            raise NotFailed() from exc
    except RedisError as exc:
        raise RedisUnavailable() from exc
    finally:
        connection.close()
    audit.record("jobs.retry", actor_id=getattr(actor, "id", None), target_type="job",
                 target_id=job_id, ip=ip, queue=info.queue, function=info.function)
    return info


def discard(job_id: str, actor, *, ip: str | None = None) -> JobInfo:
    """Delete a failed job for good (its outbox row, if any, stays as it is). Raises
    Forbidden, NotFound, NotFailed, RedisUnavailable."""
    require(actor, Permission.MANAGE_JOBS)
    connection = _require_connection()
    try:
        found = _failed(connection, job_id)
        info = _info(found)
        found.delete()
    except RedisError as exc:
        raise RedisUnavailable() from exc
    finally:
        connection.close()
    audit.record("jobs.discard", actor_id=getattr(actor, "id", None), target_type="job",
                 target_id=job_id, ip=ip, queue=info.queue, function=info.function)
    return info


def retry_reaction(handling_id: int, actor, *, ip: str | None = None) -> None:
    """Run an event handler that gave up once more, with a fresh set of attempts (at once
    after the commit). Raises Forbidden, ReactionNotFailed."""
    require(actor, Permission.MANAGE_JOBS)
    with transaction():
        if not events_services.retry_failed(handling_id):
            raise ReactionNotFailed()
        audit.record("events.retry", actor_id=getattr(actor, "id", None),
                     target_type="event_handling", target_id=handling_id, ip=ip)


def retry_message(message_id: int, actor, *, ip: str | None = None) -> None:
    """Send an outbox message that gave up once more: it becomes due now and the relay is
    woken. Raises Forbidden, NotFound, MessageNotFailed."""
    require(actor, Permission.MANAGE_JOBS)
    with transaction():
        facts = notifications.message_facts(message_id)
        if facts is None:
            raise NotFound()
        status, template, channel = facts
        if status != "failed":
            raise MessageNotFailed()
        notifications.retry_failed(message_id)
        audit.record("outbox.retry", actor_id=getattr(actor, "id", None),
                     target_type="outbox_message", target_id=message_id, ip=ip,
                     template=template, channel=channel)
    try:
        notifications.wake_relay(current_app._get_current_object())
    except RedisError:
        pass  # the row is due; the periodic sweep sends it
