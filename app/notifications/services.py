"""Queue messages inside the caller's transaction; deliver them after it commits.

Domain code calls `queue_email`, `queue_sms` or `notify` (both channels, by the customer's
preferences): they only write outbox rows, in the caller's transaction. After the commit a
hook wakes the relay. The relay claims due rows with a lease (`FOR UPDATE SKIP LOCKED` on
PostgreSQL, so two relays never take the same row) and hands each to a delivery: an RQ job
carrying only the row's id when REDIS_URL is set, else a call in this process. A row becomes
`sent` only after the provider accepted it; a delivery that dies midway leaves the row
leased, and once the lease runs out the next relay sweep claims it again. A refused one
waits on its row (next_attempt_at) for the sweep: the row is the only retry clock. The
database is the truth; Redis is only the trigger, so an outage delays messages and loses
none.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
from email.message import EmailMessage

from flask import current_app, render_template
from flask_babel import force_locale
from jinja2 import TemplateNotFound
from redis.exceptions import RedisError
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from app import db
from app.db import transaction, utcnow, write_lock_first
from app.notifications.models import OutboxMessage, Preference
from app.notifications.transports import (
    DeliveryError,
    Sms,
    UndeliverableError,
    mailer_for,
    sms_sender_for,
)
from app.queue import queue as rq_queue
from app.redis_client import redis_for

log = logging.getLogger(__name__)

CLAIM_BATCH = 50


# ---- preferences -----------------------------------------------------------------------------

def preferences(user_id: int | None) -> Preference:
    """A customer's choices, or the defaults (also for guests) when none are saved."""
    found = db.session.get(Preference, user_id) if user_id else None
    return found or Preference(user_id=user_id or 0, sms_updates=True,
                               marketing_email=False, marketing_sms=False)


def set_preferences(user_id: int, *, sms_updates: bool, marketing_email: bool,
                    marketing_sms: bool) -> Preference:
    with transaction():
        found = db.session.get(Preference, user_id)
        if found is None:
            found = Preference(user_id=user_id)
            db.session.add(found)
        found.sms_updates, found.marketing_email, found.marketing_sms = (
            bool(sms_updates), bool(marketing_email), bool(marketing_sms))
        found.updated_at = utcnow()
    return found


def marketing_consenting(user_ids: list[int]) -> set[int]:
    """Those of `user_ids` who said yes to offers by mail or by SMS."""
    found: set[int] = set()
    for start in range(0, len(user_ids), 5000):
        found.update(db.session.scalars(select(Preference.user_id).where(
            Preference.user_id.in_(user_ids[start:start + 5000]),
            or_(Preference.marketing_email.is_(True), Preference.marketing_sms.is_(True)))))
    return found


def forget_user(user_id: int) -> int:
    """Erasure: every message to or about the customer goes, sent or waiting (a message
    keeps their address and its template data: their name, a reply's words). Their choices
    go too. Inside the caller's transaction. Returns how many messages were removed."""
    removed = db.session.execute(
        delete(OutboxMessage).where(OutboxMessage.user_id == user_id)
        .execution_options(synchronize_session=False)).rowcount
    db.session.execute(delete(Preference).where(Preference.user_id == user_id))
    return removed


# ---- the staff's view of the outbox (app.ops.jobs) ---------------------------------------------

def outbox_counts(*, sent_since) -> tuple[int, int, int]:
    """(pending, failed, sent since `sent_since`) messages."""
    pending, failed = _waiting_counts()
    sent = db.session.scalar(
        select(func.count()).select_from(OutboxMessage)
        .where(OutboxMessage.status == "sent", OutboxMessage.sent_at >= sent_since))
    return pending, failed, sent or 0


def backlog() -> tuple[int, int, dt.datetime | None]:
    """(pending, failed, since when the longest-waiting message has been due), for
    /metrics. A message waiting out its back-off is not due: one address that keeps
    failing must not read as a stalled relay."""
    oldest = db.session.scalar(select(func.min(OutboxMessage.next_attempt_at))
                               .where(OutboxMessage.status == "pending",
                                      OutboxMessage.next_attempt_at <= utcnow()))
    return (*_waiting_counts(), oldest)


