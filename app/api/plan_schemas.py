"""The plans' bodies and answers."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from app.api.catalog_schemas import Money
from app.api.checkout_schemas import HostedCheckoutOut
from app.api.schemas import Body, Output, Timestamp
from app.plans.models import PAYMENT_METHODS, PERIODS, STATES


class PlanOut(Output):
    code: str = Field(examples=["kade-plus"])
    name: str = Field(description="In the language of Accept-Language.")
    description: str | None
    price: Money
    period: Literal[PERIODS]
    trial_days: int
    free_delivery: bool
    free_delivery_districts: list[str] | None = Field(
        description="District codes; null: every district.")
    percent_off: int | None = Field(description="Off the goods of `percent_off_categories`.")
    percent_off_categories: list[int]
    member_prices: int = Field(description="How many variants have a member price.")
    service_visits: dict[str, int] = Field(
        description="Service product id -> visits included each period, at no charge.")
    priority_support: bool


class PlanListOut(Output):
    items: list[PlanOut]


class InvoiceOut(Output):
    number: str = Field(examples=["PL-2026-000123"])
    amount: Money
    period_start: Timestamp
    period_end: Timestamp
    state: Literal["open", "paid", "failed", "void"]


class SubscriptionOut(Output):
    plan: PlanOut
    next_plan: str | None = Field(description="The plan (`code`) from the next period.")
    state: Literal[STATES] = Field(description="`pending` (first payment awaited), "
                                               "`trialing`, `active`, `past_due` (benefits "
                                               "kept until `grace_until`), `cancelled` "
                                               "(benefits until `period_end`), `expired`.")
    payment_method: Literal[PAYMENT_METHODS]
    period_start: Timestamp
    period_end: Timestamp
    grace_until: Timestamp | None
    has_benefits: bool = Field(description="The plan's benefits apply to my cart now.")
    invoice_due: InvoiceOut | None = Field(description="What I still have to pay.")
    payment: HostedCheckoutOut | None = Field(
        description="`payhere`: the hosted-checkout form that pays `invoice_due` and sets "
                    "up the recurring charge.")


class SubscribeIn(Body):
    plan: str = Field(min_length=1, max_length=40, examples=["kade-plus"])
    payment_method: Literal[PAYMENT_METHODS] = Field(
        description="`payhere` (card, charged each period), `bank_transfer` or `cash` (an "
                    "invoice each period).")
