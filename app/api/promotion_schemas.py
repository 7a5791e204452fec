"""Answers of GET /promotions, as pydantic models; the OpenAPI document is made from them.

A promotion is told as data a phone app can show and reason with: what it gives (`benefit`
and its figures, and `label`, the short words the shop's product badges use), how it stacks
(`benefit_class`), what it covers, its time window, and its conditions. Money is
`{"amount_cents": …, "currency": "LKR"}` as everywhere in the API; times are UTC.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from app.api.catalog_schemas import Money
from app.api.schemas import District, Output, Timestamp
from app.promotions.models import BENEFITS, CLASSES

Benefit = Literal[tuple(BENEFITS)]
BenefitClass = Literal[CLASSES]


class TierOut(Output):
    min_quantity: int = Field(description="Qualifying units in the cart from which it applies.")
    percent: int


class ConditionsOut(Output):
    """What must hold for the promotion to apply. All of them must."""

    min_spend: Money | None = Field(description="The cart's goods must come to at least this.")
    min_quantity: int | None = Field(description="At least this many qualifying units.")
    districts: list[District] = Field(description="Only for delivery to one of these "
                                                  "district codes; empty: anywhere.")
    first_order_only: bool = Field(description="Only on a customer's first order.")
    signed_in_only: bool = Field(description="Only for a signed-in customer.")
    needs_code: bool = Field(description="Only with a voucher code typed at checkout.")


class AppliesToOut(Output):
    """The items it covers: any of these products, variants or categories (a category with
    all its sub-categories). All three empty: every item (or, for order and delivery
    discounts, the whole order)."""

    product_ids: list[int]
    variant_ids: list[int]
    category_ids: list[int]


class PromotionOut(Output):
    id: int
    name: str = Field(description="In the language of Accept-Language, English fallback.")
    description: str = Field(description="Plain text, in the language of Accept-Language; "
                                         "empty when there is none.")
    label: str = Field(description="What it gives in a few words, in the language of "
                                   "Accept-Language: `15% off`, `Buy 2 get 1 free`.",
                       examples=["15% off"])
    benefit: Benefit = Field(description="`line_percent` and `line_fixed` (off each "
                                         "qualifying unit), `buy_x_get_y`, `tiered`, "
                                         "`bundle`, `order_percent`, `order_fixed`, "
                                         "`delivery`.")
    benefit_class: BenefitClass = Field(description="What it discounts, and so how it stacks "
                                                    "with others: `line`, `order` or "
                                                    "`delivery`.")
    percent: int | None = Field(description="Percent off (for `buy_x_get_y`: off the free "
                                            "units, 100 = free; for `delivery`: off the fee).")
    amount: Money | None = Field(description="Amount off (`line_fixed`: per unit), or the "
                                             "price of a `bundle`.")
    buy_quantity: int | None
    get_quantity: int | None
    tiers: list[TierOut] = Field(description="`tiered` only: percent off by quantity, "
                                             "lowest first.")
    bundle_variant_ids: list[int] = Field(description="`bundle` only: the variants bought "
                                                      "together.")
    applies_to: AppliesToOut
    starts_at: Timestamp | None
    ends_at: Timestamp | None = Field(description="When it stops (exclusive); null: no end.")
    conditions: ConditionsOut


class PromotionListOut(Output):
    """The public promotions running now, higher priority first."""

    items: list[PromotionOut]