def _waiting_counts() -> tuple[int, int]:
    by_status = dict(db.session.execute(
        select(OutboxMessage.status, func.count())
        .where(OutboxMessage.status.in_(("pending", "failed")))
        .group_by(OutboxMessage.status)).all())
    return by_status.get("pending", 0), by_status.get("failed", 0)


def failed_messages(limit: int) -> list:
    """The newest messages that gave up: rows of id, template, channel, purpose, attempts,
    last_error (unmasked: the caller masks it), created_at."""
    return list(db.session.execute(
        select(OutboxMessage.id, OutboxMessage.template, OutboxMessage.channel,
               OutboxMessage.purpose, OutboxMessage.attempts, OutboxMessage.last_error,
               OutboxMessage.created_at)
        .where(OutboxMessage.status == "failed")
        .order_by(OutboxMessage.id.desc()).limit(limit)).all())


def message_facts(message_id: int) -> tuple[str, str, str] | None:
    """The message's (status, template, channel), None when there is no such message."""
    message = db.session.get(OutboxMessage, message_id)
    return None if message is None else (message.status, message.template, message.channel)


def _wanted(channel: str, purpose: str, user_id: int | None) -> bool:
    """Whether a message may go out on this channel now. Transactional mail always does."""
    prefs = preferences(user_id)
    if purpose == "marketing":
        return bool(user_id) and (prefs.marketing_email if channel == "email"
                                  else prefs.marketing_sms)
    return channel == "email" or prefs.sms_updates


# ---- queueing ---------------------------------------------------------------------------------

def _queue(channel: str, template: str, *, to: str, locale: str, user_id: int | None,
           dedupe_key: str, purpose: str, data: dict) -> OutboxMessage | None:
    if purpose not in ("transactional", "marketing"):
        raise ValueError(f"unknown purpose {purpose!r}")
    with transaction():
        existing = db.session.scalar(
            select(OutboxMessage).where(OutboxMessage.dedupe_key == dedupe_key))
        if existing:
            existing.queued_now = False
            return existing
        if not _wanted(channel, purpose, user_id):
            return None
        message = OutboxMessage(channel=channel, purpose=purpose, template=template,
                                recipient=to, locale=locale, user_id=user_id,
                                dedupe_key=dedupe_key, data=json.dumps(data))
        message.queued_now = True  # not a column: tells the caller this call wrote it
        db.session.add(message)
        db.session.info["outbox_touched"] = True
    return message


def queue_email(template: str, *, to: str, locale: str = "en", user_id: int | None = None,
                dedupe_key: str, purpose: str = "transactional", **data) -> OutboxMessage | None:
    """Write a mail to the outbox within the current transaction. A second call with the
    same dedupe key is ignored, so a retried use case sends one mail. Marketing mail to a
    customer who has not opted in is not written at all (None)."""
    return _queue("email", template, to=to, locale=locale, user_id=user_id,
                  dedupe_key=dedupe_key, purpose=purpose, data=data)


def queue_sms(template: str, *, to: str, locale: str = "en", user_id: int | None = None,
              dedupe_key: str, purpose: str = "transactional", **data) -> OutboxMessage | None:
    """Write an SMS (`to` in E.164, Sri Lankan numbers only) to the outbox; None when the
    customer does not want this kind of SMS."""
    return _queue("sms", template, to=to, locale=locale, user_id=user_id,
                  dedupe_key=dedupe_key, purpose=purpose, data=data)


def has_sms_template(template: str) -> bool:
    try:
        current_app.jinja_env.get_template(f"sms/{template}.txt")
    except TemplateNotFound:
        return False
    return True


