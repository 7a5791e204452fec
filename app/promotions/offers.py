"""A promotion as the engine reads it: plain, frozen values, loaded once and shared.

The engine prices every cart and every product card with the running promotions, so it must
not query them each time: `running()` keeps them for PROMOTIONS_CACHE_SECONDS per process
(5 s by default), with the categories expanded to their sub-categories, and any change made
by staff in this process clears it at once (`invalidate`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import or_, select

from app import db
from app.catalog import services as catalog
from app.db import utcnow
from app.memo import TTLCache
from app.promotions.models import BENEFITS, Promotion

_KEY = "running"


@dataclass(frozen=True)
class Offer:
    id: int
    names: dict
    benefit: str
    percent: int | None
    amount_cents: int | None
    buy: int | None
    get: int | None
    tiers: tuple[tuple[int, int], ...]
    bundle: tuple[int, ...]
    products: frozenset[int]
    variants: frozenset[int]
    categories: frozenset[int]
    min_subtotal_cents: int | None
    min_quantity: int | None
    districts: frozenset[str]
    first_order_only: bool
    signed_in_only: bool
    segment: frozenset[int]
    requires_code: bool
    max_uses: int | None
    uses_count: int
    max_per_customer: int | None
    max_discount_cents: int | None
    discount_given_cents: int
    starts_at: dt.datetime | None
    ends_at: dt.datetime | None
    priority: int
    exclusive: bool
    combines_with: frozenset[str]
    is_public: bool
    paused: bool = False
    personal: bool = False  # loaded by its code only (see Promotion.personal)

    @property
    def cls(self) -> str:
        return BENEFITS[self.benefit]

    @property
    def rank(self) -> tuple[int, int]:
        """Sort key: higher priority first, then the older promotion."""
        return (-self.priority, self.id)

    @property
    def rule_code(self) -> str:
        return f"promo:{self.id}"

    def label(self, locale: str) -> str:
        return self.names.get(locale) or self.names["en"]

    @property
    def names_item(self) -> bool:
        """It names products, variants or categories (else every item qualifies)."""
        return bool(self.products or self.variants or self.categories or self.bundle)

    def qualifies(self, line) -> bool:
        if self.benefit == "bundle":
            return line.item.variant_id in self.bundle
        if not (self.products or self.variants or self.categories):
            return True
        return (line.item.variant_id in self.variants or line.product_id in self.products
                or line.category_id in self.categories)

    def within_window(self, now: dt.datetime) -> bool:
        return ((self.starts_at is None or now >= self.starts_at)
                and (self.ends_at is None or now < self.ends_at))

    @property
    def exhausted(self) -> bool:
        return ((self.max_uses is not None and self.uses_count >= self.max_uses)
                or (self.max_discount_cents is not None
                    and self.discount_given_cents >= self.max_discount_cents))

    @property
    def budget_left_cents(self) -> int | None:
        if self.max_discount_cents is None:
            return None
        return max(0, self.max_discount_cents - self.discount_given_cents)

    def combines(self, other: Offer) -> bool:
        """Both allow the other's class (and neither is exclusive)."""
        return (not self.exclusive and not other.exclusive
                and other.cls in self.combines_with and self.cls in other.combines_with)


def offer_of(promotion: Promotion, categories: frozenset[int] | None = None) -> Offer:
    return Offer(
        id=promotion.id or 0,
        names={"en": promotion.name_en, "si": promotion.name_si or promotion.name_en,
               "ta": promotion.name_ta or promotion.name_en},
        benefit=promotion.benefit, percent=promotion.percent,
        amount_cents=promotion.amount_cents, buy=promotion.buy_quantity,
        get=promotion.get_quantity,
        tiers=tuple(sorted((int(q), int(p)) for q, p in (promotion.tiers or []))),
        bundle=tuple(sorted({int(v) for v in promotion.bundle_variant_ids or []})),
        products=frozenset(promotion.product_ids or ()),
        variants=frozenset(promotion.variant_ids or ()),
        categories=(categories if categories is not None
                    else frozenset(promotion.category_ids or ())),
        min_subtotal_cents=promotion.min_subtotal_cents, min_quantity=promotion.min_quantity,
        districts=frozenset(promotion.districts or ()),
        first_order_only=bool(promotion.first_order_only),
        signed_in_only=bool(promotion.signed_in_only),
        segment=frozenset(promotion.segment_customer_ids or ()),
        requires_code=bool(promotion.requires_code), max_uses=promotion.max_uses,
        uses_count=promotion.uses_count or 0,
        max_per_customer=promotion.max_uses_per_customer,
        max_discount_cents=promotion.max_discount_cents,
        discount_given_cents=promotion.discount_given_cents or 0,
        starts_at=promotion.starts_at, ends_at=promotion.ends_at,
        priority=promotion.priority or 0, exclusive=bool(promotion.exclusive),
        combines_with=frozenset(promotion.combines_with or ()),
        is_public=bool(promotion.is_public),
        paused=bool(promotion.paused), personal=bool(promotion.personal))


def offer_with_sub_categories(promotion: Promotion) -> Offer:
    """One promotion as an Offer, its categories expanded (a query of the tree)."""
    below = catalog.descendants(set(promotion.category_ids or ()))
    return offer_of(promotion, frozenset(sub for top in below.values() for sub in top))


def load(now: dt.datetime | None = None) -> tuple[Offer, ...]:
    """Promotions that are not paused and not over, from the database (two queries). A
    personal voucher's is not among them: the engine loads it when a cart carries its code."""
    now = now or utcnow()
    rows = db.session.scalars(select(Promotion).where(
        Promotion.paused.is_(False), Promotion.personal.is_(False),
        or_(Promotion.ends_at.is_(None), Promotion.ends_at > now))).all()
    wanted = {c for row in rows for c in row.category_ids or ()}
    below = catalog.descendants(wanted) if wanted else {}
    return tuple(sorted(
        (offer_of(row, frozenset(sub for top in row.category_ids or ()
                                 for sub in below.get(top, {top})))
         for row in rows), key=lambda offer: offer.rank))


def _store() -> TTLCache:
    return current_app.extensions.setdefault("kade_promotions", TTLCache(1))


def running() -> tuple[Offer, ...]:
    """The promotions to price with, from memory when loaded less than
    PROMOTIONS_CACHE_SECONDS ago. Window and limits are checked per cart, at its time."""
    keep = int(current_app.config.get("PROMOTIONS_CACHE_SECONDS") or 0)
    if not keep:
        return load()
    store = _store()
    found = store.get(_KEY)
    if found is None:
        found = load()
        store.put(_KEY, found, keep)
    return found


def invalidate() -> None:
    """Forget the loaded promotions (staff changed one; this process sees it at once)."""
    _store().clear()
