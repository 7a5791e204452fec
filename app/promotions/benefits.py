"""What each benefit takes off a cart, in whole cents, never depending on the order of lines.

Every function here is pure: it reads the priced lines and what is left to discount on
each (`room`, by line index) and returns proposed amounts by line index. Lines are always
visited in a stable order of their own (variant, slot, quantity), never their position in the
cart, so the same cart in another order gets the same discounts. Shares of one amount are
spread over lines in proportion to their value, remainders by the largest-remainder method.
"""

from __future__ import annotations

from app.promotions.offers import Offer


def line_key(line) -> tuple:
    return (line.item.variant_id, line.item.slot_id or 0, line.quantity, line.unit_cents)


class CartView:
    """A cart's lines as the engine reads them many times over for one pricing: their
    stable order, and each offer's qualifying lines worked out once, through an index of
    the lines by variant, product and category (an offer names a handful of ids: looking
    them up beats testing every line against every offer)."""

    def __init__(self, lines, now=None):
        self.lines = lines
        self.now = now  # the moment the cart is priced at (UTC)
        self.keys = [line_key(line) for line in lines]
        self.order = sorted(range(len(lines)), key=self.keys.__getitem__)
        self.position = {i: n for n, i in enumerate(self.order)}
        self.subtotal_cents = sum(line.total_cents for line in lines)
        # What is left to discount on each line before this rule.
        self.room = {i: line.gross_cents - line.discount_cents for i, line in enumerate(lines)}
        self._by: dict[str, dict[int, set[int]]] = {"variant": {}, "product": {},
                                                    "category": {}}
        for i, line in enumerate(lines):
            self._by["variant"].setdefault(line.item.variant_id, set()).add(i)
            self._by["product"].setdefault(line.product_id, set()).add(i)
            if line.category_id is not None:
                self._by["category"].setdefault(line.category_id, set()).add(i)
        self._qualifying: dict[int, list[int]] = {}
        self._units: dict[int, int] = {}

    def qualifying(self, offer: Offer) -> list[int]:
        """Indexes of the lines `offer` applies to, in the stable order."""
        found = self._qualifying.get(offer.id)
        if found is None:
            if offer.benefit == "bundle":
                hits = self._lines("variant", offer.bundle)
            elif not (offer.products or offer.variants or offer.categories):
                hits = set(self.order)
            else:
                hits = (self._lines("variant", offer.variants)
                        | self._lines("product", offer.products)
                        | self._lines("category", offer.categories))
            found = sorted(hits, key=self.position.__getitem__)
            self._qualifying[offer.id] = found
        return found

    def _lines(self, kind: str, ids) -> set[int]:
        index = self._by[kind]
        hits: set[int] = set()
        for one in ids:
            hits |= index.get(one, set())
        return hits

    def quantity(self, offer: Offer) -> int:
        """Units of the lines `offer` applies to."""
        found = self._units.get(offer.id)
        if found is None:
            lines = self.lines
            found = self._units[offer.id] = sum(lines[i].quantity
                                                for i in self.qualifying(offer))
        return found


def percent_of(cents: int, percent: int) -> int:
    """`percent` % of `cents`, rounded half up, in whole cents."""
    return (cents * percent + 50) // 100