def notify(template: str, *, email: str | None, phone: str | None, locale: str = "en",
           user_id: int | None = None, dedupe_key: str, purpose: str = "transactional",
           **data) -> list[OutboxMessage]:
    """A message on every channel the customer wants and the template exists for: the mail
    (`emails/<template>.*`) and the SMS (`sms/<template>.txt`). The mail keeps the dedupe
    key as given, the SMS gets `:sms` appended, so each channel is sent once."""
    queued = []
    if email:
        queued.append(queue_email(template, to=email, locale=locale, user_id=user_id,
                                  dedupe_key=dedupe_key, purpose=purpose, **data))
    if phone and has_sms_template(template):
        queued.append(queue_sms(template, to=phone, locale=locale, user_id=user_id,
                                dedupe_key=f"{dedupe_key}:sms", purpose=purpose, **data))
    return [message for message in queued if message is not None]


# ---- rendering --------------------------------------------------------------------------------

def _render_email(message: OutboxMessage, config) -> EmailMessage:
    data = json.loads(message.data)
    with force_locale(message.locale):
        subject = render_template(f"emails/{message.template}.subject.txt", **data).strip()
        text = render_template(f"emails/{message.template}.txt", **data)
        html = render_template(f"emails/{message.template}.html", **data)
    mail = EmailMessage()
    mail["Subject"] = subject
    mail["From"] = config["MAIL_FROM"]
    mail["To"] = message.recipient
    # The dedupe key is the Message-ID, so a duplicate delivery is recognisable downstream.
    # Made from the key alone: a second copy after a crash carries the same Message-ID.
    safe_key = "".join(c if c.isalnum() or c in "-_." else "." for c in message.dedupe_key)
    mail["Message-ID"] = f"<{safe_key}@kade.lk>"
    mail["X-Kade-Dedupe-Key"] = message.dedupe_key
    if message.purpose == "marketing":
        unsubscribe = data.get("unsubscribe_url")
        if unsubscribe:
            # RFC 8058 one-click: mail clients show an "Unsubscribe" button.
            mail["List-Unsubscribe"] = f"<{unsubscribe}>"
            mail["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    mail.set_content(text)
    mail.add_alternative(html, subtype="html")
    return mail


def _render_sms(message: OutboxMessage) -> Sms:
    data = json.loads(message.data)
    with force_locale(message.locale):
        text = render_template(f"sms/{message.template}.txt", **data).strip()
    return Sms(to=message.recipient, text=" ".join(text.split()), dedupe_key=message.dedupe_key)


# ---- the relay and delivery -------------------------------------------------------------------
#
# One clock: the row. A delivery starts only from a claim of a due row (status pending,
# next_attempt_at passed, no live lease); a failed attempt writes the next try's time on the
# row and nothing else schedules one (the RQ job has no retries of its own). The lease an
# attempt takes outlasts the longest the attempt may run (the job is stopped at
# attempt_timeout()), so a slow send is never claimed again while it is in flight. And each
# claim carries the attempt count it saw: an attempt starts only by moving that count on,
# so two jobs for one claim (an RQ job run twice, a job still queued when its claim ran out
# and the row was claimed again) make one attempt between them.

def retry_intervals() -> list[int]:
    """The waits (seconds) after the 1st, 2nd, … failed attempt; after the last one the
    message gives up ("failed": listed on /staff/jobs, which may send it once more)."""
    raw = str(current_app.config["OUTBOX_RETRY_INTERVALS"])
    return [int(part) for part in raw.split(",") if part.strip()]


def max_attempts() -> int:
    return len(retry_intervals()) + 1


def _backoff(attempts: int) -> dt.timedelta:
    waits = retry_intervals() or [0]
    return dt.timedelta(seconds=waits[min(attempts, len(waits)) - 1])


def send_timeout() -> float:
    return float(current_app.config.get("OUTBOX_SEND_TIMEOUT_SECONDS", 20))


def attempt_timeout() -> int:
    """The longest one attempt may last, in whole seconds (RQ's job_timeout): the
    provider's answer (the SMS gateway's timeout counts once for connecting and once for
    reading, so twice it) plus a margin for rendering and recording the outcome."""
    return math.ceil(2 * send_timeout()) + 5


def _lease() -> dt.timedelta:
    """OUTBOX_LEASE_SECONDS, but never shorter than an attempt may last plus a margin for
    clocks: a shorter lease would let a sweep start a second delivery beside a slow one."""
    configured = int(current_app.config.get("OUTBOX_LEASE_SECONDS", 300))
    return dt.timedelta(seconds=max(configured, attempt_timeout() + 5))


def _due(now: dt.datetime):
    return ((OutboxMessage.status == "pending") & (OutboxMessage.next_attempt_at <= now)
            & (OutboxMessage.leased_until.is_(None) | (OutboxMessage.leased_until < now)))


def claim_due(session: Session, *, limit: int = CLAIM_BATCH) -> list[tuple[int, int]]:
    """Lease due messages to this relay; return (id, attempts so far) for each, the
    attempts being the claim's token for deliver(). On PostgreSQL the rows are locked with
    SKIP LOCKED, so a second relay running at the same moment takes others; on SQLite the
    write lock serialises relays."""
    now = utcnow()
    session.commit()  # a fresh transaction, which on SQLite takes the write lock first
    query = (select(OutboxMessage.id, OutboxMessage.attempts).where(_due(now))
             .order_by(OutboxMessage.id).limit(limit))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    with write_lock_first():
        claimed = [(row.id, row.attempts) for row in session.execute(query)]
        if claimed:
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_([id_ for id_, _ in claimed]), _due(now))
                .values(leased_until=now + _lease())
                .execution_options(synchronize_session=False))
        session.commit()
    return claimed


