"""Queue messages inside the caller's transaction; deliver them after it commits.

`queue_email` only writes an outbox row. When the surrounding transaction commits, a hook
wakes the relay: in-process at once in the embedded default, or an RQ job when REDIS_URL is
set. A row becomes `sent` only after the provider accepted it, so a crash or a Redis outage
delays a message and loses none.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from email.message import EmailMessage
from email.utils import make_msgid

from flask import current_app, render_template
from flask_babel import force_locale
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from app import db, queue
from app.db import transaction, utcnow
from app.notifications.models import OutboxMessage
from app.notifications.transports import DeliveryError, mailer_for

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
LEASE = dt.timedelta(minutes=5)


def queue_email(template: str, *, to: str, locale: str = "en", user_id: int | None = None,
                dedupe_key: str, **data) -> OutboxMessage:
    """Write a mail to the outbox within the current transaction. A second call with the
    same dedupe key is ignored, so a retried use case sends one mail."""
    with transaction():
        existing = db.session.scalar(
            select(OutboxMessage).where(OutboxMessage.dedupe_key == dedupe_key))
        if existing:
            return existing
        message = OutboxMessage(channel="email", template=template, recipient=to,
                                locale=locale, user_id=user_id, dedupe_key=dedupe_key,
                                data=json.dumps(data))
        db.session.add(message)
        db.session.info["outbox_touched"] = True
    return message


def _backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(3600, 30 * 2 ** max(0, attempts - 1)))


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
    mail["Message-ID"] = make_msgid(idstring=message.dedupe_key.replace(":", "."),
                                    domain="kade.lk")
    mail["X-Kade-Dedupe-Key"] = message.dedupe_key
    mail.set_content(text)
    mail.add_alternative(html, subtype="html")
    return mail


def deliver_due(session: Session, *, limit: int = 50) -> int:
    """Deliver pending messages whose time has come; returns how many were sent."""
    config = current_app.config
    mailer = mailer_for(config)
    now = utcnow()
    sent = 0
    candidates = session.scalars(
        select(OutboxMessage.id)
        .where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now,
               (OutboxMessage.leased_until.is_(None)) | (OutboxMessage.leased_until < now))
        .order_by(OutboxMessage.id).limit(limit)
    ).all()
    # End the read before claiming: on SQLite a transaction that read and then writes fails
    # at once if another process wrote in between; each claim below starts afresh.
    session.commit()
    for message_id in candidates:
        # Claim with a conditional update so two relays never deliver the same row.
        claimed = session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id, OutboxMessage.status == "pending",
                   (OutboxMessage.leased_until.is_(None)) | (OutboxMessage.leased_until < now))
            .values(leased_until=now + LEASE, attempts=OutboxMessage.attempts + 1)
        ).rowcount
        session.commit()
        if not claimed:
            continue
        message = session.get(OutboxMessage, message_id)
        session.refresh(message)
        session.commit()  # end the read: the result below is written in a fresh transaction
        try:
            mailer.send(_render_email(message, config), message.dedupe_key)
        except DeliveryError as exc:
            message.last_error = str(exc)
            message.leased_until = None
            if message.attempts >= MAX_ATTEMPTS:
                message.status = "failed"
            message.next_attempt_at = utcnow() + _backoff(message.attempts)
            log.warning("outbox_delivery_failed",
                        extra={"message_id": message.id, "attempts": message.attempts})
        else:
            message.status = "sent"
            message.sent_at = utcnow()
            message.leased_until = None
            sent += 1
            log.info("outbox_delivered", extra={"message_id": message.id,
                                                "template": message.template})
        session.commit()
    return sent


def relay_now() -> int:
    """Deliver due messages on a session of its own (safe to call right after a commit)."""
    engine = current_app.extensions["kade_engine"]
    with Session(engine, expire_on_commit=False) as s:
        return deliver_due(s)


def wake_relay(app) -> None:
    """Called after a commit that queued messages. The relay always runs apart from the
    committing code: the commit hook fires while the caller's connection is still checked
    out, and a relay that waited there for a second connection could starve the pool when
    many requests commit at once."""
    if app.config.get("REDIS_URL"):
        try:
            # By name, so this module needs nothing from jobs/ (jobs sit above services).
            Queue("high", connection=Redis.from_url(app.config["REDIS_URL"])).enqueue(
                "jobs.notifications.relay", job_id="outbox-relay-wakeup", at_front=True)
        except RedisError:
            log.warning("outbox_wakeup_failed")  # the periodic sweep delivers later
        return
    queue.enqueue("jobs.notifications.relay", queue="high")


_hooks_installed = False


def init_app(app) -> None:
    global _hooks_installed
    if _hooks_installed:  # the scoped session is process-wide; hook it once
        return
    _hooks_installed = True

    @event.listens_for(db.session, "after_commit")
    def _after_commit(sess):
        if sess.info.pop("outbox_touched", False):
            try:
                wake_relay(current_app._get_current_object())
            except Exception:
                # The commit already happened; a failed delivery must not undo the caller's
                # work. The row stays pending and the periodic sweep tries again.
                log.exception("outbox_relay_failed")

    @event.listens_for(db.session, "after_soft_rollback")
    def _after_rollback(sess, _previous):
        sess.info.pop("outbox_touched", None)
