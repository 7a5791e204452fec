"""What a product card and a product page say about the promotions that apply to a product:
a short badge ("15% off", "Buy 2 get 1 free") and, where any shopper would pay it for one
unit, the price after the automatic discount.

Pure over loaded data: the products come with their variants (every catalog list service
loads them) and the promotions from `offers.running()`, kept in memory, so a page of cards
costs no query per card. A page asks once (`for_page`), whatever it shows.

Only line-class promotions get a badge (an order or delivery discount names no product), and
of those only the ones a shopper meets without doing anything: running now, not used up,
public, needing no code and meant for everyone (not a list of customers). When several apply,
the badge shows the one that saves most on one unit, then the higher ranked.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from babel.numbers import format_currency
from flask import g, has_request_context
from flask_babel import force_locale, gettext as _

from app.db import utcnow
from app.i18n import FORMAT_LOCALES, format_lkr
from app.promotions import offers as offer_store
from app.promotions.benefits import percent_of
from app.promotions.offers import Offer

# The benefits whose saving on one unit is the same for every shopper who meets no other
# condition: only these may change the price a card shows.
PLAIN_PRICE_BENEFITS = ("line_percent", "line_fixed")


@dataclass(frozen=True)
class Badge:
    promotion_id: int
    label: str
    # The lowest price of the product's active variants after the discount, when the
    # promotion takes it off one unit for anyone; else None.
    price_after_cents: int | None = None
    # Each qualifying variant's price after the discount (the product page follows the
    # variant chosen), under the same rule; empty when that rule does not hold.
    variant_prices: Mapping[int, int] = field(default_factory=dict)
    saving_cents: int = 0  # on one unit of the cheapest qualifying variant, to choose


def whole_money(cents: int, locale: str) -> str:
    """`Rs. 200` for a round amount, `Rs. 199.50` otherwise: badges are short."""
    if cents % 100:
        return format_lkr(cents, locale)
    if locale == "en":
        return "Rs. " + format_currency(cents // 100, "LKR", format="#,##0",
                                        currency_digits=False, locale="en_US")
    return format_currency(cents // 100, "LKR", format="¤#,##0", currency_digits=False,
                           locale=FORMAT_LOCALES.get(locale, "en_US"))


def label_of(offer: Offer, locale: str) -> str:
    """The benefit in a few words, in `locale` ("15% off", "Buy 2 get 1 free")."""
    with force_locale(locale):
        if offer.benefit in ("line_percent", "order_percent"):
            return _("%(percent)d%% off", percent=offer.percent or 0)
        if offer.benefit in ("line_fixed", "order_fixed"):
            return _("%(amount)s off", amount=whole_money(offer.amount_cents or 0, locale))
        if offer.benefit == "buy_x_get_y":
            if (offer.percent or 100) >= 100:
                return _("Buy %(buy)d get %(get)d free", buy=offer.buy or 0, get=offer.get or 0)
            return _("Buy %(buy)d get %(get)d at %(percent)d%% off", buy=offer.buy or 0,
                     get=offer.get or 0, percent=offer.percent or 0)
        if offer.benefit == "tiered" and offer.tiers:
            least, percent = offer.tiers[0]
            return _("%(count)d+ for %(percent)d%% off", count=least, percent=percent)
        if offer.benefit == "bundle":
            return _("Bundle offer")
        if offer.benefit == "cashback":
            return _("%(percent)d%% back as store credit", percent=offer.percent or 0)
        if offer.benefit == "delivery":
            if (offer.percent or 0) >= 100:
                return _("Free delivery")
            if offer.percent:
                return _("%(percent)d%% off delivery", percent=offer.percent)
            return _("%(amount)s off delivery",
                     amount=whole_money(offer.amount_cents or 0, locale))
        return offer.label(locale)


def shown(offer: Offer, now: dt.datetime) -> bool:
    """A promotion a shopper meets by just buying: worth a badge."""
    return (offer.cls == "line" and offer.is_public and not offer.requires_code
            and not offer.paused and not offer.segment and offer.within_window(now)
            and not offer.exhausted)


def plain_price(offer: Offer) -> bool:
    """Its saving on one unit is what anyone pays: no condition beyond the item."""
    return (offer.benefit in PLAIN_PRICE_BENEFITS and not offer.min_quantity
            and not offer.min_subtotal_cents and not offer.districts
            and not offer.first_order_only and not offer.signed_in_only)


def _qualifying_variants(offer: Offer, product) -> list:
    active = [v for v in product.variants if v.is_active]
    if offer.benefit == "bundle":
        return [v for v in active if v.id in offer.bundle]
    if not (offer.products or offer.variants or offer.categories):
        return active
    if product.id in offer.products or product.category_id in offer.categories:
        return active
    return [v for v in active if v.id in offer.variants]


def _unit_saving(offer: Offer, price: int) -> int:
    """What one unit at `price` saves, roughly, to compare promotions."""
    if offer.benefit == "line_percent":
        return percent_of(price, offer.percent or 0)
    if offer.benefit == "line_fixed":
        return min(price, offer.amount_cents or 0)
    if offer.benefit == "buy_x_get_y" and (offer.buy or 0) > 0 and (offer.get or 0) > 0:
        free = percent_of(price, offer.percent or 100) * offer.get
        return free // (offer.buy + offer.get)
    if offer.benefit == "tiered" and offer.tiers:
        return percent_of(price, offer.tiers[0][1])
    return 0


def _badge(offer: Offer, product, locale: str, variants: list | None = None) -> Badge | None:
    variants = _qualifying_variants(offer, product) if variants is None else variants
    if not variants:
        return None
    cheapest = min(v.price_cents for v in variants)
    saving = _unit_saving(offer, cheapest)
    after, prices = None, {}
    if plain_price(offer):
        prices = {v.id: v.price_cents - _unit_saving(offer, v.price_cents) for v in variants}
        others = [v.price_cents for v in product.variants
                  if v.is_active and v.id not in prices]
        lowest = min([*prices.values(), *others])
        lowest_before = min([v.price_cents for v in product.variants if v.is_active])
        if lowest < lowest_before:
            after = lowest
    return Badge(offer.id, label_of(offer, locale), after, prices, saving)


class _Index:
    """The candidate promotions by what they name, so a card looks up the few that can
    concern it instead of trying every running promotion (200 of them × 24 cards)."""

    def __init__(self, candidates: list[Offer]):
        self.rank = {offer.id: n for n, offer in enumerate(candidates)}
        self.everything: list[Offer] = []
        self.by: dict[str, dict[int, list[Offer]]] = {"product": {}, "category": {},
                                                      "variant": {}}
        for offer in candidates:
            if offer.benefit == "bundle":
                for variant in offer.bundle:
                    self.by["variant"].setdefault(variant, []).append(offer)
            elif not (offer.products or offer.variants or offer.categories):
                self.everything.append(offer)
            else:
                for kind, ids in (("product", offer.products),
                                  ("category", offer.categories),
                                  ("variant", offer.variants)):
                    for one in ids:
                        self.by[kind].setdefault(one, []).append(offer)

    def for_product(self, product) -> list[Offer]:
        found = {o.id: o for o in self.everything}
        for offer in self.by["product"].get(product.id, ()):
            found[offer.id] = offer
        for offer in self.by["category"].get(product.category_id, ()):
            found[offer.id] = offer
        for variant in product.variants:
            for offer in self.by["variant"].get(variant.id, ()):
                found[offer.id] = offer
        return sorted(found.values(), key=lambda o: self.rank[o.id])


def _saving(offer: Offer, product) -> tuple[int, list] | None:
    """What one unit saves at best under `offer`, and the variants it covers."""
    variants = _qualifying_variants(offer, product)
    if not variants:
        return None
    return _unit_saving(offer, min(v.price_cents for v in variants)), variants


def badges_for(products: Iterable, locale: str, *, running: Iterable[Offer] | None = None,
               now: dt.datetime | None = None) -> dict[int, Badge]:
    """The best badge of each product that has one, by product id. `running` defaults to
    `offers.running()` (kept in memory); the products must have their variants loaded.
    The best is the largest saving on one unit, then the higher rank; only its label is
    put into words."""
    now = now or utcnow()
    candidates = [o for o in (offer_store.running() if running is None else running)
                  if shown(o, now)]
    found: dict[int, Badge] = {}
    if not candidates:
        return found
    index = _Index(candidates)
    for product in products:
        best: tuple | None = None
        for offer in index.for_product(product):
            measured = _saving(offer, product)
            if measured is None:
                continue
            key = (-measured[0], index.rank[offer.id])
            if best is None or key < best[0]:
                best = (key, offer, measured[1])
        if best is not None:
            badge = _badge(best[1], product, locale, best[2])
            if badge is not None:
                found[product.id] = badge
    return found


def _running_this_request() -> tuple[Offer, ...]:
    """The running promotions, loaded once per request. Outside a request (a job's long
    app context) they are not kept."""
    if not has_request_context():
        return offer_store.running()
    if "kade_running_offers" not in g:
        g.kade_running_offers = offer_store.running()
    return g.kade_running_offers


def for_page(products: Iterable, locale: str) -> dict[int, Badge]:
    """badges_for with the promotions loaded once per request, however many groups of cards
    a page shows."""
    return badges_for(products, locale, running=_running_this_request())


# What running promotions count as they are used: a use changes no badge (unless it uses
# the promotion up, and then `shown` says so).
_COUNTERS = ("uses_count", "discount_given_cents")


def version(now: dt.datetime | None = None) -> tuple:
    """What every page's badges depend on besides its products, for the page's ETag
    (app/revalidation.py): the promotions a shopper meets now (`shown`), as plain values in
    a fixed order (the same on every process), from the same load as the page's badges."""
    now = now or utcnow()
    return tuple(_plain(offer) for offer in _running_this_request() if shown(offer, now))


def _plain(offer: Offer) -> tuple:
    values = []
    for name, value in vars(offer).items():
        if name in _COUNTERS:
            continue
        if isinstance(value, frozenset):
            value = tuple(sorted(value))
        elif isinstance(value, dict):
            value = tuple(sorted(value.items()))
        values.append((name, value))
    return tuple(values)
