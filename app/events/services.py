"""Domain events: published in the transaction of the change, handled after it commits.

A service calls `publish("order.placed", key="order:KD-2026-000042", number=...)` inside its
transaction. That writes the event and one handling row per handler registered for the name
(`@handler("order.placed", name="orders.confirmation_mail")`), so the event and its
handlings commit or roll back with the change. After the commit a hook wakes delivery: an
RQ job ("jobs.events.deliver") when REDIS_URL is set, else a call in this process at once.

Delivery claims one due handling at a time with a lease (SKIP LOCKED on PostgreSQL), runs
its handler in a transaction of its own and marks it done in that same transaction, so what
the handler wrote and "done" commit together. A handler that raises is rolled back alone:
its row records the error and a backoff (the row is the one retry clock) and the event's
other handlings are untouched. After EVENTS_MAX_ATTEMPTS it is `failed`, for staff to see
and retry. A worker killed mid-handler leaves the row leased; once the lease runs out the
periodic sweep claims it again. Per key and handler, events are handled in the order they
were published: a handling waits while an earlier one of the same key is pending for the
same handler. Handlers run at least once; they must be idempotent (an outbox dedupe key).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app
from redis.exceptions import RedisError
from sqlalchemy import exists, func, or_, select, update
from sqlalchemy.orm import aliased

from app import db
from app.db import transaction, utcnow
from app.events.models import Event, Handling
from app.queue import queue as rq_queue
from app.redis_client import redis_for

log = logging.getLogger(__name__)

DELIVER_BATCH = 200  # handlings per delivery run; a longer queue wakes another run
_SCALARS = (int, float, bool, str, type(None))


@dataclass(frozen=True)
class PublishedEvent:
    """What a handler gets: plain values, read when the handling runs."""

    id: int
    name: str
    key: str
    data: dict
    created_at: dt.datetime


@dataclass(frozen=True)
class _Registered:
    name: str
    event: str
    func: Callable[[PublishedEvent], object]


_by_event: dict[str, list[_Registered]] = {}
_by_name: dict[str, _Registered] = {}


# ---- registering handlers ---------------------------------------------------------------------

def handler(event: str, *, name: str):
    """Register the decorated function as handler `name` of `event`. The name is stored with
    each handling, so it must stay the same across deploys (rename = a new handler). Put
    handlers in `app/<domain>/handlers.py`; the app factory imports those modules."""

    def register(func):
        known = _by_name.get(name)
        if known is not None and (known.event != event or known.func.__qualname__
                                  != func.__qualname__):
            raise ValueError(f"event handler name {name!r} is taken")
        registered = _Registered(name=name, event=event, func=func)
        _by_name[name] = registered
        handlers = [h for h in _by_event.get(event, []) if h.name != name]
        _by_event[event] = [*handlers, registered]
        return func

    return register


def handlers_for(event: str) -> list[str]:
    """The names of the handlers registered for `event`, in registration order."""
    return [h.name for h in _by_event.get(event, [])]


@contextlib.contextmanager
def registry_snapshot():
    """Tests: handlers registered inside the block are forgotten after it."""
    by_event = {event: list(handlers) for event, handlers in _by_event.items()}
    by_name = dict(_by_name)
    try:
        yield
    finally:
        _by_event.clear()
        _by_event.update(by_event)
        _by_name.clear()
        _by_name.update(by_name)


# ---- publishing -------------------------------------------------------------------------------

def _check_data(name: str, key: str, data: dict) -> None:
    """Events keep ids and numbers, never personal data: they outlive an erasure and travel
    to every handler. Plain JSON scalars (or lists of them); strings short, with no '@'."""
    if not name or len(name) > 64 or not key or len(key) > 64:
        raise ValueError("an event needs a name and a key of at most 64 characters")
    for field, value in data.items():
        for item in value if isinstance(value, list | tuple) else (value,):
            if not isinstance(item, _SCALARS) or (
                    isinstance(item, str) and (len(item) > 64 or "@" in item)):
                raise ValueError(f"event {name}: {field} must be an id, a number or a code")


def publish(name: str, /, *, key: str, **data) -> PublishedEvent:
    """Record that `name` happened to the aggregate `key`, inside the caller's transaction,
    with a pending handling for each handler registered for `name`. Nothing is handled
    before the transaction commits; a rollback publishes nothing. `data`: ids, numbers,
    codes (no names, addresses, phones or emails)."""
    _check_data(name, key, data)
    handlers = _by_event.get(name, [])
    now = utcnow()
    with transaction():
        # Written as rows, not ORM objects: nothing reads them back in the request that
        # publishes (every order does), and the unit of work cost more than the statements.
        event_id = db.session.execute(_EVENT, {"name": name, "key": key, "data": dict(data),
                                               "created_at": now}).inserted_primary_key[0]
        if handlers:
            db.session.execute(_HANDLING, [
                {"event_id": event_id, "handler": registered.name, "key": key,
                 "next_attempt_at": now} for registered in handlers])
            db.session.info["events_touched"] = True
    log.info("event_published", extra={"event": name, "handlers": len(handlers)})
    return PublishedEvent(event_id, name, key, dict(data), now)


_EVENT, _HANDLING = Event.__table__.insert(), Handling.__table__.insert()


# ---- delivering -------------------------------------------------------------------------------

class LeaseLost(Exception):
    """The handling was claimed again by another worker while this one ran it (its lease
    ran out): this run's writes are rolled back; the other's stand."""


def _lease() -> dt.timedelta:
    return dt.timedelta(seconds=current_app.config.get("EVENTS_LEASE_SECONDS", 300))


def _backoff(attempts: int) -> dt.timedelta:
    first = current_app.config.get("EVENTS_RETRY_SECONDS", 30)
    return dt.timedelta(seconds=min(3600, first * 2 ** max(0, attempts - 1)))


def _claimable(now: dt.datetime):
    earlier = aliased(Handling)
    waiting_behind = exists().where(
        earlier.handler == Handling.handler, earlier.key == Handling.key,
        earlier.event_id < Handling.event_id, earlier.status == "pending")
    return (select(Handling.id)
            .where(Handling.status == "pending", Handling.next_attempt_at <= now,
                   or_(Handling.leased_until.is_(None), Handling.leased_until < now),
                   ~waiting_behind)
            .order_by(Handling.event_id, Handling.id).limit(1))


def claim_next(now: dt.datetime | None = None) -> tuple[int, int] | None:
    """Lease the next due handling to this worker: (its id, its attempt number), or None.
    Due: pending, past its backoff, not leased (or the lease ran out), and no earlier event
    of its key waiting for the same handler."""
    now = now or utcnow()
    with transaction():
        query = _claimable(now)
        if db.session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True, of=Handling)
        handling_id = db.session.scalar(query)
        if handling_id is None:
            return None
        db.session.execute(
            update(Handling).where(Handling.id == handling_id)
            .values(attempts=Handling.attempts + 1, leased_until=now + _lease())
            .execution_options(synchronize_session=False))
        attempt = db.session.scalar(select(Handling.attempts).where(Handling.id == handling_id))
    return handling_id, attempt


def run_handling(handling_id: int, attempt: int, now: dt.datetime | None = None) -> bool:
    """Run one claimed handling's handler in a transaction of its own. True when done."""
    row = db.session.execute(
        select(Handling.handler, Event.id, Event.name, Event.key, Event.data, Event.created_at)
        .join(Event, Event.id == Handling.event_id).where(Handling.id == handling_id)).one()
    name = row.handler
    event = PublishedEvent(id=row.id, name=row.name, key=row.key, data=dict(row.data or {}),
                           created_at=row.created_at)
    mine = (Handling.id == handling_id, Handling.attempts == attempt,
            Handling.status == "pending")
    try:
        with transaction():
            registered = _by_name.get(name)
            if registered is None:
                raise LookupError(f"no handler named {name} is registered")
            registered.func(event)
            done = db.session.execute(
                update(Handling).where(*mine)
                .values(status="done", leased_until=None, last_error=None, done_at=utcnow())
                .execution_options(synchronize_session=False)).rowcount
            if done != 1:
                raise LeaseLost()
    except LeaseLost:
        log.warning("event_lease_lost", extra={"handling_id": handling_id, "handler": name})
        return False
    except Exception as exc:
        now = now or utcnow()
        give_up = attempt >= current_app.config.get("EVENTS_MAX_ATTEMPTS", 8)
        with transaction():
            db.session.execute(
                update(Handling).where(*mine)
                .values(status="failed" if give_up else "pending", leased_until=None,
                        next_attempt_at=now + _backoff(attempt),
                        last_error=f"{type(exc).__name__}: {exc}"[:500])
                .execution_options(synchronize_session=False))
        log.warning("event_handler_failed", extra={
            "handling_id": handling_id, "event_id": event.id, "event": event.name,
            "handler": name, "attempts": attempt, "gave_up": give_up,
            "error": type(exc).__name__}, exc_info=True)
        return False
    log.info("event_handled", extra={"handling_id": handling_id, "event_id": event.id,
                                     "event": event.name, "handler": name})
    return True


