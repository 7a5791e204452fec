"""Plans and subscriptions: the staff's plans, a customer's subscription through its states,
each period's invoice, and which plan's benefits a customer has at a given moment.

    pending --first invoice paid--> active --period ends, next invoice unpaid--> past_due
    trialing --trial ends--> (as the first period: an invoice) ...
    past_due --paid--> active;  past_due --grace over--> expired
    any live state --customer cancels--> cancelled (benefits until the period ends) -> expired

Each period is invoiced; an invoice is settled once (PayHere's instalment, a transfer staff
verify, cash at the shop). `renew_due` moves every subscription whose period or grace ended:
the scheduler runs it, and it is safe to run twice or at once in two workers (each
subscription is locked while it moves). A change of plan waits for the next period.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, func, literal_column, select
from sqlalchemy.exc import IntegrityError

from app import db, prepared
from app.audit import services as audit
from app.db import transaction, utcnow
from app.errors import Conflict, Invalid, NotFound
from app.periods import add_months
from app.plans.models import (
    LIVE,
    PAYMENT_METHODS,
    PERIODS,
    CreditUse,
    Invoice,
    MemberPrice,
    Plan,
    ServiceCredit,
    Subscription,
)
from app.request_memo import RequestMemo
from app.security.roles import Permission, require

# The id of a customer's live subscription (or None) for the rest of the request.
_live_subscription_ids = RequestMemo("live_subscription", (Subscription, Plan))

MAX_PLAN_PRICE_CENTS = 1_000_000_00
CODE_PATTERN = re.compile(r"[a-z0-9-]{1,40}")  # a plan's code, in links: /plans#kade-plus


# ---- plans (staff) ---------------------------------------------------------------------------

@dataclass(frozen=True)
class PlanInput:
    code: str
    name_en: str
    price_cents: int
    period: str = "month"
    name_si: str | None = None
    name_ta: str | None = None
    description_en: str | None = None
    description_si: str | None = None
    description_ta: str | None = None
    trial_days: int = 0
    grace_days: int = 7
    free_delivery: bool = False
    free_delivery_districts: tuple[str, ...] | None = None
    percent_off: int | None = None
    percent_off_category_ids: tuple[int, ...] = ()
    member_prices: dict[int, int] | None = None  # variant id -> cents
    service_credits: dict[int, int] | None = None  # service product id -> visits a period
    priority_support: bool = False
    position: int = 0


def _check(data: PlanInput) -> None:
    from app.accounts.districts import DISTRICTS

    if not CODE_PATTERN.fullmatch(data.code or ""):
        raise Invalid(_l("Use lower-case letters, digits and dashes for the code."),
                      field="code")
    if not (data.name_en or "").strip():
        raise Invalid(_l("Give the plan a name."), field="name_en")
    if not isinstance(data.price_cents, int) or not 0 < data.price_cents <= MAX_PLAN_PRICE_CENTS:
        raise Invalid(_l("Enter a price above zero."), field="price")
    if data.period not in PERIODS:
        raise Invalid(_l("Choose month or year."), field="period")
    if not 0 <= data.trial_days <= 90:
        raise Invalid(_l("A free trial is 0 to 90 days."), field="trial_days")
    if not 0 <= data.grace_days <= 30:
        raise Invalid(_l("A grace period is 0 to 30 days."), field="grace_days")
    if data.percent_off is not None and not 1 <= data.percent_off <= 90:
        raise Invalid(_l("A member discount is 1 to 90 percent."), field="percent_off")
    if data.percent_off and not data.percent_off_category_ids:
        raise Invalid(_l("Choose the categories the member discount is for."),
                      field="percent_off_category_ids")
    if data.free_delivery_districts is not None and (
            not data.free_delivery_districts
            or any(code not in DISTRICTS for code in data.free_delivery_districts)):
        raise Invalid(_l("Choose districts from the list."), field="free_delivery_districts")
    for cents in (data.member_prices or {}).values():
        if not isinstance(cents, int) or cents < 0:
            raise Invalid(_l("A member price cannot be negative."), field="member_prices")
    for visits in (data.service_credits or {}).values():
        if not isinstance(visits, int) or not 1 <= visits <= 100:
            raise Invalid(_l("Service credits are 1 to 100 visits a period."),
                          field="service_credits")


def save_plan(data: PlanInput, *, plan_id: int | None = None, actor=None) -> Plan:
    """Create a plan, or change one (`plan_id`). Members keep what they have until their
    next period; a price change applies to the next invoice. Raises Invalid, Conflict (the
    code is taken), NotFound."""
    require(actor, Permission.MANAGE_PROMOTIONS)
    _check(data)
    with transaction():
        taken = db.session.scalar(select(Plan.id).where(Plan.code == data.code))
        if taken is not None and taken != plan_id:
            raise Conflict(_l("Another plan has this code."), field="code")
        if plan_id is None:
            plan = Plan(code=data.code, status="active")
            db.session.add(plan)
        else:
            plan = get_plan(plan_id)
        for name in ("code", "name_en", "name_si", "name_ta", "description_en",
                     "description_si", "description_ta", "price_cents", "period",
                     "trial_days", "grace_days", "free_delivery", "percent_off",
                     "priority_support", "position"):
            setattr(plan, name, getattr(data, name))
        plan.free_delivery_districts = (list(data.free_delivery_districts)
                                        if data.free_delivery_districts is not None else None)
        plan.percent_off_category_ids = list(data.percent_off_category_ids) or None
        plan.member_prices = [MemberPrice(variant_id=v, price_cents=c)
                              for v, c in sorted((data.member_prices or {}).items())]
        plan.service_credits = [ServiceCredit(product_id=p, visits=n)
                                for p, n in sorted((data.service_credits or {}).items())]
        plan.updated_at = utcnow()
        db.session.flush()
        audit.record("plans.saved", actor_id=actor.id if actor else None, target_type="plan",
                     target_id=plan.id, code=plan.code, price_cents=plan.price_cents)
    return plan


def retire_plan(plan_id: int, *, actor=None) -> Plan:
    """No new subscribers; those it has keep it (and renew) until they cancel."""
    require(actor, Permission.MANAGE_PROMOTIONS)
    with transaction():
        plan = get_plan(plan_id)
        plan.status = "retired"
        plan.updated_at = utcnow()
        audit.record("plans.retired", actor_id=actor.id if actor else None,
                     target_type="plan", target_id=plan.id)
    return plan


def get_plan(plan_id: int) -> Plan:
    plan = db.session.get(Plan, plan_id)
    if plan is None:
        raise NotFound()
    return plan


def plans(*, with_retired: bool = False) -> list[Plan]:
    query = select(Plan).order_by(Plan.position, Plan.price_cents, Plan.id)
    if not with_retired:
        query = query.where(Plan.status == "active")
    return list(db.session.scalars(query))


def plan_by_code(code: str) -> Plan:
    """The plan on sale with this code. Raises NotFound (also for what cannot be a code:
    nothing typed into a form reaches the database unchecked)."""
    if not isinstance(code, str) or not CODE_PATTERN.fullmatch(code):
        raise NotFound()
    plan = db.session.scalar(select(Plan).where(Plan.code == code, Plan.status == "active"))
    if plan is None:
        raise NotFound()
    return plan


# ---- periods ---------------------------------------------------------------------------------

def period_after(start: dt.datetime, period: str) -> dt.datetime:
    return add_months(start, 12 if period == "year" else 1)


def invoice_for(subscription: Subscription, plan: Plan, start: dt.datetime) -> Invoice:
    """The period's invoice (made once: a second call finds it)."""
    found = db.session.scalar(select(Invoice).where(
        Invoice.subscription_id == subscription.id, Invoice.period_start == start))
    if found is not None:
        return found
    invoice = Invoice(number=f"new-{subscription.id}-{start:%Y%m%d%H%M%S}"[:24],
                      subscription_id=subscription.id, plan_id=plan.id, period_start=start,
                      period_end=period_after(start, plan.period),
                      amount_cents=plan.price_cents, state="open")
    db.session.add(invoice)
    db.session.flush()
    invoice.number = f"PL-{start.year}-{invoice.id:06d}"
    return invoice


