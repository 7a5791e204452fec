"""The promotions engine: a pricing rule (app/checkout/pricing.py) that applies the running
promotions to a cart.

For one cart it (1) keeps the promotions whose conditions all hold, (2) works out what each
combination the stacking rules allow would save, (3) picks the best for the customer and
says why. Stacking: each benefit is of a class (line, order, delivery); an exclusive
promotion stands alone; others combine when each allows the other's class. Candidates are
every exclusive promotion alone, and the non-exclusive ones taken greedily by priority
(higher first), each added when it combines with all already taken. Within a candidate, line
discounts come first (by priority), then order discounts on what is left, then delivery on
the fee the discounted goods earn. A promotion with a budget gives at most what remains of
it. The result never depends on the order of lines or of promotions.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from babel.dates import format_datetime
from flask_babel import force_locale, gettext as _

from app.accounts.districts import district_name
from app.catalog import services as catalog
from app.checkout import pricing
from app.checkout.pricing import Adjustment, Context, Discounts, PricedCart, VoucherState
from app.i18n import COLOMBO, FORMAT_LOCALES, format_lkr
from app.promotions import benefits, offers as offer_store, vouchers
from app.promotions.offers import Offer

invalidate = offer_store.invalidate


@dataclass
class Outcome:
    """One candidate combination priced: discounts by class and what they save."""

    offers: list[Offer]
    lines: dict[int, list[Adjustment]] = field(default_factory=dict)
    order: list[Adjustment] = field(default_factory=list)
    delivery: list[Adjustment] = field(default_factory=list)
    given: dict[int, int] = field(default_factory=dict)  # promotion id -> cents

    @property
    def savings_cents(self) -> int:
        return sum(self.given.values())


# ---- conditions ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Refusal:
    """Why a promotion does not apply to this cart now; `pending` when it may still apply
    once checkout knows more (the district)."""

    message: str
    pending: bool = False


def _refusal(offer: Offer, context: Context, cart: PricedCart, usage,
             spend_checked: bool = True) -> Refusal | None:
    """The first condition that fails, as the shopper should read it, or None.
    `spend_checked` False leaves out the minimum spend (is it the only thing missing?)."""
    locale = context.locale
    now = context.moment
    if offer.paused:
        return Refusal(_("This offer is paused just now. Please try again later."))
    if offer.starts_at is not None and now < offer.starts_at:
        return Refusal(_("This offer starts on %(when)s.",
                         when=shown_time(offer.starts_at, locale)))
    if offer.ends_at is not None and now >= offer.ends_at:
        return Refusal(_("This offer ended on %(when)s.",
                         when=shown_time(offer.ends_at, locale)))
    if offer.exhausted:
        return Refusal(_("This offer has reached its limit."))
    if offer.signed_in_only and context.customer_id is None:
        return Refusal(_("Sign in to use this offer."))
    if offer.segment and context.customer_id not in offer.segment:
        return Refusal(_("This offer is not available for your account."))
    if offer.max_per_customer is not None and usage(offer) >= offer.max_per_customer:
        return Refusal(_("You have already used this offer."))
    if offer.first_order_only and context.orders_before is not None \
            and context.orders_before() > 0:
        return Refusal(_("This offer is for a first order only."))
    if offer.names_item and not benefits.qualifying(offer, cart.lines):
        return Refusal(_("None of the items in your cart are part of this offer."))
    count = benefits.quantity(offer, cart.lines)
    if offer.min_quantity and count < offer.min_quantity:
        return Refusal(_("Add %(count)d more of the items in this offer to use it.",
                         count=offer.min_quantity - count))
    if spend_checked and offer.min_subtotal_cents \
            and cart.subtotal_cents < offer.min_subtotal_cents:
        return Refusal(_("Spend %(missing)s more to use this offer (minimum spend %(least)s).",
                         missing=format_lkr(offer.min_subtotal_cents - cart.subtotal_cents,
                                            locale),
                         least=format_lkr(offer.min_subtotal_cents, locale)))
    if offer.districts:
        served = ", ".join(sorted(district_name(d, locale) for d in offer.districts))
        if context.district is None:
            return Refusal(_("For delivery to: %(districts)s. Checked when you give your "
                             "address.", districts=served), pending=True)
        if context.district not in offer.districts:
            return Refusal(_("This offer is not for %(district)s. It applies in: "
                             "%(districts)s.", district=district_name(context.district, locale),
                             districts=served))
    if offer.cls == "delivery" and not cart.needs_delivery:
        return Refusal(_("This offer is for delivery, and nothing in your cart is delivered."))
    return None


def _only_spend_missing(offer: Offer, context: Context, cart: PricedCart, usage) -> bool:
    """Spending more is all it takes (a district still to be given does not count against
    it): worth a nudge."""
    problem = _refusal(offer, context, cart, usage, spend_checked=False)
    return problem is None or problem.pending


def shown_time(moment, locale: str) -> str:
    """A UTC moment as the shopper reads it: Colombo time, month in their language."""
    return format_datetime(moment.astimezone(COLOMBO), "d MMMM y, HH:mm", tzinfo=COLOMBO,
                           locale=FORMAT_LOCALES.get(locale, "en_US"))


# ---- combinations ----------------------------------------------------------------------------

def _adjustment(offer: Offer, amount: int, locale: str, voucher: str | None) -> Adjustment:
    return Adjustment(offer.rule_code, offer.label(locale), amount, labels=dict(offer.names),
                      promotion_id=offer.id, voucher=voucher if offer.requires_code else None)


def _price(chosen: list[Offer], context: Context, cart: PricedCart,
           voucher: str | None) -> Outcome:
    """What `chosen` take off `cart`, class by class, each offer within its budget."""
    outcome = Outcome(sorted(chosen, key=lambda o: o.rank))
    lines = cart.lines
    room = {i: line.gross_cents - line.discount_cents for i, line in enumerate(lines)}
    order = sorted(range(len(lines)), key=lambda i: benefits.line_key(lines[i]))
    for offer in (o for o in outcome.offers if o.cls == "line"):
        amounts = benefits.capped(benefits.line_amounts(offer, lines, room),
                                  offer.budget_left_cents, order)
        for i, amount in amounts.items():
            amount = min(amount, room[i])
            if amount <= 0:
                continue
            room[i] -= amount
            outcome.lines.setdefault(i, []).append(
                _adjustment(offer, amount, context.locale, voucher))
            outcome.given[offer.id] = outcome.given.get(offer.id, 0) + amount
    base = sum(room.values()) - cart.discount_cents
    for offer in (o for o in outcome.offers if o.cls == "order"):
        amount = benefits.order_amount(offer, max(0, base))
        if offer.budget_left_cents is not None:
            amount = min(amount, offer.budget_left_cents)
        if amount > 0:
            base -= amount
            outcome.order.append(_adjustment(offer, amount, context.locale, voucher))
            outcome.given[offer.id] = outcome.given.get(offer.id, 0) + amount
    quote = cart.quote_for(max(0, base))
    fee = quote.base_fee_cents - (cart.delivery.discount_cents if cart.delivery else 0) \
        if quote else 0
    for offer in (o for o in outcome.offers if o.cls == "delivery"):
        amount = benefits.delivery_amount(offer, max(0, fee))
        if offer.budget_left_cents is not None:
            amount = min(amount, offer.budget_left_cents)
        if amount > 0:
            fee -= amount
            outcome.delivery.append(_adjustment(offer, amount, context.locale, voucher))
            outcome.given[offer.id] = outcome.given.get(offer.id, 0) + amount
    return outcome


def _candidates(eligible: list[Offer]) -> list[list[Offer]]:
    together: list[Offer] = []
    for offer in eligible:
        if not offer.exclusive and all(offer.combines(taken) for taken in together):
            together.append(offer)
    found = [[offer] for offer in eligible if offer.exclusive]
    if together:
        found.append(together)
    return found


def best(eligible: list[Offer], context: Context, cart: PricedCart,
         voucher: str | None) -> tuple[Outcome | None, list[str]]:
    """The combination that saves the customer most (ties: the one whose first promotion
    ranks higher), and why the others were left out."""
    outcomes = [_price(c, context, cart, voucher) for c in _candidates(eligible)]
    outcomes = [o for o in outcomes if o.savings_cents > 0]
    if not outcomes:
        return None, []
    chosen = min(outcomes, key=lambda o: (-o.savings_cents, [x.rank for x in o.offers]))
    locale = context.locale
    applied = {o.id for o in chosen.offers if chosen.given.get(o.id)}
    why = []
    for offer in eligible:
        if offer.id in applied:
            continue
        if any(offer.id in {o.id for o in other.offers} and other.savings_cents > 0
               for other in outcomes):
            why.append(_("%(left)s was not added: %(chosen)s saves you more, and the two "
                         "cannot be combined.", left=offer.label(locale),
                         chosen=" + ".join(o.label(locale) for o in chosen.offers
                                           if o.id in applied)))
        else:
            why.append(_("%(left)s cannot be combined with %(chosen)s.",
                         left=offer.label(locale),
                         chosen=" + ".join(o.label(locale) for o in chosen.offers
                                           if o.id in applied)))
    return chosen, why


# ---- the rule ---------------------------------------------------------------------------------

class PromotionsRule:
    """Registered once by the app (app/promotions/__init__.py)."""

    def __init__(self, offers=None):
        # `offers` fixed (previews, tests); None: the running promotions.
        self._fixed = offers

    def discounts(self, context: Context, cart: PricedCart) -> Discounts:
        running = self._fixed if self._fixed is not None else offer_store.running()
        code = vouchers.look_up(context.voucher) if context.voucher else None
        if not running and code is None:
            return Discounts(voucher=_unknown(context) if context.voucher else None)
        with force_locale(context.locale):
            return self._discounts(running, code, context, cart)

    def _discounts(self, running, code, context: Context, cart: PricedCart) -> Discounts:
        usage = vouchers.Usage(context)
        eligible, voucher_offer, refusal, nudges = [], None, None, []
        for offer in sorted(running, key=lambda o: o.rank):
            if offer.requires_code:
                if code is None or code.promotion_id != offer.id:
                    continue
                voucher_offer = offer
            problem = _refusal(offer, context, cart, usage)
            if problem is None:
                eligible.append(offer)
            elif offer is voucher_offer:
                refusal = problem
            elif offer.min_subtotal_cents and cart.subtotal_cents < offer.min_subtotal_cents \
                    and _only_spend_missing(offer, context, cart, usage):
                nudges.append(_("Add %(amount)s more to get: %(offer)s.", amount=format_lkr(
                    offer.min_subtotal_cents - cart.subtotal_cents, context.locale),
                    offer=offer.label(context.locale)))
        if code is not None and voucher_offer is None:
            # A code of a promotion that is paused or over: not in the running set.
            voucher_offer = vouchers.offer_of_code(code)
            refusal = _refusal(voucher_offer, context, cart, usage) if voucher_offer else None
            refusal = refusal or Refusal(_("This offer has ended."))
        if code is not None and refusal is None and code.used_up:
            refusal = Refusal(_("This code has already been used."))
            eligible = [o for o in eligible if o is not voucher_offer]
        chosen, why = best(eligible, context, cart, code.code if code else None)
        result = Discounts(explanations=why, nudges=nudges[:2])
        if chosen is not None:
            result.lines, result.order, result.delivery = (chosen.lines, chosen.order,
                                                           chosen.delivery)
        if context.voucher:
            result.voucher = _voucher_state(context, code, voucher_offer, refusal, chosen, why)
        return result

    def redeem(self, cart: PricedCart, order_number: str) -> None:
        vouchers.redeem(cart, order_number)


def _unknown(context: Context) -> VoucherState:
    with force_locale(context.locale):
        return VoucherState(context.voucher, refusal=_("This code is not valid. Check it and "
                                                       "try again."))


def _voucher_state(context, code, offer, refusal, chosen, why) -> VoucherState:
    if code is None or offer is None:
        return _unknown(context)
    if refusal is not None and not refusal.pending:
        return VoucherState(code.code, refusal=refusal.message)
    if refusal is not None:
        return VoucherState(code.code, note=refusal.message)
    if chosen is not None and chosen.given.get(offer.id):
        return VoucherState(code.code, applied=True)
    left_out = [w for w in why if offer.label(context.locale) in w]
    return VoucherState(code.code, refusal=left_out[0] if left_out else
                        _("This code gives no discount on your cart as it is."))


def preview(promotion, items, district: str | None = None, locale: str = "en",
            delivery=None) -> PricedCart:
    """`items` priced with `promotion` alone, as if it were running and its code entered
    (the staff form's preview; nothing is saved or counted). `delivery` is a delivery
    option, for a delivery benefit."""
    categories = catalog.descendants(set(promotion.category_ids or ()))
    offer = offer_store.offer_of(
        promotion, frozenset(c for top in categories.values() for c in top), paused=False)
    offer = replace(offer, starts_at=None, ends_at=None, requires_code=False, uses_count=0,
                    discount_given_cents=0, max_per_customer=None)
    return pricing.price(items, district=district, locale=locale, delivery=delivery,
                         rules=[PromotionsRule([offer])])

RULE = PromotionsRule()