def deliver_due(*, limit: int = DELIVER_BATCH, now: dt.datetime | None = None) -> int:
    """Claim and run due handlings one by one until none is due or `limit` were run.
    Returns how many ran (done or failed). Safe to run twice or in two workers at once."""
    ran = 0
    while ran < limit:
        claimed = claim_next(now)
        if claimed is None:
            break
        run_handling(*claimed, now=now)
        ran += 1
    return ran


@contextlib.contextmanager
def _session_of_its_own():
    """The in-process delivery runs inside the commit hook of the caller's session: give
    it a fresh session for the thread (services use the scoped `db.session`), so its
    transactions are outermost and commit, and the caller's session is left as it was."""
    registry = db.session.registry
    outer = registry() if registry.has() else None
    fresh = db.session.session_factory()
    registry.set(fresh)
    try:
        yield
    finally:
        fresh.close()
        if outer is not None:
            registry.set(outer)
        else:
            registry.clear()


# A commit that published events queues a delivery job unless one is queued and not yet
# started: each order queued one (an RQ job, a few Redis commands: 3 % of a checkout's
# CPU), and a busy worker then ran a queue of jobs that found nothing left to do. The job
# clears this mark as it starts, before it reads what is due, so an event committed after
# that either is read by it or finds the mark gone and queues the next job. The mark
# expires, so a job lost with its worker holds up no wake-up for longer than that (the
# periodic sweep runs every minute anyway).
WAKE_MARK = "kade:events:wake-queued"
WAKE_MARK_SECONDS = 60


