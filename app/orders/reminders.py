"""Reminding customers of orders still waiting for their bank transfer, once, a day before
the order would be cancelled (the notification's dedupe key makes a rerun send nothing)."""

from __future__ import annotations

import datetime as dt

from flask import current_app
from sqlalchemy import select

from app import db
from app.db import transaction, utcnow
from app.i18n import local_time
from app.notifications import services as notifications
from app.orders.models import Order
from app.orders.services import order_link


def remind_unpaid(now: dt.datetime | None = None) -> list[str]:
    """Queue a payment reminder for each bank-transfer order whose deadline is less than
    PAYMENT_REMINDER_HOURS away (and that is at least an hour old, so a fresh order is not
    reminded at once). Returns the numbers reminded now."""
    now = now or utcnow()
    before = dt.timedelta(hours=current_app.config["PAYMENT_REMINDER_HOURS"])
    due = db.session.scalars(
        select(Order).where(Order.status == "pending_payment",
                            Order.payment_method == "bank_transfer",
                            Order.payment_due_at.is_not(None),
                            Order.payment_due_at > now,
                            Order.payment_due_at <= now + before,
                            Order.placed_at <= now - dt.timedelta(hours=1))
        .order_by(Order.id)).all()
    reminded = []
    for order in due:
        with transaction():
            queued = notifications.notify(
                "payment_reminder", email=order.contact_email, phone=order.contact_phone,
                locale=order.locale, user_id=order.user_id,
                dedupe_key=f"order:{order.number}:payment_reminder", number=order.number,
                name=order.contact_name, link=order_link(order),
                total_cents=order.due_cents, payment_method=order.payment_method,
                status=order.status,
                # Numeric, so it reads the same in every language of the mail.
                due=local_time(order.payment_due_at, "%Y-%m-%d %H:%M"))
        if any(getattr(message, "queued_now", False) for message in queued):
            reminded.append(order.number)
    return reminded