def _start_attempt(session: Session, message_id: int, attempts: int | None) -> bool:
    """Count the attempt and hold the lease while sending, only if the message is still
    as its claim saw it (pending, same attempt count). A message that gave up ("failed")
    is tried once more when asked (staff put its failed job back on the queue); it is
    pending again from here, so a second such job finds it taken. False: nothing to do."""
    session.commit()
    if attempts is None:  # a job queued before claims carried their count
        attempts = session.scalar(
            select(OutboxMessage.attempts).where(OutboxMessage.id == message_id))
        if attempts is None:
            return False
    started = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id,
               ((OutboxMessage.status == "pending") & (OutboxMessage.attempts == attempts))
               | (OutboxMessage.status == "failed"))
        .values(attempts=OutboxMessage.attempts + 1, leased_until=utcnow() + _lease(),
                status="pending")
        .execution_options(synchronize_session=False)).rowcount
    session.commit()
    return started == 1


def deliver(session: Session, message_id: int, attempts: int | None = None) -> bool:
    """Make one attempt at a message claimed with `attempts` (its token from claim_due).
    True when it is sent (now or before); False when there was nothing to do (sent,
    skipped, or another attempt took this claim). A refusal is recorded on the row
    (attempts, error, when to try next) and the message waits for the relay's sweep; when
    it was the last attempt allowed (or retrying cannot help) the row gives up ("failed")
    and DeliveryError is raised, so the job is listed with its error among RQ's failed jobs."""
    config = current_app.config
    started = _start_attempt(session, message_id, attempts)
    message = session.get(OutboxMessage, message_id)
    if message is None:
        return False
    session.refresh(message)
    session.commit()  # end the read: the outcome is written in a fresh transaction
    if message.status == "sent":
        return True
    if not started or message.status == "skipped":
        return False
    if message.purpose == "marketing" and not _wanted(message.channel, "marketing",
                                                      message.user_id):
        _finish(session, message, status="skipped")
        return False
    try:
        if message.channel == "sms":
            sms = _render_sms(message)
            reference = sms_sender_for(config).send(sms)
            _finish(session, message, status="sent", provider_ref=reference,
                    segments=sms.segments)
        else:
            mailer_for(config).send(_render_email(message, config), message.dedupe_key)
            _finish(session, message, status="sent")
    except DeliveryError as exc:
        give_up = isinstance(exc, UndeliverableError) or message.attempts >= max_attempts()
        message.last_error = str(exc)[:500]
        message.leased_until = None
        message.status = "failed" if give_up else "pending"
        message.next_attempt_at = utcnow() + _backoff(message.attempts)
        session.commit()
        log.warning("outbox_delivery_failed", extra={
            "message_id": message.id, "channel": message.channel,
            "attempts": message.attempts, "error": type(exc).__name__, "gave_up": give_up})
        if give_up:
            raise
        _wake_relay_at(message.next_attempt_at)
        return False
    log.info("outbox_delivered", extra={"message_id": message.id, "channel": message.channel,
                                        "template": message.template})
    return True


