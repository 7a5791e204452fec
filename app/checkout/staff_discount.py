"""A discount staff give on an order they take (a phone order, a draft), with the reason.

It is one more pricing rule, applied after the promotions, so it discounts what is left of
the goods' value and lands on the order as an "order" adjustment (labelled on the invoice
like any discount). Only staff with the orders.discount permission may give one; placing the
order audits it with the reason (app.checkout.services.place_order).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import force_locale, gettext, lazy_gettext as _l

from app.checkout.pricing import Adjustment, Context, Discounts, PricedCart
from app.errors import Invalid

CODE = "staff"
MAX_REASON = 200


def _labels() -> dict[str, str]:
    labels = {}
    for locale in ("en", "si", "ta"):
        with force_locale(locale):
            labels[locale] = gettext("Discount from the shop")
    return labels


@dataclass(frozen=True)
class StaffDiscount:
    """Either `amount_cents` off the goods or `percent` of them (whole percent), never
    both. The reason is for the audit log and the order's timeline, not the customer."""

    reason: str
    amount_cents: int = 0
    percent: int = 0

    def check(self) -> StaffDiscount:
        """This discount, cleaned; raises Invalid naming the field at fault."""
        reason = " ".join((self.reason or "").split())
        if not reason:
            raise Invalid(_l("Say why you are giving this discount."), field="discount_reason")
        if len(reason) > MAX_REASON:
            raise Invalid(_l("Keep the reason under %(count)d characters.", count=MAX_REASON),
                          field="discount_reason")
        if (self.amount_cents > 0) == (self.percent > 0):
            raise Invalid(_l("Give the discount as an amount or as a percentage."),
                          field="discount")
        if self.amount_cents < 0 or not 0 <= self.percent <= 100:
            raise Invalid(_l("A percentage is between 1 and 100."), field="discount")
        return StaffDiscount(reason, self.amount_cents, self.percent)

    def discounts(self, context: Context, cart: PricedCart) -> Discounts:
        room = cart.subtotal_cents - cart.discount_cents
        amount = self.amount_cents or room * self.percent // 100
        labels = _labels()
        return Discounts(order=[Adjustment(CODE, labels["en"], min(amount, room), labels)])
