"""A staff reply tells the customer: one mail (with the reply, escaped) and one SMS (without
it), in the customer's language, with a link to the thread; a note tells no one; a retried
reply is not sent twice."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from app import db
from app.errors import Forbidden
from app.notifications import services as notifications
from app.notifications.models import OutboxMessage
from app.queue import wait_for_local_jobs
from app.support import services as support
from tests.factories import make_customer, make_staff


def _sms_files(app) -> list[dict]:
    wait_for_local_jobs(app)
    folder = Path(app.config["OUTBOX_DIR"])
    return [json.loads(p.read_text()) for p in sorted(folder.glob("*.sms.json"))]


def _rows() -> list[OutboxMessage]:
    """The support mails and SMS written to the outbox."""
    db.session.commit()  # a fresh snapshot: the relay wrote from its own connection
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.template == "support_reply").order_by(OutboxMessage.id)))


def test_a_staff_reply_sends_one_mail_and_one_sms_in_the_customers_language(
        app, db_session, outbox):
    customer = make_customer(name="Sunethra", locale="si", phone="+94771234567")
    agent = make_staff("support_agent")
    ticket = support.open_ticket(customer.id, subject="Parcel <b>late</b>",
                                 body="Where is it?")

    reply = support.staff_reply(
        ticket.id, "It left today.\n<script>alert(1)</script> Call us: 0112345678",
        actor=agent)

    [mail] = outbox.to(customer.email, "support-reply")
    assert mail["X-Kade-Dedupe-Key"] == f"support-reply:{reply.id}"
    assert f"#{ticket.id}" in mail["Subject"]
    plain = outbox.text(mail)
    assert "ආයුබෝවන් Sunethra," in plain  # "Hello", in Sinhala
    assert "It left today." in plain and "<script>alert(1)</script>" in plain
    assert f"/support/{ticket.id}" in plain
    html = mail.get_body(("html",)).get_content()
    assert '<html lang="si">' in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>" not in html
    assert "&lt;b&gt;late&lt;/b&gt;" in html and "<b>late</b>" not in html

    [sms] = _sms_files(app)
    assert sms["to"] == "94771234567"
    assert sms["reference"] == f"support-reply:{reply.id}:sms"
    assert f"#{ticket.id}" in sms["message"] and f"/support/{ticket.id}" in sms["message"]
    assert "It left today" not in sms["message"] and "0112345678" not in sms["message"]

    rows = _rows()
    assert [(r.channel, r.template, r.locale, r.purpose, r.status) for r in rows] == [
        ("email", "support_reply", "si", "transactional", "sent"),
        ("sms", "support_reply", "si", "transactional", "sent")]


def test_a_tamil_customer_is_written_to_in_tamil(app, db_session, outbox):
    customer = make_customer(name="Kavin", locale="ta")
    ticket = support.open_ticket(customer.id, subject="Size", body="Which size?")

    support.staff_reply(ticket.id, "Medium fits.", actor=make_staff("admin"))

    [mail] = outbox.to(customer.email, "support-reply")
    assert "வணக்கம் Kavin," in outbox.text(mail)


def test_a_note_sends_nothing(app, db_session, outbox):
    customer = make_customer()
    ticket = support.open_ticket(customer.id, subject="Hello", body="A question")

    support.staff_reply(ticket.id, "Customer called twice.", note=True,
                        actor=make_staff("support_agent"))

    assert outbox.to(customer.email, "support-reply") == []
    assert _sms_files(app) == []
    assert _rows() == []


def test_customer_messages_notify_no_one(app, db_session, outbox):
    customer = make_customer()
    ticket = support.open_ticket(customer.id, subject="Hello", body="A question")

    support.customer_reply(ticket.id, customer.id, "And another")

    assert [m["X-Kade-Dedupe-Key"].split(":")[0] for m in outbox.messages()] == ["verify"]
    assert _rows() == []


def test_a_customer_who_wants_no_sms_gets_the_mail_only(app, db_session, outbox):
    customer = make_customer()
    notifications.set_preferences(customer.id, sms_updates=False, marketing_email=False,
                                  marketing_sms=False)
    ticket = support.open_ticket(customer.id, subject="Hello", body="A question")

    support.staff_reply(ticket.id, "An answer", actor=make_staff("support_agent"))

    assert len(outbox.to(customer.email, "support-reply")) == 1
    assert _sms_files(app) == []


def test_each_reply_is_its_own_message(app, db_session, outbox):
    customer = make_customer()
    agent = make_staff("support_agent")
    ticket = support.open_ticket(customer.id, subject="Hello", body="A question")

    support.staff_reply(ticket.id, "First answer", actor=agent)
    support.staff_reply(ticket.id, "Second answer", actor=agent)

    mails = outbox.to(customer.email, "support-reply")
    assert sorted(outbox.text(m).count("answer") for m in mails) == [1, 1]
    assert len({m["X-Kade-Dedupe-Key"] for m in mails}) == 2


def test_a_reply_that_fails_writes_no_message(app, db_session, outbox):
    customer = make_customer()
    ticket = support.open_ticket(customer.id, subject="Hello", body="A question")
    nobody = make_customer()  # not staff: refused before anything is written

    with pytest.raises(Forbidden):
        support.staff_reply(ticket.id, "Sneaky", actor=nobody)

    assert _rows() == []
    assert len(support.staff_ticket(ticket.id).messages) == 1