# ---- subscribing -----------------------------------------------------------------------------

# Built once (pricing a cart asks): only the customer changes.
_LIVE_SUBSCRIPTION = (select(Subscription).where(Subscription.user_id == bindparam("user_id"),
                                                 Subscription.state.in_(LIVE))
                      .order_by(Subscription.id.desc()).limit(1))
_LIVE_SUBSCRIPTION_LOCKED = _LIVE_SUBSCRIPTION.with_for_update()


def live_subscription_id(user_id):
    """The id of the live subscription of the customer `user_id` names (a column), or NULL,
    as a scalar subquery: the signed-in customer's lookup reads it along (app/plans/
    handlers.py), so pricing a cart costs no query for the many who have no plan."""
    # "Not expired" is what LIVE means, written as the unique partial index's own predicate
    # (one live subscription a customer): PostgreSQL reads that index, and the statement
    # carries no list of states to send with every request.
    return (select(Subscription.id)
            .where(Subscription.user_id == user_id,
                   Subscription.state != literal_column("'expired'"))
            .limit(1).scalar_subquery())


_LIVE_SUBSCRIPTION_ID = select(live_subscription_id(bindparam("user_id")))


def live_subscription(user_id: int | None, *, lock: bool = False) -> Subscription | None:
    """The customer's live subscription, if any. Whether they have one is read once a
    request unless `lock` (pricing a cart asks for every line, app/request_memo.py), along
    with the signed-in customer when it is them; a write to a subscription forgets it. A
    member's is then read by its id (the session's own object after the first time)."""
    if user_id is None:
        return None
    if lock:
        return db.session.scalar(_LIVE_SUBSCRIPTION_LOCKED, {"user_id": user_id})
    found = _live_subscription_ids.get_or_read(user_id, lambda: _read_live_id(user_id))
    return db.session.get(Subscription, found) if found is not None else None


