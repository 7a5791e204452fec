"""Properties of the engine for any cart and any set of running promotions (hypothesis):
nothing goes below zero, no discount exceeds what it applies to, the total is the sum of its
parts in whole cents, and neither the order of lines nor of promotions changes anything.

The carts are built in memory (no database): the engine only reads priced lines."""

from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings, strategies as st

from app.checkout import pricing
from app.checkout.models import DeliveryOption
from app.checkout.pricing import Context, Item, PricedCart, PricedLine
from app.promotions.engine import PromotionsRule
from app.promotions.models import BENEFITS
from app.promotions.offers import Offer

DISTRICTS = ["colombo", "galle", "kandy"]
lines_st = st.lists(st.tuples(
    st.integers(1, 6),            # variant (also its product)
    st.integers(1, 5),            # quantity
    st.integers(1, 50_000_00),    # unit price, cents
    st.integers(1, 3),            # category
    st.sampled_from(["product", "product", "service"])), min_size=1, max_size=8,
    unique_by=lambda t: t[0])


@st.composite
def offers_st(draw):
    count = draw(st.integers(0, 6))
    found = []
    for number in range(1, count + 1):
        benefit = draw(st.sampled_from(sorted(BENEFITS)))
        tiers = tuple(sorted({(q, p) for q, p in draw(st.lists(
            st.tuples(st.integers(2, 8), st.integers(1, 100)), min_size=1, max_size=3))}))
        found.append(Offer(
            id=number, names={"en": f"Offer {number}"}, benefit=benefit,
            percent=draw(st.one_of(st.none(), st.integers(1, 100))) if benefit in (
                "buy_x_get_y", "delivery") else draw(st.integers(1, 100)),
            amount_cents=draw(st.integers(1, 80_000_00)),
            buy=draw(st.integers(1, 3)), get=draw(st.integers(1, 2)), tiers=tiers,
            bundle=tuple(sorted(set(draw(st.lists(st.integers(1, 6), min_size=2,
                                                   max_size=3))))),
            products=frozenset(draw(st.sets(st.integers(1, 6), max_size=2))),
            variants=frozenset(), categories=frozenset(draw(st.sets(st.integers(1, 3),
                                                                    max_size=2))),
            min_subtotal_cents=draw(st.one_of(st.none(), st.integers(1, 100_000_00))),
            min_quantity=draw(st.one_of(st.none(), st.integers(1, 6))),
            districts=frozenset(draw(st.sets(st.sampled_from(DISTRICTS), max_size=2))),
            first_order_only=False, signed_in_only=False, segment=frozenset(),
            requires_code=False, max_uses=None, uses_count=0, max_per_customer=None,
            max_discount_cents=draw(st.one_of(st.none(), st.integers(1, 50_000_00))),
            discount_given_cents=0, starts_at=None, ends_at=None,
            priority=draw(st.integers(0, 3)), exclusive=draw(st.booleans()),
            combines_with=frozenset(draw(st.sets(st.sampled_from(["line", "order",
                                                                   "delivery"])))),
            is_public=True))
    return found


def priced(rows, offers, district):
    option = DeliveryOption(code="island", name_en="Island-wide", districts=[],
                            fee_cents=350_00, free_over_cents=20_000_00, is_active=True)
    lines = [PricedLine(item=Item(variant, quantity), product_id=variant,
                        product_slug=f"p{variant}", kind=kind, sku=f"SKU{variant}",
                        category_id=category, names={"en": f"Item {variant}"}, options="",
                        unit_cents=unit, compare_at_cents=None, image_key=None)
             for variant, quantity, unit, category, kind in rows]
    context = Context(customer_id=None, district=district, locale="en")
    cart = PricedCart(lines, [], None, [], needs_delivery=any(k == "product" for *_, k in rows),
                      district=district, context=context, delivery_option=option)
    return pricing.apply_rules(cart, [PromotionsRule(offers)])


def summary(cart):
    return (sorted((line.item.variant_id, line.discount_cents) for line in cart.lines),
            cart.subtotal_cents, cart.discount_cents, cart.delivery_fee_cents,
            cart.total_cents)


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=lines_st, offers=offers_st(), district=st.sampled_from(DISTRICTS),
       seed=st.integers(0, 2**16))
def test_any_cart_with_any_promotions_adds_up(app_ctx, rows, offers, district, seed):
    cart = priced(rows, offers, district)
    for line in cart.lines:
        assert isinstance(line.discount_cents, int)
        assert 0 <= line.discount_cents <= line.gross_cents
        assert line.total_cents >= 0
        assert all(a.amount_cents > 0 for a in line.discounts)
    assert 0 <= cart.discount_cents <= cart.subtotal_cents
    if cart.delivery is not None:
        assert 0 <= cart.delivery.discount_cents <= cart.delivery.base_fee_cents
        assert cart.delivery.fee_cents >= 0
    assert cart.total_cents == cart.subtotal_cents - cart.discount_cents + cart.delivery_fee_cents
    assert cart.total_cents >= 0
    # Cashback is a reward paid later, not a saving on the price.
    assert cart.savings_cents == sum(a.amount_cents for kind, _, a in cart.adjustments
                                     if kind != "cashback")
    # A promotion with a budget never gives more than it.
    for offer in offers:
        given_by = sum(a.amount_cents for _, _, a in cart.adjustments
                       if a.promotion_id == offer.id)
        if offer.max_discount_cents is not None:
            assert given_by <= offer.max_discount_cents

    shuffle = random.Random(seed)
    rows2, offers2 = list(rows), list(offers)
    shuffle.shuffle(rows2)
    shuffle.shuffle(offers2)
    assert summary(priced(rows2, offers2, district)) == summary(cart)
