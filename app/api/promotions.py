"""GET /promotions: the public promotions running now. Public: no token.

The same promotions as the shop's /offers page (app.promotions.public), running ones only;
names, descriptions and labels follow Accept-Language (en, si, ta), with English where a
translation is missing. A promotion's voucher codes are never listed: `needs_code` says one
is needed.
"""

from __future__ import annotations

from app.api.blueprint import bp
from app.api.catalog import CACHING, _kept
from app.api.catalog_schemas import Money
from app.api.languages import api_locale
from app.api.promotion_schemas import (
    AppliesToOut,
    ConditionsOut,
    PromotionListOut,
    PromotionOut,
    TierOut,
)
from app.promotions import public


def _out(item: public.PublicOffer) -> PromotionOut:
    p = item.promotion
    return PromotionOut(
        id=p.id, name=item.name, description=item.description, label=item.label,
        benefit=p.benefit, benefit_class=p.benefit_class, percent=p.percent,
        amount=Money.of(p.amount_cents), buy_quantity=p.buy_quantity,
        get_quantity=p.get_quantity,
        tiers=[TierOut(min_quantity=int(q), percent=int(pc))
               for q, pc in sorted(p.tiers or [])],
        bundle_variant_ids=sorted(int(v) for v in p.bundle_variant_ids or ()),
        applies_to=AppliesToOut(product_ids=sorted(int(i) for i in p.product_ids or ()),
                                variant_ids=sorted(int(i) for i in p.variant_ids or ()),
                                category_ids=sorted(int(i) for i in p.category_ids or ())),
        starts_at=p.starts_at, ends_at=p.ends_at,
        conditions=ConditionsOut(
            min_spend=Money.of(p.min_subtotal_cents or None), min_quantity=p.min_quantity,
            districts=sorted(p.districts or ()), first_order_only=p.first_order_only,
            signed_in_only=p.signed_in_only, needs_code=p.requires_code))


@bp.get("/promotions")
@_kept
@bp.output(PromotionListOut)
@bp.doc(tags=["Promotions"])
def list_promotions():
    """Public promotions running now

    The shop's advertised promotions that apply at this moment: not paused, within their
    dates, not used up, and meant for every customer. Higher priority first. What a cart
    actually gets is worked out by the cart and checkout (`GET /cart`), which apply the
    conditions and the stacking rules.
    """
    offers = public.advertised(api_locale(), links=False)
    return PromotionListOut(items=[_out(item) for item in offers.running]), 200, CACHING