def _read_live_id(user_id: int) -> int | None:
    # Most customers have no plan: whether they have one is a plain row, no ORM query.
    return prepared.rows(_LIVE_SUBSCRIPTION_ID, {"user_id": user_id})[0][0]


def keep_live_subscription_id(user_id: int, subscription_id: int | None) -> None:
    """What the signed-in customer's lookup read along (app/accounts/read_along.py): kept
    for the rest of the request as if `live_subscription` had read it."""
    _live_subscription_ids.prime(user_id, subscription_id)


def subscribe(user_id: int, plan_code: str, payment_method: str, *,
              now: dt.datetime | None = None) -> Subscription:
    """Start a subscription. With a free trial, it is trialing at once and the first
    invoice comes when the trial ends; otherwise it waits (pending) for the first period's
    invoice to be paid. Raises NotFound (no such plan on sale), Invalid, Conflict (the
    customer already has a plan: change it instead)."""
    if payment_method not in PAYMENT_METHODS:
        raise Invalid(_l("Choose how to pay for the plan."), field="payment_method")
    now = now or utcnow()
    plan = plan_by_code(plan_code)
    already = Conflict(_l("You already have a plan. Change it from your account."),
                       field="plan")
    try:
        with transaction():
            if live_subscription(user_id, lock=True) is not None:
                raise already
            trial = dt.timedelta(days=plan.trial_days)
            subscription = Subscription(
                user_id=user_id, plan_id=plan.id, payment_method=payment_method,
                state="trialing" if plan.trial_days else "pending", period_start=now,
                period_end=now + trial if plan.trial_days else period_after(now, plan.period))
            db.session.add(subscription)
            db.session.flush()  # one live subscription per customer: the unique index
            if not plan.trial_days:
                invoice_for(subscription, plan, now)
    except IntegrityError:
        raise already from None  # a second request subscribed a moment ago
    return subscription