def spread(total: int, weights: dict[int, int], order: list[int]) -> dict[int, int]:
    """`total` shared by `weights` (line index -> cents), never more than a weight, in whole
    cents; the cents left by rounding go to the largest remainders, ties in `order`."""
    whole = sum(weights.values())
    if whole <= 0 or total <= 0:
        return {}
    total = min(total, whole)
    shares = {i: total * weights[i] // whole for i in order}
    left = total - sum(shares.values())
    by_remainder = sorted(order, key=lambda i: -(total * weights[i] % whole))
    for i in by_remainder:
        if left <= 0:
            break
        if shares[i] < weights[i]:
            shares[i] += 1
            left -= 1
    return {i: amount for i, amount in shares.items() if amount > 0}


def line_amounts(offer: Offer, view: CartView, room: dict[int, int]) -> dict[int, int]:
    """A line-class benefit's proposed discount per line index (before the budget cap)."""
    lines = view.lines
    chosen = view.qualifying(offer)
    if offer.benefit == "line_percent":
        return {i: percent_of(room[i], offer.percent or 0) for i in chosen}
    if offer.benefit == "line_fixed":
        return {i: min(room[i], (offer.amount_cents or 0) * lines[i].quantity) for i in chosen}
    if offer.benefit == "tiered":
        count = sum(lines[i].quantity for i in chosen)
        reached = [percent for least, percent in offer.tiers if count >= least]
        if not reached:
            return {}
        return {i: percent_of(room[i], reached[-1]) for i in chosen}
    if offer.benefit == "buy_x_get_y":
        return _buy_x_get_y(offer, view, chosen, room)
    if offer.benefit == "bundle":
        return _bundle(offer, lines, chosen, room)
    return {}


def _buy_x_get_y(offer: Offer, view: CartView, chosen: list[int], room: dict[int, int]
                 ) -> dict[int, int]:
    """Units sorted dearest first and cut into groups of X + Y; in each full group the Y
    cheapest go at the offer's percent off (100: free). The shop's usual reading of "buy 2
    get 1": the free item is never dearer than the ones paid for."""
    buy, get = offer.buy or 0, offer.get or 0
    if buy < 1 or get < 1:
        return {}
    lines = view.lines
    units = sorted(((lines[i].unit_cents, view.keys[i], i) for i in chosen
                    for _ in range(lines[i].quantity)), key=lambda u: (-u[0], u[1]))
    size = buy + get
    amounts: dict[int, int] = {}
    for start in range(0, len(units) - size + 1, size):
        for unit_cents, _, i in units[start + buy:start + size]:
            amounts[i] = amounts.get(i, 0) + percent_of(unit_cents, offer.percent or 100)
    return {i: min(amount, room[i]) for i, amount in amounts.items()}


def _bundle(offer: Offer, lines, chosen: list[int], room: dict[int, int]) -> dict[int, int]:
    """Each complete set of the bundle's variants costs the bundle price: the difference
    from their prices comes off, shared by value."""
    if len(offer.bundle) < 2 or offer.amount_cents is None:
        return {}
    units_of: dict[int, int] = {}
    price_of: dict[int, int] = {}
    for i in chosen:
        variant = lines[i].item.variant_id
        units_of[variant] = units_of.get(variant, 0) + lines[i].quantity
        price_of[variant] = min(price_of.get(variant, lines[i].unit_cents), lines[i].unit_cents)
    if set(units_of) != set(offer.bundle):
        return {}
    sets = min(units_of.values())
    saving = sum(price_of.values()) - offer.amount_cents
    if sets <= 0 or saving <= 0:
        return {}
    # Shared by each line's value in the sets (a line holds `sets` units of its variant at
    # most, spread over lines of the same variant in line order).
    weights: dict[int, int] = {}
    left = dict.fromkeys(units_of, sets)
    for i in chosen:
        variant = lines[i].item.variant_id
        units = min(left[variant], lines[i].quantity)
        left[variant] -= units
        if units:
            weights[i] = min(room[i], units * lines[i].unit_cents)
    return spread(sets * saving, weights, chosen)


def order_amount(offer: Offer, base_cents: int) -> int:
    if offer.benefit == "order_percent":
        return percent_of(base_cents, offer.percent or 0)
    if offer.benefit == "order_fixed":
        return min(base_cents, offer.amount_cents or 0)
    return 0


def delivery_amount(offer: Offer, fee_cents: int) -> int:
    if offer.percent:
        return percent_of(fee_cents, offer.percent)
    return min(fee_cents, offer.amount_cents or 0)


def capped(amounts: dict[int, int], limit: int | None, order: list[int]) -> dict[int, int]:
    """Amounts within a remaining budget, kept in proportion."""
    total = sum(amounts.values())
    if limit is None or total <= limit:
        return amounts
    return spread(limit, amounts, [i for i in order if i in amounts])
