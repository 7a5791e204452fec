"""A plan's benefits as a pricing rule: member prices, a percent off chosen categories, free
delivery, and service visits priced at zero while the period's credits last.

The rule looks up the customer's plan once per priced cart; a customer with no plan (or a
guest) costs one indexed query. Benefits count only while the subscription is active or in
its grace (plans.services.benefits_plan). Credits are counted again and recorded when the
order is placed (`redeem`, in the order's transaction): two orders placed at once cannot
both use the last visit.
"""

from __future__ import annotations

from flask_babel import force_locale, lazy_gettext as _l

from app.catalog import category_tree
from app.checkout.pricing import Adjustment, Context, Discounts, PricedCart
from app.plans import services as plans

CODE = "plan"
VISIT_CODE = "plan_visit"  # a service visit paid by the period's credits


# The labels a customer reads beside each benefit, in every language (an order keeps all).
MEMBER_PRICE = _l("%(plan)s member price")
PERCENT_OFF = _l("%(plan)s: %(percent)d%% off")
VISIT_INCLUDED = _l("%(plan)s: visit included")
FREE_DELIVERY = _l("%(plan)s: free delivery")


def _label(message, plan, **values) -> tuple[str, dict[str, str]]:
    labels = {}
    for locale in ("en", "si", "ta"):
        with force_locale(locale):
            labels[locale] = str(message) % {"plan": plan.name(locale), **values}
    return labels["en"], labels


def _member_price(plan, line) -> Adjustment | None:
    price = next((p.price_cents for p in plan.member_prices
                  if p.variant_id == line.item.variant_id), None)
    if price is None or price >= line.unit_cents:
        return None
    label, labels = _label(MEMBER_PRICE, plan)
    return Adjustment(CODE, label, (line.unit_cents - price) * line.quantity, labels=labels)


def _percent_off(plan, line, categories: set[int], after_cents: int = 0) -> Adjustment | None:
    """The percent off the line's price after the discounts before it (`after_cents`: the
    member price proposed with it), so the two never stack to more than either allows."""
    if not plan.percent_off or line.category_id not in categories:
        return None
    left = line.gross_cents - line.discount_cents - after_cents
    label, labels = _label(PERCENT_OFF, plan, percent=plan.percent_off)
    return Adjustment(CODE, label, left * plan.percent_off // 100, labels=labels)


def _credits_left(subscription, plan, product_id: int) -> int:
    credit = next((c for c in plan.service_credits if c.product_id == product_id), None)
    if credit is None:
        return 0
    used = plans.credits_used(subscription.id, subscription.period_start, product_id)
    return max(0, credit.visits - used)


class PlanBenefits:
    """The pricing rule (registered once by plans.init_app)."""

    def discounts(self, context: Context, cart: PricedCart) -> Discounts:
        found = Discounts()
        subscription, plan = plans.benefits_plan(context.customer_id, context.moment)
        if plan is None:
            return found
        categories = set()
        for category_id in plan.percent_off_category_ids or ():
            categories.update(category_tree.below(category_id))
        credits = {}
        for index, line in enumerate(cart.lines):
            proposed = []
            if line.kind == "service":
                if line.product_id not in credits:
                    credits[line.product_id] = _credits_left(subscription, plan,
                                                             line.product_id)
                free = min(line.quantity, credits[line.product_id])
                if free:
                    credits[line.product_id] -= free
                    label, labels = _label(VISIT_INCLUDED, plan)
                    proposed.append(Adjustment(VISIT_CODE, label, free * line.unit_cents,
                                               labels=labels))
            member = _member_price(plan, line)
            off = _percent_off(plan, line, categories, member.amount_cents if member else 0)
            proposed += [benefit for benefit in (member, off) if benefit is not None]
            if proposed:
                found.lines[index] = proposed
        if plan.free_delivery and cart.needs_delivery and (
                plan.free_delivery_districts is None
                or cart.district in plan.free_delivery_districts):
            # The option's whole fee, even when the goods earn free delivery now: a
            # promotion priced after may bring them under the threshold and the fee back
            # (the pipeline keeps a delivery discount within the fee it finds).
            fee = cart.quote_for(cart.goods_cents)
            if fee is not None and fee.list_fee_cents:
                label, labels = _label(FREE_DELIVERY, plan)
                found.delivery.append(Adjustment(CODE, label, fee.list_fee_cents,
                                                 labels=labels))
        return found

    def redeem(self, cart: PricedCart, order_number: str) -> None:
        """Record the visits this order books on the plan's credits."""
        context = cart.context
        subscription, plan = plans.benefits_plan(context.customer_id if context else None,
                                                 context.moment if context else None)
        if plan is None:
            return
        booked: dict[int, int] = {}
        for line in cart.lines:
            included = sum(d.amount_cents for d in line.discounts if d.code == VISIT_CODE)
            if included and line.unit_cents:
                booked[line.product_id] = (booked.get(line.product_id, 0)
                                           + included // line.unit_cents)
        for product_id, visits in booked.items():
            allowed = next(c.visits for c in plan.service_credits if c.product_id == product_id)
            plans.use_credits(subscription.id, subscription.period_start, product_id, visits,
                              order_number, allowed)


RULE = PlanBenefits()