def pay_invoice(invoice_id: int, *, payment_ref: str | None = None,
                now: dt.datetime | None = None) -> Invoice:
    """The invoice's money arrived (PayHere's instalment, a transfer, cash): once. A
    pending or past-due subscription becomes active; the invoice's period becomes the
    subscription's, so its benefits run to the invoice's end."""
    now = now or utcnow()
    with transaction():
        invoice = db.session.get(Invoice, invoice_id, with_for_update=True)
        if invoice is None:
            raise NotFound()
        if invoice.state == "paid":
            return invoice
        subscription = db.session.get(Subscription, invoice.subscription_id,
                                      with_for_update=True)
        invoice.state, invoice.paid_at, invoice.payment_ref = "paid", now, payment_ref
        if subscription.state in ("pending", "past_due", "active", "trialing"):
            subscription.state = "active"
            subscription.plan_id = invoice.plan_id
            subscription.period_start = invoice.period_start
            subscription.period_end = invoice.period_end
            subscription.grace_until = None
            subscription.updated_at = now
    return invoice


def plan_of(invoice: Invoice) -> Plan:
    return get_plan(invoice.plan_id)


def stopped_by_gateway(subscription: Subscription, *, now: dt.datetime | None = None) -> None:
    """PayHere stopped charging (the customer stopped it there, or its duration ended):
    the plan ends with the period paid for, as if cancelled here."""
    if subscription.state in ("trialing", "active"):
        subscription.state = "cancelled"
        subscription.cancel_at_period_end = True
        subscription.next_plan_id = None
        subscription.updated_at = now or utcnow()
    elif subscription.state in ("pending", "past_due"):
        _end(subscription, now or utcnow())
        _void_open_invoices(subscription)


def open_invoice(subscription_id: int) -> Invoice | None:
    return db.session.scalar(select(Invoice).where(
        Invoice.subscription_id == subscription_id, Invoice.state.in_(("open", "failed")))
        .order_by(Invoice.period_start.desc()).limit(1))


def fail_invoice(invoice_id: int, *, now: dt.datetime | None = None) -> Subscription:
    """The charge failed (a PayHere instalment declined): past due, benefits kept through
    the grace period, the invoice left to pay by the link in the customer's message."""
    now = now or utcnow()
    with transaction():
        invoice = db.session.get(Invoice, invoice_id, with_for_update=True)
        if invoice is None:
            raise NotFound()
        subscription = db.session.get(Subscription, invoice.subscription_id,
                                      with_for_update=True)
        if invoice.state == "paid":
            return subscription
        invoice.state = "failed"
        _past_due(subscription, now)
    return subscription


def _past_due(subscription: Subscription, now: dt.datetime) -> None:
    if subscription.state in ("active", "trialing"):
        subscription.state = "past_due"
        subscription.grace_until = max(now, subscription.period_end) + dt.timedelta(
            days=subscription.plan.grace_days)
        subscription.updated_at = now


def cancel(user_id: int, *, now: dt.datetime | None = None) -> Subscription:
    """One click: no more invoices; the benefits last until the period paid for ends (a
    plan not yet paid for ends now). Raises NotFound when there is no plan to cancel."""
    now = now or utcnow()
    with transaction():
        subscription = live_subscription(user_id, lock=True)
        if subscription is None or subscription.state == "cancelled":
            raise NotFound(_l("You have no plan to cancel."))
        if subscription.state in ("pending", "past_due"):
            _end(subscription, now)
            _void_open_invoices(subscription)
        else:
            subscription.state = "cancelled"
            subscription.cancel_at_period_end = True
            subscription.next_plan_id = None
            subscription.updated_at = now
    return subscription


def change_plan(user_id: int, plan_code: str, *, now: dt.datetime | None = None) -> Subscription:
    """The new plan starts with the next period (its invoice is for the new plan)."""
    plan = plan_by_code(plan_code)
    with transaction():
        subscription = live_subscription(user_id, lock=True)
        if subscription is None or subscription.state in ("pending", "cancelled"):
            raise Conflict(_l("Subscribe first, or wait for your first payment."),
                           field="plan")
        subscription.next_plan_id = None if plan.id == subscription.plan_id else plan.id
        subscription.updated_at = now or utcnow()
    return subscription


