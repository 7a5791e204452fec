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

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from babel.dates import format_datetime
from flask_babel import force_locale, gettext as _

from app.accounts.districts import district_name
from app.checkout import pricing
from app.checkout.pricing import Adjustment, Context, Discounts, PricedCart, VoucherState
from app.i18n import COLOMBO, FORMAT_LOCALES, format_lkr
from app.promotions import benefits, offers as offer_store, vouchers
from app.promotions.offers import Offer

invalidate = offer_store.invalidate


@dataclass
class Outcome:
    """One candidate combination priced: what each offer takes off where, and in all.
    Adjustments (with labels) are made only for the combination chosen."""

    offers: list[Offer]
    # (class, line index or None, offer, cents), in the order applied
    entries: list[tuple[str, int | None, Offer, int]] = field(default_factory=list)
    given: dict[int, int] = field(default_factory=dict)  # promotion id -> cents

    def add(self, cls: str, index: int | None, offer: Offer, amount: int) -> None:
        self.entries.append((cls, index, offer, amount))
        self.given[offer.id] = self.given.get(offer.id, 0) + amount

    @property
    def savings_cents(self) -> int:
        return sum(self.given.values())

    def discounts(self, locale: str, voucher: str | None) -> Discounts:
        found = Discounts()
        for cls, index, offer, amount in self.entries:
            adjustment = _adjustment(offer, amount, locale, voucher)
            if cls == "line":
                found.lines.setdefault(index, []).append(adjustment)
            elif cls == "order":
                found.order.append(adjustment)
            else:
                found.delivery.append(adjustment)
        return found


# ---- conditions ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Refusal:
    """Why a promotion does not apply to this cart now; `pending` when it may still apply
    once checkout knows more (the district). The words are put together only when asked
    for: a cart meets many promotions that do not apply, and says why for one code."""

    words: Callable[[], str]
    pending: bool = False

    @property
    def message(self) -> str:
        return self.words()


def _refusal(offer: Offer, context: Context, cart: PricedCart, view: benefits.CartView,
             usage, spend_checked: bool = True) -> Refusal | None:
    """The first condition that fails, or None. `spend_checked` False leaves out the minimum
    spend (is it the only thing missing?)."""
    locale = context.locale
    now = view.now
    if offer.paused:
        return Refusal(lambda: _("This offer is paused just now. Please try again later."))
    if offer.starts_at is not None and now < offer.starts_at:
        return Refusal(lambda: _("This offer starts on %(when)s.",
                                 when=shown_time(offer.starts_at, locale)))
    if offer.ends_at is not None and now >= offer.ends_at:
        return Refusal(lambda: _("This offer ended on %(when)s.",
                                 when=shown_time(offer.ends_at, locale)))
    if offer.exhausted:
        return Refusal(lambda: _("This offer has reached its limit."))
    # Cashback is paid into store credit, which only an account holds: a guest would be
    # promised credit never paid, and use up the promotion's uses and budget.
    if (offer.signed_in_only or offer.benefit == "cashback") and context.customer_id is None:
        return Refusal(lambda: _("Sign in to use this offer."))
    if offer.segment and context.customer_id not in offer.segment:
        return Refusal(lambda: _("This offer is not available for your account."))
    if offer.max_per_customer is not None and usage(offer) >= offer.max_per_customer:
        return Refusal(lambda: _("You have already used this offer."))
    if offer.first_order_only and context.orders_before is not None \
            and context.orders_before() > 0:
        return Refusal(lambda: _("This offer is for a first order only."))
    if offer.names_item and not view.qualifying(offer):
        return Refusal(lambda: _("None of the items in your cart are part of this offer."))
    missing = (offer.min_quantity or 0) - view.quantity(offer)
    if missing > 0:
        return Refusal(lambda: _("Add %(count)d more of the items in this offer to use it.",
                                 count=missing))
    short = (offer.min_subtotal_cents or 0) - view.subtotal_cents
    if spend_checked and short > 0:
        return Refusal(lambda: _(
            "Spend %(missing)s more to use this offer (minimum spend %(least)s).",
            missing=format_lkr(short, locale),
            least=format_lkr(offer.min_subtotal_cents, locale)))
    if offer.districts:
        def served() -> str:
            return ", ".join(sorted(district_name(d, locale) for d in offer.districts))
        if context.district is None:
            return Refusal(lambda: _("For delivery to: %(districts)s. Checked when you give "
                                     "your address.", districts=served()), pending=True)
        if context.district not in offer.districts:
            return Refusal(lambda: _("This offer is not for %(district)s. It applies in: "
                                     "%(districts)s.",
                                     district=district_name(context.district, locale),
                                     districts=served()))
    if offer.cls == "delivery" and not cart.needs_delivery:
        return Refusal(lambda: _("This offer is for delivery, and nothing in your cart is "
                                 "delivered."))
    return None


