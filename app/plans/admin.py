"""Plans in the back office: the subscription business at a glance, the subscribers, and
invoices staff mark paid. The plans themselves and the subscriptions' rules live in
services."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app import db
from app.audit import services as audit
from app.db import transaction, utcnow
from app.errors import Conflict, NotFound
from app.plans.models import Invoice, Plan, Subscription
from app.plans.services import pay_invoice, tell
from app.security.roles import Permission, require


@dataclass(frozen=True)
class Metrics:
    """The subscription business at a glance: monthly recurring revenue (a yearly plan
    counts a twelfth), members by state, and the last 30 days' churn and failed payments."""

    mrr_cents: int
    by_state: dict[str, int]
    churned_30d: int
    churn_rate: float | None  # churned over those live 30 days ago (None: none were)
    failed_invoices: int


def metrics(*, actor=None, now: dt.datetime | None = None) -> Metrics:
    require(actor, Permission.MANAGE_PROMOTIONS)
    now = now or utcnow()
    since = now - dt.timedelta(days=30)
    rows = db.session.execute(
        select(Subscription.state, Plan.price_cents, Plan.period)
        .join(Plan, Plan.id == Subscription.plan_id)).all()
    by_state: dict[str, int] = {}
    mrr = 0
    for state, price, period in rows:
        by_state[state] = by_state.get(state, 0) + 1
        if state in ("active", "past_due", "cancelled"):
            mrr += price // 12 if period == "year" else price
    churned = db.session.scalar(select(func.count()).select_from(Subscription).where(
        Subscription.state == "expired", Subscription.ended_at >= since)) or 0
    live_then = db.session.scalar(select(func.count()).select_from(Subscription).where(
        Subscription.created_at < since,
        (Subscription.ended_at.is_(None)) | (Subscription.ended_at >= since))) or 0
    failed = db.session.scalar(select(func.count()).select_from(Invoice).where(
        Invoice.state == "failed", Invoice.created_at >= since)) or 0
    return Metrics(mrr_cents=mrr, by_state=by_state, churned_30d=churned,
                   churn_rate=churned / live_then if live_then else None,
                   failed_invoices=failed)


def subscribers(*, state: str | None = None, plan_id: int | None = None, page: int = 1,
                per_page: int = 50, actor=None) -> tuple[list[Subscription], int]:
    """Subscriptions, newest first, by state and plan."""
    require(actor, Permission.MANAGE_PROMOTIONS)
    query = select(Subscription)
    if state:
        query = query.where(Subscription.state == state)
    if plan_id:
        query = query.where(Subscription.plan_id == plan_id)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    found = db.session.scalars(query.order_by(Subscription.id.desc())
                               .offset((page - 1) * per_page).limit(per_page)).all()
    return list(found), total


def mark_invoice_paid(invoice_id: int, *, actor=None) -> Invoice:
    """Staff saw the transfer or took the cash: the invoice is paid (once), the plan runs
    on, and the customer hears of it. Audited."""
    require(actor, Permission.MANAGE_PAYMENTS)
    with transaction():
        invoice = db.session.get(Invoice, invoice_id)
        if invoice is None:
            raise NotFound()
        if invoice.state == "paid":
            raise Conflict(_l("This invoice is already settled."))
        if invoice.state == "void":
            raise Conflict(_l("This invoice was voided when the plan ended: nothing is owed. "
                              "Money received for it goes back to the customer."))
        subscription = db.session.get(Subscription, invoice.subscription_id)
        first = subscription.state == "pending"
        pay_invoice(invoice.id, payment_ref=f"staff:{actor.id}" if actor else "staff")
        tell(subscription, "subscribed" if first else "renewed", invoice=invoice)
        audit.record("plans.invoice_paid", actor_id=actor.id if actor else None,
                     target_type="invoice", target_id=invoice.number,
                     amount_cents=invoice.amount_cents)
    return invoice


def invoices_of(subscription_id: int) -> list[Invoice]:
    return list(db.session.scalars(select(Invoice).where(
        Invoice.subscription_id == subscription_id).order_by(Invoice.period_start.desc())))