def _void_open_invoices(subscription: Subscription) -> None:
    for invoice in db.session.scalars(select(Invoice).where(
            Invoice.subscription_id == subscription.id, Invoice.state.in_(("open", "failed")))):
        invoice.state = "void"


def _end(subscription: Subscription, now: dt.datetime) -> None:
    subscription.state = "expired"
    subscription.ended_at = now
    subscription.grace_until = None
    subscription.updated_at = now


def renew_due(now: dt.datetime | None = None) -> dict[str, int]:
    """Move every subscription whose period or grace is over. Returns how many moved
    each way."""
    now = now or utcnow()
    due = db.session.scalars(select(Subscription.id).where(
        Subscription.state.in_(("trialing", "active", "cancelled", "past_due", "pending")),
        ((Subscription.period_end <= now) | (Subscription.state == "pending")
         | ((Subscription.state == "past_due") & (Subscription.grace_until <= now))))).all()
    db.end_reads()
    moved = {"renewing": 0, "past_due": 0, "expired": 0}
    for subscription_id in due:
        with transaction():
            subscription = db.session.get(Subscription, subscription_id, with_for_update=True)
            moved_to = _move(subscription, now)
            if moved_to:
                moved[moved_to] += 1
    return moved


def _move(subscription: Subscription, now: dt.datetime) -> str | None:
    state = subscription.state
    if state == "cancelled" and subscription.period_end <= now:
        _end(subscription, now)
        return "expired"
    if state == "past_due" and subscription.grace_until and subscription.grace_until <= now:
        _end(subscription, now)
        # The period it was to pay for will not come: nothing is owed, and nothing may be
        # taken for it (money arriving after this goes back: payhere_flow, admin).
        _void_open_invoices(subscription)
        tell(subscription, "expired")
        return "expired"
    if state == "pending" and subscription.period_start + dt.timedelta(
            days=max(subscription.plan.grace_days, 1)) <= now:
        _end(subscription, now)  # its first invoice was never paid
        _void_open_invoices(subscription)
        return "expired"
    if state in ("trialing", "active") and subscription.period_end <= now:
        plan = subscription.next_plan or subscription.plan
        subscription.next_plan_id = None
        invoice = invoice_for(subscription, plan, subscription.period_end)
        if invoice.state == "paid":  # PayHere's instalment came first
            return None
        _past_due(subscription, now)
        if subscription.payment_method != "payhere":
            tell(subscription, "payment_failed", invoice=invoice)  # an invoice to settle
        return "past_due"
    return None


# ---- what a customer has now -----------------------------------------------------------------

def benefits_plan(customer_id: int | None, at: dt.datetime | None = None):
    """(subscription, plan) whose benefits the customer has at `at`, or (None, None):
    trialing or active within its period, past due within its grace, cancelled until its
    period ends."""
    subscription = live_subscription(customer_id)
    if subscription is None:
        return None, None
    at = at or utcnow()
    state = subscription.state
    if state in ("trialing", "active", "cancelled") and subscription.period_end > at:
        return subscription, subscription.plan
    if state == "past_due" and subscription.grace_until and subscription.grace_until > at:
        return subscription, subscription.plan
    if state in ("trialing", "active") and subscription.period_end <= at:
        # The renewal job has not run yet: the grace period starts at the period's end.
        if subscription.period_end + dt.timedelta(days=subscription.plan.grace_days) > at:
            return subscription, subscription.plan
    return None, None


def priority_customers(user_ids, at: dt.datetime | None = None) -> set[int]:
    """Those of `user_ids` whose plan gives priority support now (support shows them
    first)."""
    ids = {i for i in user_ids if i}
    if not ids:
        return set()
    at = at or utcnow()
    rows = db.session.execute(
        select(Subscription.user_id, Subscription.state, Subscription.period_end,
               Subscription.grace_until)
        .join(Plan, Plan.id == Subscription.plan_id)
        .where(Subscription.user_id.in_(ids), Subscription.state.in_(LIVE),
               Plan.priority_support.is_(True))).all()
    return {user_id for user_id, state, end, grace in rows
            if (state in ("trialing", "active", "cancelled") and end > at)
            or (state == "past_due" and grace is not None and grace > at)}