def _only_spend_missing(offer: Offer, context: Context, cart: PricedCart,
                        view: benefits.CartView, usage) -> bool:
    """Spending more is all it takes (a district still to be given does not count against
    it): worth a nudge."""
    problem = _refusal(offer, context, cart, view, usage, spend_checked=False)
    return problem is None or problem.pending


def shown_time(moment, locale: str) -> str:
    """A UTC moment as the shopper reads it: Colombo time, month in their language."""
    return format_datetime(moment.astimezone(COLOMBO), "d MMMM y, HH:mm", tzinfo=COLOMBO,
                           locale=FORMAT_LOCALES.get(locale, "en_US"))


# ---- combinations ----------------------------------------------------------------------------

def _adjustment(offer: Offer, amount: int, locale: str, voucher: str | None) -> Adjustment:
    return Adjustment(offer.rule_code, offer.label(locale), amount, labels=dict(offer.names),
                      promotion_id=offer.id, voucher=voucher if offer.requires_code else None)


def _price(chosen: list[Offer], cart: PricedCart, view: benefits.CartView) -> Outcome:
    """What `chosen` take off `cart`, class by class, each offer within its budget."""
    outcome = Outcome(sorted(chosen, key=lambda o: o.rank))
    room = dict(view.room)
    for offer in (o for o in outcome.offers if o.cls == "line"):
        amounts = benefits.capped(benefits.line_amounts(offer, view, room),
                                  offer.budget_left_cents, view.order)
        for i in sorted(amounts, key=view.position.__getitem__):
            amount = min(amounts[i], room[i])
            if amount > 0:
                room[i] -= amount
                outcome.add("line", i, offer, amount)
    base = sum(room.values()) - cart.discount_cents
    for offer in (o for o in outcome.offers if o.cls == "order"):
        amount = benefits.order_amount(offer, max(0, base))
        if offer.budget_left_cents is not None:
            amount = min(amount, offer.budget_left_cents)
        if amount > 0:
            base -= amount
            outcome.add("order", None, offer, amount)
    delivery = [o for o in outcome.offers if o.cls == "delivery"]
    if delivery:
        quote = cart.quote_for(max(0, base))
        fee = quote.base_fee_cents - (cart.delivery.discount_cents if cart.delivery else 0) \
            if quote else 0
        for offer in delivery:
            amount = benefits.delivery_amount(offer, max(0, fee))
            if offer.budget_left_cents is not None:
                amount = min(amount, offer.budget_left_cents)
            if amount > 0:
                fee -= amount
                outcome.add("delivery", None, offer, amount)
    return outcome


def _candidates(eligible: list[Offer]) -> list[list[Offer]]:
    """Each exclusive promotion alone, and the others taken by rank while each combines with
    every one taken (kept as the classes taken and the classes all of them allow, so each
    check is a set lookup, not a pass over those taken)."""
    together: list[Offer] = []
    taken: set[str] = set()
    allowed = {"line", "order", "delivery"}
    for offer in eligible:
        if offer.exclusive or (together and (offer.cls not in allowed
                                             or not taken <= offer.combines_with)):
            continue
        together.append(offer)
        taken.add(offer.cls)
        allowed &= offer.combines_with
    found = [[offer] for offer in eligible if offer.exclusive]
    if together:
        found.append(together)
    return found


# Reasons given for promotions left out: the few that rank highest (a shopper reads two or
# three, not two hundred).
MAX_EXPLAINED = 3


