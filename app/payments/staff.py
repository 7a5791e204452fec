"""The payment ledger as staff read it: payments with filters, and one payment with its
events, refunds and slips. Order managers and admins (MANAGE_PAYMENTS)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import exists, func, select
from sqlalchemy.orm import selectinload

from app import db
from app.errors import NotFound
from app.i18n import COLOMBO
from app.payments.models import PAYMENT_STATUSES, Payment, TransferSlip
from app.security.roles import Permission, require

PER_PAGE = 50


@dataclass(frozen=True)
class PaymentFilter:
    method: str | None = None
    status: str | None = None
    flagged_only: bool = False
    slips_waiting: bool = False  # a bank-transfer slip waits to be checked
    created_from: dt.date | None = None  # Colombo dates, inclusive
    created_to: dt.date | None = None
    number: str | None = None


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), COLOMBO).astimezone(dt.UTC)


def _filtered(filters: PaymentFilter):
    query = select(Payment)
    if filters.method:
        query = query.where(Payment.method == filters.method)
    if filters.status in PAYMENT_STATUSES:
        query = query.where(Payment.status == filters.status)
    if filters.flagged_only:
        query = query.where(Payment.flagged.is_not(None))
    if filters.slips_waiting:
        query = query.where(exists().where(TransferSlip.payment_id == Payment.id,
                                           TransferSlip.status == "pending"))
    if filters.created_from:
        query = query.where(Payment.created_at >= _midnight(filters.created_from))
    if filters.created_to:
        query = query.where(Payment.created_at < _midnight(
            filters.created_to + dt.timedelta(days=1)))
    if filters.number:
        query = query.where(Payment.order_number.like(
            f"%{filters.number.strip().upper()[:24]}%"))
    return query


def staff_payments(filters: PaymentFilter = PaymentFilter(), *, page: int = 1,
                   per_page: int = PER_PAGE, actor=None) -> tuple[list[Payment], int]:
    """Matching payments, newest first, and how many match."""
    require(actor, Permission.MANAGE_PAYMENTS)
    query = _filtered(filters)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    page = max(1, min(page, 100_000))
    return list(db.session.scalars(query.order_by(Payment.id.desc()).limit(per_page)
                                   .offset((page - 1) * per_page))), total


def waiting_slip_counts(payment_ids: list[int]) -> dict[int, int]:
    if not payment_ids:
        return {}
    return dict(db.session.execute(
        select(TransferSlip.payment_id, func.count())
        .where(TransferSlip.payment_id.in_(payment_ids), TransferSlip.status == "pending")
        .group_by(TransferSlip.payment_id)).all())


def staff_payment(payment_id: int, *, actor=None) -> Payment:
    require(actor, Permission.MANAGE_PAYMENTS)
    payment = db.session.scalar(select(Payment).where(Payment.id == payment_id)
                                .options(selectinload(Payment.events)))
    if payment is None:
        raise NotFound()
    return payment


def payments_of(order_number: str, *, actor=None) -> list[Payment]:
    require(actor, Permission.MANAGE_PAYMENTS)
    return list(db.session.scalars(select(Payment).where(Payment.order_number == order_number)
                                   .order_by(Payment.id)))