def credits_used(subscription_id: int, period_start: dt.datetime, product_id: int) -> int:
    return int(db.session.scalar(
        select(func.coalesce(func.sum(CreditUse.visits), 0)).where(
            CreditUse.subscription_id == subscription_id,
            CreditUse.period_start == period_start, CreditUse.product_id == product_id))
        or 0)


def use_credits(subscription_id: int, period_start: dt.datetime, product_id: int,
                visits: int, order_number: str, allowed: int) -> None:
    """Record visits booked on credits, inside the order's transaction; refused (Conflict)
    when another order used them a moment ago."""
    with transaction():
        db.session.get(Subscription, subscription_id, with_for_update=True)
        if credits_used(subscription_id, period_start, product_id) + visits > allowed:
            raise Conflict(_l("Your plan's visits for this period were just used. Check your "
                              "cart."), field="plan")
        db.session.add(CreditUse(subscription_id=subscription_id, period_start=period_start,
                                 product_id=product_id, order_number=order_number,
                                 visits=visits))


def give_back_credits(order_number: str) -> None:
    """A withdrawn order's visits (cancelled, or refunded in full before it was carried
    out) go back to its period's credits."""
    for use in db.session.scalars(select(CreditUse).where(
            CreditUse.order_number == order_number)):
        db.session.delete(use)


# ---- messages --------------------------------------------------------------------------------

# What a subscription's message says (templates emails/plan_update.*, sms/plan_update.txt).
MESSAGES = ("subscribed", "renewal_coming", "renewed", "payment_failed", "grace_ending",
            "expired", "cancelled")
# Those worth a text too: what the customer must act on, or what they lose.
TEXTED = ("renewal_coming", "payment_failed", "grace_ending", "expired")


def tell(subscription: Subscription, kind: str, *, invoice: Invoice | None = None) -> None:
    """Mail (and, for what needs acting on, text) the customer, in their language, inside
    the caller's transaction; once per subscription, kind and period (the message's key)."""
    from app.accounts import services as accounts
    from app.i18n import local_time
    from app.links import external_url
    from app.notifications import services as notifications

    assert kind in MESSAGES, kind
    try:
        user = accounts.get_user(subscription.user_id)
    except NotFound:
        return
    plan = subscription.plan
    moment = invoice.period_start if invoice is not None else subscription.period_end
    notifications.notify(
        "plan_update", email=user.email, phone=user.phone if kind in TEXTED else None,
        locale=user.locale,
        user_id=user.id, dedupe_key=f"plan:{subscription.id}:{kind}:{moment:%Y%m%d%H%M}",
        kind=kind, name=user.name, plan_names={"en": plan.name("en"), "si": plan.name("si"),
                                                "ta": plan.name("ta")},
        amount_cents=invoice.amount_cents if invoice is not None else plan.price_cents,
        # Numeric dates, so they read the same in every language of the message.
        period_end=local_time(subscription.period_end, "%Y-%m-%d"),
        grace_until=local_time(subscription.grace_until, "%Y-%m-%d")
        if subscription.grace_until else None,
        link=external_url("plans.my_plan"))


def remind(now: dt.datetime | None = None, *, days_before: int = 3) -> int:
    """Tell customers of a renewal coming in `days_before` days, and of a grace period
    ending within two days. Safe to run as often as you like: each message has its key."""
    now = now or utcnow()
    told = 0
    coming = db.session.scalars(select(Subscription).where(
        Subscription.state.in_(("trialing", "active")),
        Subscription.period_end > now,
        Subscription.period_end <= now + dt.timedelta(days=days_before))).all()
    ending = db.session.scalars(select(Subscription).where(
        Subscription.state == "past_due", Subscription.grace_until > now,
        Subscription.grace_until <= now + dt.timedelta(days=2))).all()
    for subscription, kind in [*((s, "renewal_coming") for s in coming),
                               *((s, "grace_ending") for s in ending)]:
        with transaction():
            tell(subscription, kind)
            told += 1
    return told