def best(eligible: list[Offer], context: Context, cart: PricedCart, view: benefits.CartView,
         explain: Offer | None = None) -> tuple[Outcome | None, list[str]]:
    """The combination that saves the customer most (ties: the one whose first promotion
    ranks higher), and why the best of the others (and `explain`, the code's promotion, if
    left out) were left out."""
    outcomes = [_price(c, cart, view) for c in _candidates(eligible)]
    outcomes = [o for o in outcomes if o.savings_cents > 0]
    if not outcomes:
        return None, []
    chosen = min(outcomes, key=lambda o: (-o.savings_cents, [x.rank for x in o.offers]))
    locale = context.locale
    applied = [o for o in chosen.offers if chosen.given.get(o.id)]
    applied_ids = {o.id for o in applied}
    elsewhere = {o.id for other in outcomes if other is not chosen for o in other.offers}
    left_out = [o for o in eligible if o.id not in applied_ids][:MAX_EXPLAINED]
    if explain is not None and explain.id not in applied_ids and explain not in left_out:
        left_out.append(explain)
    if not left_out:
        return chosen, []
    names = " + ".join(o.label(locale) for o in applied)
    why = []
    for offer in left_out:
        if offer.id in elsewhere:
            why.append(_("%(left)s was not added: %(chosen)s saves you more, and the two "
                         "cannot be combined.", left=offer.label(locale), chosen=names))
        else:
            why.append(_("%(left)s cannot be combined with %(chosen)s.",
                         left=offer.label(locale), chosen=names))
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
        view = benefits.CartView(cart.lines, context.moment)
        eligible, voucher_offer, refusal, nudges = [], None, None, []
        for offer in sorted(running, key=lambda o: o.rank):
            if offer.requires_code:
                if code is None or code.promotion_id != offer.id:
                    continue
                voucher_offer = offer
            problem = _refusal(offer, context, cart, view, usage)
            if problem is None:
                eligible.append(offer)
            elif offer is voucher_offer:
                refusal = problem
            elif len(nudges) < 2 and offer.min_subtotal_cents \
                    and view.subtotal_cents < offer.min_subtotal_cents \
                    and _only_spend_missing(offer, context, cart, view, usage):
                nudges.append(_("Add %(amount)s more to get: %(offer)s.", amount=format_lkr(
                    offer.min_subtotal_cents - view.subtotal_cents, context.locale),
                    offer=offer.label(context.locale)))
        if code is not None and voucher_offer is None:
            # A personal voucher (never in the running set), or the code of a promotion that
            # is paused or over.
            voucher_offer = vouchers.offer_of_code(code)
            refusal = (_refusal(voucher_offer, context, cart, view, usage)
                       if voucher_offer else None)
            if voucher_offer is not None and voucher_offer.personal and refusal is None:
                eligible = sorted([*eligible, voucher_offer], key=lambda o: o.rank)
            else:
                refusal = refusal or Refusal(lambda: _("This offer has ended."))
        if code is not None and refusal is None and code.used_up:
            refusal = Refusal(lambda: _("This code has already been used."))
            eligible = [o for o in eligible if o is not voucher_offer]
        cashbacks = [o for o in eligible if o.benefit == "cashback"]
        eligible = [o for o in eligible if o.benefit != "cashback"]
        chosen, why = best(eligible, context, cart, view,
                           explain=voucher_offer if refusal is None else None)
        result = Discounts(explanations=why, nudges=nudges)
        given = 0
        if chosen is not None:
            made = chosen.discounts(context.locale, code.code if code else None)
            result.lines, result.order, result.delivery = made.lines, made.order, made.delivery
            given = (sum(a.amount_cents for found in made.lines.values() for a in found)
                     + sum(a.amount_cents for a in made.order))
        if cashbacks:
            # The biggest cashback, on what the goods cost after the discounts.
            offer = max(cashbacks, key=lambda o: o.percent or 0)  # ties: the first by rank
            amount = benefits.percent_of(max(0, view.subtotal_cents - given), offer.percent or 0)
            if offer.budget_left_cents is not None:
                amount = min(amount, offer.budget_left_cents)  # never more than its budget
            result.rewards = [_adjustment(offer, amount, context.locale,
                                          code.code if code else None)]
        if context.voucher:
            result.voucher = _voucher_state(context, cart, code, voucher_offer, refusal, chosen,
                                            why)
        return result

    def redeem(self, cart: PricedCart, order_number: str) -> None:
        vouchers.redeem(cart, order_number)


def _unknown(context: Context) -> VoucherState:
    with force_locale(context.locale):
        return VoucherState(context.voucher, refusal=_("This code is not valid. Check it and "
                                                       "try again."))


def _voucher_state(context, cart, code, offer, refusal, chosen, why) -> VoucherState:
    if code is None or offer is None:
        return _unknown(context)
    if refusal is not None and not refusal.pending:
        return VoucherState(code.code, refusal=refusal.message)
    if refusal is not None:
        return VoucherState(code.code, note=refusal.message)
    if chosen is not None and chosen.given.get(offer.id):
        return VoucherState(code.code, applied=True)
    if offer.cls == "delivery" and cart.delivery_option is None:
        # No delivery option priced yet (the cart page, the voucher field): a delivery
        # code has nothing to take off until checkout prices one, where it is checked. Said
        # so, or the shopper sees their code with no word of what it does.
        return VoucherState(code.code, note=_("Takes off the delivery fee: checked when you "
                                              "choose delivery at checkout."))
    left_out = [w for w in why if offer.label(context.locale) in w]
    return VoucherState(code.code, refusal=left_out[0] if left_out else
                        _("This code gives no discount on your cart as it is."))


def preview(promotion, items, district: str | None = None, locale: str = "en",
            delivery=None) -> PricedCart:
    """`items` priced with `promotion` alone, as if it were running and its code entered
    (the staff form's preview; nothing is saved or counted). `delivery` is a delivery
    option, for a delivery benefit."""
    offer = replace(offer_store.offer_with_sub_categories(promotion), paused=False,
                    starts_at=None, ends_at=None, requires_code=False, uses_count=0,
                    discount_given_cents=0, max_per_customer=None)
    return pricing.price(items, district=district, locale=locale, delivery=delivery,
                         rules=[PromotionsRule([offer])])

RULE = PromotionsRule()
