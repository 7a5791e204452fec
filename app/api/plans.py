"""/plans (public) and /me/subscription: the plans on sale, and mine to read, start or
cancel."""

from __future__ import annotations

from flask_babel import force_locale

from app.api.auth import auth, current_customer
from app.api.blueprint import bp
from app.api.catalog_schemas import Money
from app.api.checkout_schemas import HostedCheckoutOut
from app.api.languages import api_locale
from app.api.openapi import error_responses
from app.api.plan_schemas import (
    InvoiceOut,
    PlanListOut,
    PlanOut,
    SubscribeIn,
    SubscriptionOut,
)
from app.errors import NotFound
from app.payments import checkout_flow
from app.plans import payhere_flow, services as plans


def plan_out(plan, locale: str) -> PlanOut:
    return PlanOut(
        code=plan.code, name=plan.name(locale), description=plan.description(locale),
        price=Money.of(plan.price_cents), period=plan.period, trial_days=plan.trial_days,
        free_delivery=plan.free_delivery,
        free_delivery_districts=plan.free_delivery_districts,
        percent_off=plan.percent_off,
        percent_off_categories=list(plan.percent_off_category_ids or []),
        member_prices=len(plan.member_prices),
        service_visits={str(c.product_id): c.visits for c in plan.service_credits},
        priority_support=plan.priority_support)


@bp.get("/plans")
@bp.output(PlanListOut)
@bp.doc(tags=["Plans"])
def list_plans():
    """The plans on sale

    Memberships and service packages, paid each month or year. No token needed.
    """
    locale = api_locale()
    return PlanListOut(items=[plan_out(plan, locale) for plan in plans.plans()])


def _subscription_out(subscription, customer) -> SubscriptionOut:
    locale = api_locale()
    invoice = plans.open_invoice(subscription.id)
    payment = None
    if invoice is not None and subscription.payment_method == "payhere" \
            and checkout_flow.configured():
        first, last = checkout_flow.split_name(customer.name or "")
        form = payhere_flow.hosted_form(invoice, {
            "first_name": first, "last_name": last or first, "email": customer.email or "",
            "phone": customer.phone or "", "address": "Colombo", "city": "Colombo"})
        payment = HostedCheckoutOut(action=form.action, fields=form.fields)
    _live, plan = plans.benefits_plan(customer.id)
    with force_locale(locale):
        return SubscriptionOut(
            plan=plan_out(subscription.plan, locale),
            next_plan=subscription.next_plan.code if subscription.next_plan else None,
            state=subscription.state, payment_method=subscription.payment_method,
            period_start=subscription.period_start, period_end=subscription.period_end,
            grace_until=subscription.grace_until, has_benefits=plan is not None,
            invoice_due=InvoiceOut(number=invoice.number, amount=Money.of(invoice.amount_cents),
                                   period_start=invoice.period_start,
                                   period_end=invoice.period_end, state=invoice.state)
            if invoice is not None else None, payment=payment)


def _mine(customer):
    subscription = plans.live_subscription(customer.id)
    if subscription is None:
        raise NotFound()
    return subscription


@bp.get("/me/subscription")
@bp.auth_required(auth)
@bp.output(SubscriptionOut)
@bp.doc(tags=["Plans"], responses=error_responses(401, 404, when={
    404: "I have no plan (`not_found`)."}))
def my_subscription():
    """My plan"""
    customer = current_customer()
    return _subscription_out(_mine(customer), customer)


@bp.post("/me/subscription")
@bp.auth_required(auth)
@bp.input(SubscribeIn, arg_name="body")
@bp.output(SubscriptionOut, status_code=201)
@bp.doc(tags=["Plans"], responses=error_responses(400, 401, 404, 409, 422, when={
    404: "No plan on sale has that code.",
    409: "I already have a plan (`conflict`): change it on the web, or cancel it first."}))
def subscribe(body: SubscribeIn):
    """Subscribe to a plan

    A plan with a free trial starts at once (`trialing`); otherwise it waits (`pending`)
    for `invoice_due` to be paid: with `payhere`, by posting `payment`'s form in a web view
    (PayHere then charges each period); by transfer or cash, with the invoice's number as
    the reference.
    """
    customer = current_customer()
    subscription = plans.subscribe(customer.id, body.plan, body.payment_method)
    return _subscription_out(subscription, customer), 201


@bp.delete("/me/subscription")
@bp.auth_required(auth)
@bp.output(SubscriptionOut)
@bp.doc(tags=["Plans"], responses=error_responses(401, 404, 502, when={
    404: "I have no plan to cancel.",
    502: "PayHere could not stop the recurring charge (`refund_failed`: nothing changed; "
         "try again)."}))
def cancel_subscription():
    """Cancel my plan

    One call: PayHere stops charging, no more invoices, and the benefits last until
    `period_end` (a plan never paid for ends now, `expired`).
    """
    customer = current_customer()
    subscription, _stopped = payhere_flow.cancel(customer.id)
    return _subscription_out(subscription, customer)
