"""The strips shoppers see, read from the stored lists (lists.py) and filtered as they are
read: products no longer published, sold out (a service never is) or already in the cart are
left out, so last night's list is still right this afternoon.

- home: "Buy again" and "For you" for a customer with history; a newcomer, a visitor or a
  customer who said no to personalisation gets what is popular (in the categories they
  browse, then in their district, then in the whole shop).
- product: "Often bought together" (popular in its category when the product has no
  history yet).
- cart: "Complete your order": the cart's bought-together lists merged.

Nothing here fails for lack of lists (a new shop, the job not run yet): a strip falls back
to what is popular, and to nothing at all when the shop has sold nothing yet.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from app.accounts import addresses
from app.catalog import services as catalog
from app.catalog.cards import Card
from app.recommendations import lists, tracking
from app.recommendations.algorithms import Recommendation, together_with
from app.recommendations.lists import SHOP, Item

STRIP_SIZE = 8
BROWSED_CATEGORIES = 2  # a newcomer's popular lists: the categories they viewed most


@dataclass(frozen=True)
class Strip:
    """One strip: `kind` names its title (buy_again, for_you, together, complete, popular,
    popular_category, popular_district); `about` fills the title's blank (a category's or a
    district's name key). `reasons` gives, per product shown, the card of the product that
    explains it."""

    kind: str
    cards: list[Card]
    reasons: dict[int, Card] = field(default_factory=dict)
    about: object = None

    @property
    def stock(self) -> dict[int, int]:
        return catalog.stock_by_product(self.cards)


def _shown(kind: str, items: Iterable[Item], *, leave_out: set[int], about=None,
           reasons: bool = True) -> Strip | None:
    """The first STRIP_SIZE of `items` that can be bought now, with their reasons' cards:
    one call for both (two queries)."""
    candidates: list[Item] = []
    seen = set(leave_out)
    for item in items:
        if item.product_id not in seen:
            seen.add(item.product_id)
            candidates.append(item)
        if len(candidates) == STRIP_SIZE * 3:  # room for some sold out or unpublished
            break
    if not candidates:
        return None
    reason_ids = {i.reason_id for i in candidates if reasons and i.reason_id is not None}
    cards = {c.id: c for c in catalog.cards_by_id(
        list(dict.fromkeys([i.product_id for i in candidates] + sorted(reason_ids))))}
    chosen, why = [], {}
    for item in candidates:
        card = cards.get(item.product_id)
        if card is None or not card.variants or not (card.is_service or card.units > 0):
            continue
        chosen.append(card)
        if reasons and item.reason_id in cards and item.reason_id != item.product_id:
            why[card.id] = cards[item.reason_id]
        if len(chosen) == STRIP_SIZE:
            break
    return Strip(kind, chosen, why, about) if chosen else None


def home(*, customer_id: int | None, visitor_id: str | None, in_cart: set[int]) -> list[Strip]:
    """The home page's strips for this customer (None: a signed-out visitor)."""
    personal = customer_id is not None and tracking.personalised(customer_id)
    owner = str(customer_id)
    keys = [("buy_again", owner), ("for_you", owner)] if personal else []
    found = lists.read([*keys, ("popular", SHOP)])
    strips = []
    if personal:
        strips.append(_shown("buy_again", found.get(("buy_again", owner), ()),
                             leave_out=in_cart, reasons=False))
        strips.append(_shown("for_you", found.get(("for_you", owner), ()),
                             leave_out=in_cart | _ids(strips)))
    if not any(strips):
        browsing = personal or customer_id is None
        strips.append(_newcomer(customer_id if personal else None,
                                visitor_id if browsing else None, in_cart,
                                found.get(("popular", SHOP), ())))
    return [strip for strip in strips if strip]


def _newcomer(customer_id: int | None, visitor_id: str | None, in_cart: set[int],
              popular: list[Item]) -> Strip | None:
    """Cold start: popular in the categories they browse, else in their district, else in
    the whole shop."""
    viewed = tracking.recently_viewed(customer_id=customer_id, visitor_id=visitor_id)
    if viewed:
        categories = Counter(catalog.product_categories(list(set(viewed))).values())
        top = [str(c) for c, _ in categories.most_common(BROWSED_CATEGORIES)]
        found = lists.read(("popular_category", c) for c in top)
        merged = _interleave(found.get(("popular_category", c), []) for c in top)
        strip = _shown("popular_category", merged, leave_out=in_cart, reasons=False,
                       about=int(top[0]) if len(top) == 1 else None)
        if strip:
            return strip
    district = addresses.latest_district(customer_id) if customer_id else None
    if district:
        found = lists.read([("popular_district", district)])
        strip = _shown("popular_district", found.get(("popular_district", district), ()),
                       leave_out=in_cart, reasons=False, about=district)
        if strip:
            return strip
    return _shown("popular", popular, leave_out=in_cart, reasons=False)


def product(product_id: int, *, in_cart: set[int]) -> Strip | None:
    """"Often bought together" under a product page."""
    found = lists.read([("together", str(product_id))])
    items = found.get(("together", str(product_id)))
    if items:
        return _shown("together", items, leave_out=in_cart | {product_id}, reasons=False)
    category = catalog.product_categories([product_id]).get(product_id)
    if category is None:
        return None
    found = lists.read([("popular_category", str(category))])
    return _shown("popular_category", found.get(("popular_category", str(category)), ()),
                  leave_out=in_cart | {product_id}, reasons=False, about=category)


def cart(product_ids: set[int]) -> Strip | None:
    """"Complete your order" under the cart: what is bought with what is in it."""
    if not product_ids:
        return None
    found = lists.read(("together", str(p)) for p in sorted(product_ids))
    together = {int(owner): [Recommendation(i.product_id, 1.0 / (rank + 1), int(owner))
                             for rank, i in enumerate(items)]
                for (_kind, owner), items in found.items()}
    merged = together_with(together, sorted(product_ids))
    return _shown("complete", [Item(r.item, r.reason_item) for r in merged],
                  leave_out=product_ids)


def popular(*, leave_out: set[int]) -> Strip | None:
    """What sells in the whole shop (under a search that found nothing)."""
    found = lists.read([("popular", SHOP)])
    return _shown("popular", found.get(("popular", SHOP), ()), leave_out=leave_out,
                  reasons=False)


def personal_items(customer_id: int, kind: str, *, in_cart: set[int]) -> Strip | None:
    """One personal list (the API's /me/recommendations); None when there is none or the
    customer said no to personalisation."""
    if kind not in ("buy_again", "for_you") or not tracking.personalised(customer_id):
        return None
    found = lists.read([(kind, str(customer_id))])
    return _shown(kind, found.get((kind, str(customer_id)), ()), leave_out=in_cart,
                  reasons=kind == "for_you")


def _ids(strips: list[Strip | None]) -> set[int]:
    return {card.id for strip in strips if strip for card in strip.cards}


def _interleave(lists_: Iterable[list[Item]]) -> list[Item]:
    """Round robin over several lists, so each category has its place near the top."""
    pending = [list(items) for items in lists_]
    merged: list[Item] = []
    while any(pending):
        for items in pending:
            if items:
                merged.append(items.pop(0))
    return merged
