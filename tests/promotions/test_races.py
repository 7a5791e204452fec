"""Limits hold when checkouts race: a single-use code is used once, a budget is never
overspent. Each checkout runs in its own thread, app context and connection, through the
service the pages and the API call (as in tests/checkout/test_no_oversell.py)."""

from __future__ import annotations

from sqlalchemy import func, select

from app import db
from app.checkout import cart as carts
from app.checkout.models import Cart
from app.checkout.services import Contact, place_order
from app.errors import Invalid
from app.orders.models import Order, OrderAdjustment
from app.promotions.models import Promotion, VoucherCode
from tests.checkout.factories import guest_choices, starter_delivery, stocked
from tests.checkout.races import checkouts_at_once
from tests.promotions.factories import make_promotion


def race(app, cart_ids: list[int]) -> list[str]:
    def outcome_of(error: Exception) -> str:
        # Counted out in the order's transaction (PromotionUnavailable), or seen used up
        # already when the cart was priced: the shopper is told either way.
        if isinstance(error, Invalid) and error.field == "voucher":
            return "refused"
        return repr(error)

    return checkouts_at_once(app, cart_ids, outcome_of, phone_prefix="0772")


def carts_with(variant_id: int, count: int, code: str | None = None) -> list[int]:
    ids = []
    for _ in range(count):
        cart = carts.open_cart(token=carts.new_token())
        carts.add_item(cart, variant_id, 1)
        if code:
            carts.set_voucher(cart, code)
        ids.append(cart.id)
    return ids


def test_50_checkouts_with_one_single_use_code_discount_one_order(app):
    with app.app_context():
        starter_delivery()
        rice = stocked("Rice", units=100, price_cents=2_000_00)
        make_promotion("One lucky shopper", percent=50, code="LUCKY", code_uses=1)
        cart_ids = carts_with(rice.id, 50, code="LUCKY")
        db.session.remove()

    outcomes = race(app, cart_ids)

    assert sorted(set(outcomes)) == ["ordered", "refused"], set(outcomes)
    assert outcomes.count("ordered") == 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Order)) == 1
        [adjustment] = db.session.scalars(select(OrderAdjustment)).all()
        assert (adjustment.voucher, adjustment.amount_cents) == ("LUCKY", 1_000_00)
        assert db.session.scalar(select(VoucherCode.uses_count)) == 1


def test_100_checkouts_never_overspend_a_budget(app):
    with app.app_context():
        starter_delivery()
        rice = stocked("Rice", units=200, price_cents=2_000_00)
        make_promotion("Launch week", percent=50, max_discount_cents=10_000_00)
        cart_ids = carts_with(rice.id, 100)
        db.session.remove()

    outcomes = race(app, cart_ids)

    assert set(outcomes) <= {"ordered", "refused"}, set(outcomes)
    with app.app_context():
        given = db.session.scalar(select(func.coalesce(func.sum(
            OrderAdjustment.amount_cents), 0)))
        promotion = db.session.scalars(select(Promotion)).one()
        assert given <= 10_000_00
        assert promotion.discount_given_cents == given
        # Every order placed is one use; the budget paid out in full before anyone went
        # without (each order's discount was what was left at its pricing).
        assert promotion.uses_count == db.session.scalar(
            select(func.count()).select_from(OrderAdjustment))
        assert given == 10_000_00


def test_one_guest_placing_orders_at_once_gets_a_first_order_offer_once(app):
    # Each checkout prices its cart before it waits for the same shopper's other
    # checkouts: every one of them sees no earlier order. The order's transaction must
    # count again, or one mobile number takes "first order only" on all of them.
    with app.app_context():
        starter_delivery()
        rice = stocked("Rice", units=100, price_cents=2_000_00)
        make_promotion("Welcome", percent=10, code="WELCOME", first_order_only=True)
        cart_ids = carts_with(rice.id, 4, code="WELCOME")
        db.session.remove()
    same_shopper = Contact(name="Race Shopper", email="one@example.lk", phone="0779876543")

    def place(cart_id: int) -> None:
        place_order(db.session.get(Cart, cart_id), guest_choices(contact=same_shopper))

    outcomes = checkouts_at_once(
        app, cart_ids, lambda error: "refused" if isinstance(error, Invalid)
        and error.field == "voucher" else repr(error),
        placed_by=dict.fromkeys(cart_ids, place))

    assert set(outcomes) <= {"ordered", "refused"}, set(outcomes)
    assert outcomes.count("ordered") == 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OrderAdjustment)) == 1
        assert db.session.scalar(select(Promotion.uses_count)) == 1
