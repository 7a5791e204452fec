"""A completed order thanks the customer once, by mail and SMS, with a link to the order;
an order already thanked as delivered is not told again."""

from __future__ import annotations

import json
from pathlib import Path

from app.orders import services as orders
from tests.checkout.factories import place_guest_order, service_with_slot, stocked


def _sms(app) -> list[dict]:
    from app.queue import wait_for_local_jobs

    wait_for_local_jobs(app)
    return [json.loads(p.read_text())
            for p in sorted(Path(app.config["OUTBOX_DIR"]).glob("*.sms.json"))]


def _kinds(outbox) -> list[str]:
    return sorted(m["X-Kade-Dedupe-Key"].rsplit(":", 1)[1] for m in outbox.to("sarah@example.lk"))


def test_a_completed_booking_thanks_the_customer_by_mail_and_sms(app, db_session, outbox):
    visit, slot = service_with_slot("AC service visit")
    booking = place_guest_order((visit, 1, slot), delivery_option=None)

    orders.change_status(booking.number, "completed")

    assert _kinds(outbox) == ["order_completed", "order_placed"]
    [mail] = [m for m in outbox.to("sarah@example.lk") if "complete" in m["Subject"]]
    assert mail["Subject"] == f"Thank you: order {booking.number} is complete"
    text = outbox.text(mail)
    assert "Your booking is complete. Thank you for choosing Kade" in text
    assert f"/orders/{booking.number}?t=" in text  # the guest's signed link to the order
    [sms] = [s for s in _sms(app) if s["reference"].endswith("order_completed:sms")]
    assert f"Kade: order {booking.number} is complete. Thank you!" in sms["message"]
    assert "/o/" in sms["message"] and "?t=" not in sms["message"]


def test_a_completed_booking_is_thanked_in_the_customers_language(app, db_session, outbox):
    visit, slot = service_with_slot("AC service visit")
    booking = place_guest_order((visit, 1, slot), delivery_option=None, locale="si")

    orders.change_status(booking.number, "completed")

    [sms] = [s for s in _sms(app) if s["reference"].endswith("order_completed:sms")]
    assert booking.number in sms["message"] and "/o/" in sms["message"]


def test_goods_collected_at_the_shop_are_thanked_as_an_order(app, db_session, outbox):
    order = place_guest_order((stocked(units=3), 1))
    orders.change_status(order.number, "ready_for_collection")
    orders.change_status(order.number, "completed")

    assert _kinds(outbox) == ["order_completed", "order_placed", "order_ready"]
    [mail] = [m for m in outbox.to("sarah@example.lk") if "complete" in m["Subject"]]
    assert "Your order is complete." in outbox.text(mail)
    assert "booking" not in outbox.text(mail)


def test_a_delivered_order_is_not_thanked_twice_when_completed(app, db_session, outbox):
    order = place_guest_order((stocked(units=3), 1))
    for status in ("shipped", "delivered", "completed"):
        orders.change_status(order.number, status)

    assert _kinds(outbox) == ["order_delivered", "order_placed", "order_shipped"]
    assert not [s for s in _sms(app) if "order_completed" in s["reference"]]