def _finish(session: Session, message: OutboxMessage, *, status: str, **values) -> None:
    message.status = status
    message.leased_until = None
    message.last_error = None
    if status == "sent":
        message.sent_at = utcnow()
    for name, value in values.items():
        setattr(message, name, value)
    session.commit()


def retry_failed(message_id: int) -> None:
    """Staff asked to try a message that gave up once more."""
    with transaction():
        db.session.execute(
            update(OutboxMessage).where(OutboxMessage.id == message_id,
                                        OutboxMessage.status == "failed")
            .values(status="pending", next_attempt_at=utcnow(), leased_until=None)
            .execution_options(synchronize_session=False))


def _own_session() -> Session:
    return Session(current_app.extensions["kade_engine"], expire_on_commit=False)


def relay_now() -> int:
    """Claim due messages and deliver them: through RQ with REDIS_URL (each message a job
    on `high`, or `low` for marketing, carrying only its id and its claim's token, with no
    RQ retries: the row says when to try again), else here and now. Returns how many were
    handed on (RQ) or sent (in-process). Safe to run twice or in parallel."""
    redis_url = current_app.config.get("REDIS_URL")
    handed = 0
    with _own_session() as session:
        claimed = claim_due(session)
        if not claimed:
            return 0
        if redis_url:
            purposes = dict(session.execute(
                select(OutboxMessage.id, OutboxMessage.purpose)
                .where(OutboxMessage.id.in_([id_ for id_, _ in claimed]))).all())
            connection = redis_for(current_app)
            for message_id, attempts in claimed:
                name = "low" if purposes.get(message_id) == "marketing" else "high"
                rq_queue(name, connection).enqueue(
                    "jobs.notifications.deliver", message_id, attempts,
                    job_timeout=attempt_timeout(),
                    description=f"deliver outbox message {message_id}")
                handed += 1
            return handed
        for message_id, attempts in claimed:
            try:
                handed += deliver(session, message_id, attempts)
            except DeliveryError:
                pass  # recorded on the row: it gave up, and /staff/jobs lists it
    return handed


def deliver_now(message_id: int, attempts: int | None = None) -> bool:
    """The delivery job's body: one attempt on a session of its own."""
    with _own_session() as session:
        return deliver(session, message_id, attempts)


def _wake_relay_at(when: dt.datetime) -> None:
    """With Redis, a relay run just after a failed message is due again, so it need not
    wait for the next sweep. Only a trigger: the relay claims what the rows say is due, so
    an early, late, lost or doubled wake-up changes nothing but the delay."""
    if not current_app.config.get("REDIS_URL"):
        return  # the embedded schedule's sweep is the trigger
    try:
        # A second late: RQ keeps whole seconds, and a wake-up a moment early finds nothing.
        rq_queue("high", redis_for(current_app)).enqueue_at(
            when + dt.timedelta(seconds=1), "jobs.notifications.relay",
            description="outbox relay, after a retry's wait")
    except RedisError:
        log.warning("outbox_wakeup_failed")  # the periodic sweep delivers later


def wake_relay(app) -> None:
    """Called once the transaction that queued messages has committed and handed its
    connection back to the pool (see init_app: waking the relay from the commit hook itself,
    while that connection was still checked out, starved the pool when many requests
    committed at once). With Redis: an RQ job. Without: the relay runs here and now."""
    if app.config.get("REDIS_URL"):
        try:
            # By name, so this module needs nothing from jobs/ (jobs sit above services).
            rq_queue("high", redis_for(app)).enqueue(
                "jobs.notifications.relay", job_id="outbox-relay-wakeup", at_front=True)
        except RedisError:
            log.warning("outbox_wakeup_failed")  # the periodic sweep delivers later
        return
    relay_now()


def init_app(app) -> None:
    db.call_after_commit("outbox_touched", wake_relay, failure_event="outbox_relay_failed")
