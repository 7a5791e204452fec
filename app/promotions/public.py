"""The promotions the shop advertises: the /offers page and GET /api/v1/promotions.

Public promotions only (`is_public`), not paused, not over and not used up; meant for
everyone (a promotion for a list of customers is theirs, not an advert). Running ones come
by rank (higher priority first), upcoming ones by when they start. A promotion's conditions
are told as plain facts; a voucher code is named only when the promotion has exactly one
and it is not single-use (codes handed out one by one are never printed on a page).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from app import db
from app.catalog import services as catalog
from app.db import utcnow
from app.promotions import badges
from app.promotions.models import Promotion
from app.promotions.offers import offer_of

LINKS_SHOWN = 8  # categories and products linked from one offer, at most


@dataclass(frozen=True)
class PublicOffer:
    promotion: Promotion
    name: str
    description: str
    label: str  # what it gives, as the product badges say it
    running: bool
    code: str | None  # the one code to type, when there is a single one
    categories: tuple  # catalog Category rows it covers (active), for links
    products: tuple  # published catalog Products it names (or whose variants it names)

    @property
    def needs_code(self) -> bool:
        return self.promotion.requires_code

    @property
    def names_items(self) -> bool:
        p = self.promotion
        return bool(p.product_ids or p.variant_ids or p.category_ids or p.bundle_variant_ids)


@dataclass(frozen=True)
class Offers:
    running: list[PublicOffer]
    upcoming: list[PublicOffer]


def _advertised(now: dt.datetime) -> list[Promotion]:
    rows = db.session.scalars(
        select(Promotion).where(Promotion.is_public.is_(True), Promotion.paused.is_(False),
                                or_(Promotion.ends_at.is_(None), Promotion.ends_at > now))
        .options(selectinload(Promotion.codes))
        .order_by(Promotion.priority.desc(), Promotion.id)).all()
    return [row for row in rows if row.status(now) in ("running", "scheduled")
            and not row.segment_customer_ids]


def _shown_code(row: Promotion) -> str | None:
    """The code to print: the promotion's only one, and one many people may use (a
    single-use code is somebody's own)."""
    if row.requires_code and len(row.codes) == 1 and row.codes[0].max_uses != 1:
        return row.codes[0].code
    return None


def advertised(locale: str, now: dt.datetime | None = None, *, links: bool = True) -> Offers:
    """The public promotions running at `now` and those still to come, in `locale`.
    `links`: also load the categories and products each names (the page links to them)."""
    now = now or utcnow()
    rows = _advertised(now)
    categories, products, variants = {}, {}, {}
    if links and rows:
        categories = catalog.categories_by_id(
            {i for row in rows for i in row.category_ids or ()})
        variants = catalog.variants_for_sale(
            [int(i) for row in rows for i in [*(row.variant_ids or ()),
                                               *(row.bundle_variant_ids or ())]])
        named = {int(i) for row in rows for i in row.product_ids or ()}
        named |= {variant.product_id for variant in variants.values()}
        products = {p.id: p for p in catalog.get_published_many(sorted(named))}
    running, upcoming = [], []
    for row in rows:
        offer = offer_of(row)
        product_ids = [*(row.product_ids or ()),
                       *(variants[v].product_id for v in [*(row.variant_ids or ()),
                                                          *(row.bundle_variant_ids or ())]
                         if v in variants)]
        item = PublicOffer(
            promotion=row, name=row.name(locale), description=row.description(locale),
            label=badges.label_of(offer, locale), running=row.status(now) == "running",
            code=_shown_code(row),
            categories=tuple(categories[c] for c in dict.fromkeys(row.category_ids or ())
                             if c in categories)[:LINKS_SHOWN],
            products=tuple(products[p] for p in dict.fromkeys(product_ids)
                           if p in products)[:LINKS_SHOWN])
        (running if item.running else upcoming).append(item)
    upcoming.sort(key=lambda o: (o.promotion.starts_at, o.promotion.id))
    return Offers(running, upcoming)