def wake(app) -> None:
    """After a commit that published events: an RQ job on `high` with REDIS_URL (none when
    one is already waiting), else the handlers run here and now (each in its own
    transaction)."""
    if app.config.get("REDIS_URL"):
        redis = redis_for(app)
        try:
            if not redis.set(WAKE_MARK, 1, nx=True, ex=WAKE_MARK_SECONDS):
                return  # a queued job will read this commit's events
            # By name: the app never imports jobs/.
            rq_queue("high", redis).enqueue("jobs.events.deliver",
                                            description="deliver domain events")
        except RedisError:
            log.warning("events_wakeup_failed")  # the periodic sweep delivers them later
            with contextlib.suppress(RedisError):
                redis.delete(WAKE_MARK)  # so the next commit tries again
        return
    with _session_of_its_own():
        deliver_due()


def woken(app) -> None:
    """The delivery job's first step, before it reads what is due (see WAKE_MARK)."""
    if app.config.get("REDIS_URL"):
        try:
            redis_for(app).delete(WAKE_MARK)
        except RedisError:
            log.warning("events_wakeup_failed")


# ---- staff ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Counts:
    pending: int
    failed: int


def counts() -> Counts:
    by_status = dict(db.session.execute(
        select(Handling.status, func.count()).where(Handling.status.in_(("pending", "failed")))
        .group_by(Handling.status)).all())
    return Counts(pending=by_status.get("pending", 0), failed=by_status.get("failed", 0))


def due_since() -> dt.datetime | None:
    """Since when the longest-waiting handling has been due (a handling waiting out its
    back-off is not due yet), for /metrics: how far delivery lags."""
    return db.session.scalar(select(func.min(Handling.next_attempt_at))
                             .where(Handling.status == "pending",
                                    Handling.next_attempt_at <= utcnow()))


def failed_handlings(limit: int = 50) -> list[tuple[Handling, Event]]:
    return list(db.session.execute(
        select(Handling, Event).join(Event, Event.id == Handling.event_id)
        .where(Handling.status == "failed").order_by(Handling.id.desc()).limit(limit)).all())


def retry_failed(handling_id: int) -> bool:
    """Staff ask for a failed handling to be tried again (it gets a fresh set of attempts).
    False when it is not failed (any more)."""
    with transaction():
        changed = db.session.execute(
            update(Handling).where(Handling.id == handling_id, Handling.status == "failed")
            .values(status="pending", attempts=0, next_attempt_at=utcnow(), leased_until=None)
            .execution_options(synchronize_session=False)).rowcount
        if changed:
            db.session.info["events_touched"] = True
    return bool(changed)


# ---- wiring -----------------------------------------------------------------------------------

def init_app(app) -> None:
    """Register the handlers of EVENT_HANDLER_MODULES and hook delivery to the session's
    commits (once per process: the scoped session is process-wide)."""
    import importlib

    for module in filter(None, (m.strip() for m in
                                app.config.get("EVENT_HANDLER_MODULES", "").split(","))):
        importlib.import_module(module)
    db.call_after_commit("events_touched", wake, failure_event="events_delivery_failed")
