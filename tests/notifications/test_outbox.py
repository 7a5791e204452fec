"""The outbox: what is queued for whom, on which channel, and how delivery is recorded."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app import db
from app.notifications import services as notifications
from app.notifications.models import OutboxMessage
from app.notifications.transports import (
    UndeliverableError,
    gateway_number,
    sms_encoding,
    sms_segments,
)
from tests.checkout.factories import place_guest_order, stocked
from tests.factories import make_customer


def _sms_files(app) -> list[dict]:
    from app.queue import wait_for_local_jobs

    wait_for_local_jobs(app)
    folder = Path(app.config["OUTBOX_DIR"])
    return [json.loads(p.read_text()) for p in sorted(folder.glob("*.sms.json"))]


def test_an_order_sends_a_mail_and_an_sms_in_the_customers_language(app, db_session, outbox):
    order = place_guest_order(stocked(), locale="si")
    [mail] = outbox.to("sarah@example.lk")
    assert order.number in mail["Subject"]
    [sms] = _sms_files(app)
    assert sms["to"] == "94771234567" and order.number in sms["message"]
    assert sms["reference"] == f"order:{order.number}:order_placed:sms"
    db_session.commit()  # a fresh snapshot: the relay wrote from its own connection
    db_session.expire_all()
    rows = db_session.query(OutboxMessage).order_by(OutboxMessage.id).all()
    assert [(r.channel, r.status) for r in rows] == [("email", "sent"), ("sms", "sent")]


def test_a_customer_who_wants_no_sms_gets_the_mail_only(app, db_session, outbox):
    customer = make_customer()
    notifications.set_preferences(customer.id, sms_updates=False, marketing_email=False,
                                  marketing_sms=False)
    queued = notifications.notify("order_shipped", email=customer.email, phone=customer.phone,
                                  user_id=customer.id, dedupe_key="t:1", number="KD-1",
                                  name="N", link="http://x", total_cents=100,
                                  payment_method="cod", status="shipped")
    assert [m.channel for m in queued] == ["email"]


def test_marketing_goes_only_to_those_who_opted_in_and_reset_mail_always(db_session):
    customer = make_customer()
    assert notifications.queue_email("order_shipped", to=customer.email, user_id=customer.id,
                                     dedupe_key="offer:1", purpose="marketing") is None
    notifications.set_preferences(customer.id, sms_updates=True, marketing_email=True,
                                  marketing_sms=False)
    assert notifications.queue_email("order_shipped", to=customer.email, user_id=customer.id,
                                     dedupe_key="offer:2", purpose="marketing") is not None
    assert notifications.queue_sms("order_shipped", to=customer.phone, user_id=customer.id,
                                   dedupe_key="offer:3", purpose="marketing") is None


def test_an_opt_out_before_delivery_skips_a_queued_marketing_message(app, db_session):
    customer = make_customer()
    notifications.set_preferences(customer.id, sms_updates=True, marketing_email=True,
                                  marketing_sms=False)
    # Queue without waking the relay: write the row, then opt out, then deliver.
    message = OutboxMessage(channel="email", purpose="marketing", template="order_shipped",
                            recipient=customer.email, user_id=customer.id, locale="en",
                            dedupe_key="offer:late", data="{}")
    db.session.add(message)
    db.session.commit()
    notifications.set_preferences(customer.id, sms_updates=True, marketing_email=False,
                                  marketing_sms=False)
    assert notifications.deliver_now(message.id) is False
    db_session.commit()  # a fresh snapshot: delivery wrote from its own connection
    db_session.refresh(message)
    assert message.status == "skipped"


@pytest.mark.parametrize("text, encoding, segments", [
    ("Kade: order KD-2026-000001 is on its way.", "gsm7", 1),
    ("x" * 160, "gsm7", 1),
    ("x" * 161, "gsm7", 2),
    ("€" * 80, "gsm7", 1),  # the euro sign takes two septets
    ("€" * 81, "gsm7", 2),
    ("ඇණවුම යවා ඇත", "unicode", 1),
    ("ක" * 70, "unicode", 1),
    ("ක" * 71, "unicode", 2),
    ("த" * 135, "unicode", 3),
])
def test_sms_encoding_and_segments(text, encoding, segments):
    assert sms_encoding(text) == encoding and sms_segments(text) == segments


@pytest.mark.parametrize("number", ["+447911123456", "+9477123", "", "+94 77 123 4567"])
def test_only_sri_lankan_numbers_are_sent(number):
    with pytest.raises(UndeliverableError):
        gateway_number(number)


def test_a_sri_lankan_number_in_gateway_form():
    assert gateway_number("+94771234567") == "94771234567"
