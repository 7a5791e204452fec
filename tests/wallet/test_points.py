"""Loyalty points: earned when an order's money arrives (not on credit or points spent),
taken back by a cancel (all) or a refund (its share), spent at checkout at the scheme's
value, lapsing on the date shown, with a reminder before."""

from __future__ import annotations

import datetime as dt

import pytest

from app import db
from app.checkout.services import place_order
from app.db import utcnow
from app.errors import Forbidden, Invalid
from app.orders import services as orders
from app.payments import credit, refunds, services as payments
from app.wallet import points as loyalty, services as wallet
from tests.checkout.factories import customer_order, starter_delivery, stocked
from tests.factories import make_customer, make_staff
from tests.wallet.test_checkout_credit import _cart, _choices, _payments


@pytest.fixture()
def scheme(db_session):
    """1 point for each Rs 100, worth Rs 1, for 12 months, reminded 30 days before; and the
    shop's delivery options."""
    starter_delivery()
    return loyalty.save_scheme(enabled=True, points_per_100_rupees=1, point_value_cents=100,
                               expiry_months=12, reminder_days=30, actor=None)


def _paid_order(customer, price_cents=10_000_00):
    starter_delivery()
    order = customer_order(customer, (stocked("Rice cooker", price_cents=price_cents), 1))
    payments.mark_collected(order.number, order.due_cents)
    return orders.find_by_number(order.number)


def test_points_are_earned_when_the_money_arrives(scheme):
    customer = make_customer()
    starter_delivery()
    order = customer_order(customer, (stocked("Rice cooker", price_cents=10_000_00), 1))
    assert loyalty.balance(customer.id) == 0  # cash on delivery: nothing until collected

    payments.mark_collected(order.number, order.due_cents)

    points = (10_000_00 + order.delivery_fee_cents) // 100_00
    assert loyalty.balance(customer.id) == points
    [lot] = wallet.expiring(customer.id, "points")
    assert lot.expires_at.date() == loyalty.add_months(utcnow(), 12).date()
    # The handler running twice (at-least-once delivery) adds nothing more.
    credit.earn_points(order.number)
    assert loyalty.balance(customer.id) == points


def test_a_cancelled_order_takes_its_points_back(scheme):
    customer = make_customer()
    order = _paid_order(customer)
    assert loyalty.balance(customer.id) > 0

    orders.change_status(order.number, "cancelled", actor=make_staff("order_manager"))

    assert loyalty.balance(customer.id) == 0
    assert [e.kind for e in wallet.history(customer.id, "points")] == ["taken_back", "earned"]


def test_a_partial_refund_takes_back_its_share(scheme):
    customer = make_customer()
    order = _paid_order(customer, price_cents=9_650_00)  # + Rs 350 delivery: Rs 10,000
    assert loyalty.balance(customer.id) == 100
    manager = make_staff("order_manager")
    orders.change_status(order.number, "shipped", actor=manager)
    orders.change_status(order.number, "delivered", actor=manager)

    refunds.refund(order.number, 2_500_00, reason="One part missing", actor=manager)
    assert loyalty.balance(customer.id) == 75
    refunds.refund(order.number, 7_500_00, reason="Sent back", actor=manager)
    assert loyalty.balance(customer.id) == 0


def test_points_already_spent_are_not_taken_below_zero(scheme):
    customer = make_customer()
    order = _paid_order(customer, price_cents=9_650_00)
    wallet.spend(customer.id, 80, order_number="KD-2026-999999", unit="points")

    orders.change_status(order.number, "cancelled", actor=make_staff("order_manager"))

    assert loyalty.balance(customer.id) == 0
    taken = wallet.history(customer.id, "points")[0]
    assert (taken.kind, taken.amount, taken.reason) == ("taken_back", -20,
                                                        "80 points already spent")


def test_points_pay_part_of_an_order_and_earn_only_on_the_money(scheme):
    customer = make_customer()
    wallet.add(customer.id, 300, kind="earned", unit="points")
    cart = _cart(customer, stocked("Jaggery", price_cents=1_000_00))

    order, _ = place_order(cart, _choices(customer, points=300), user=customer)

    assert (order.points_cents, order.due_cents) == (300_00, order.total_cents - 300_00)
    assert _payments(order.number)["points"] == ("captured", 300_00, 300_00)
    assert loyalty.balance(customer.id) == 0
    payments.mark_collected(order.number, order.due_cents)
    assert loyalty.balance(customer.id) == order.due_cents // 100_00


def test_points_never_pay_more_than_the_total(scheme):
    customer = make_customer()
    wallet.add(customer.id, 5_000, kind="earned", unit="points")
    cart = _cart(customer, stocked("Cinnamon", price_cents=500_00))

    order, _ = place_order(cart, _choices(customer, points=5_000), user=customer)

    assert order.points_cents == order.total_cents - order.total_cents % 100
    if order.due_cents == 0:
        assert order.payment_method == "points"
    assert loyalty.balance(customer.id) == 5_000 - order.points_cents // 100


def test_asking_for_more_points_than_held_is_refused(scheme):
    customer = make_customer()
    wallet.add(customer.id, 10, kind="earned", unit="points")
    cart = _cart(customer, stocked("Salt", price_cents=1_000_00))

    with pytest.raises(wallet.NotEnoughCredit) as refused:
        place_order(cart, _choices(customer, points=50), user=customer)

    assert refused.value.field == "points" and refused.value.data["balance"] == 10


def test_points_lapse_on_the_date_shown_with_a_reminder_before(scheme):
    customer = make_customer()
    earned_at = utcnow()
    wallet.add(customer.id, 40, kind="earned", unit="points",
               expires_at=earned_at + dt.timedelta(days=20))
    wallet.add(customer.id, 10, kind="earned", unit="points",
               expires_at=earned_at + dt.timedelta(days=200))

    [(user_id, points, when)] = loyalty.expiring_soon(at=earned_at)
    assert (user_id, points) == (customer.id, 40)
    assert loyalty.expiring_soon(at=earned_at - dt.timedelta(days=30)) == []

    later = earned_at + dt.timedelta(days=21)
    assert loyalty.balance(customer.id) == 50
    assert wallet.balance(customer.id, "points", at=later) == 10
    wallet.expire_due(at=later)
    assert wallet.history(customer.id, "points")[0].kind == "expired"


def test_the_scheme_is_set_by_promotions_staff_within_bounds(db_session):
    with pytest.raises(Forbidden):
        loyalty.save_scheme(enabled=True, points_per_100_rupees=2, point_value_cents=50,
                            expiry_months=6, reminder_days=14,
                            actor=make_staff("catalog_manager"))
    with pytest.raises(Invalid) as wrong:
        loyalty.save_scheme(enabled=True, points_per_100_rupees=2, point_value_cents=0,
                            expiry_months=6, reminder_days=14, actor=make_staff("marketing"))
    assert wrong.value.field == "point_value_cents"
    saved = loyalty.save_scheme(enabled=True, points_per_100_rupees=2, point_value_cents=50,
                                expiry_months=6, reminder_days=14,
                                actor=make_staff("marketing"))
    assert (saved.earned_on(10_000_00), saved.value_of(10), saved.points_worth(149)) == (
        200, 500, 2)
    assert db.session.get(loyalty.PointsSettings, 1).updated_by is not None


def test_the_reminder_goes_once_per_lapse_date(scheme, outbox):
    customer = make_customer(email="points@example.lk")
    wallet.add(customer.id, 40, kind="earned", unit="points",
               expires_at=utcnow() + dt.timedelta(days=10))

    assert loyalty.remind_expiring() == 1
    assert loyalty.remind_expiring() == 0

    [mail] = outbox.to("points@example.lk", "points")
    assert "40 Kade points expire on" in mail["Subject"]
    assert "/account/credit" in outbox.text(mail)


def test_the_account_page_shows_points_and_when_they_lapse(scheme, client, login):
    customer = make_customer()
    wallet.add(customer.id, 40, kind="earned", unit="points", order_number="KD-2026-000077",
               expires_at=utcnow() + dt.timedelta(days=10))
    login(customer)

    html = client.get("/account/credit").get_data(as_text=True)

    assert "You have 40 points, worth Rs. 40.00." in html
    assert "40 points expire on" in html and "KD-2026-000077" in html


def test_a_part_refund_of_an_order_paid_partly_with_points_returns_both_in_proportion(
        scheme):
    customer = make_customer()
    wallet.add(customer.id, 400, kind="earned", unit="points")
    cart = _cart(customer, stocked("Brass bowl", price_cents=1_250_00))
    order, _ = place_order(cart, _choices(customer, points=400), user=customer)
    payments.mark_collected(order.number, order.due_cents)  # Rs 1,250 + 350 - 400 = 1,200
    assert (order.total_cents, order.points_cents, order.due_cents) == (
        1_600_00, 400_00, 1_200_00)
    manager = make_staff("order_manager")
    points_before = loyalty.balance(customer.id)

    refunds.refund(order.number, 800_00, reason="Half of it was dented", actor=manager)

    # A half of the order's value: half of the cash and half of the points come back.
    assert _payments(order.number)["cod"] == ("partially_refunded", 1_200_00, 1_200_00)
    cod = payments.payment_for(order.number, "cod")
    paid_with_points = payments.payment_for(order.number, "points")
    assert (cod.refunded_cents, paid_with_points.refunded_cents) == (600_00, 200_00)
    # 200 of the 400 points back; the points earned on the refunded cash go (6 of 12).
    assert loyalty.balance(customer.id) == points_before + 200 - 6


def test_a_cashback_promotion_pays_store_credit_once_the_money_arrives(scheme, outbox):
    from app.promotions import admin as promotions

    promotions.create_promotion(None, {"name_en": "5% back", "benefit": "cashback",
                                       "percent": 5,
                                       "combines_with": ["line", "order", "delivery"]})
    customer = make_customer(email="cashback@example.lk")
    cart = _cart(customer, stocked("Rice cooker", price_cents=10_000_00))

    order, _ = place_order(cart, _choices(customer), user=customer)

    assert order.cashback_cents == 500_00
    assert order.total_cents == 10_000_00 + order.delivery_fee_cents  # not off the price
    assert wallet.balance(customer.id) == 0  # cash on delivery: nothing until collected
    payments.mark_collected(order.number, order.due_cents)
    assert wallet.balance(customer.id) == 500_00
    assert any("store credit" in m["Subject"] for m in outbox.to("cashback@example.lk"))

    orders.change_status(order.number, "cancelled", actor=make_staff("order_manager"))
    assert wallet.balance(customer.id) == 0  # a cancelled order's cashback goes back


def test_refunding_an_order_paid_partly_with_points_in_parts_gives_every_point_back(scheme):
    customer = make_customer()
    wallet.add(customer.id, 400, kind="earned", unit="points")
    cart = _cart(customer, stocked("Brass bowl", price_cents=1_250_00))
    order, _ = place_order(cart, _choices(customer, points=400), user=customer)
    payments.mark_collected(order.number, order.due_cents)  # Rs 1,200 cash, Rs 400 points
    manager = make_staff("order_manager")
    orders.change_status(order.number, "shipped", actor=manager)
    orders.change_status(order.number, "delivered", actor=manager)

    # Rs 1 back, a quarter of it from the points (25 cents: less than a point), twice;
    # then the rest. The whole order is refunded, so all 400 points come back.
    refunds.refund(order.number, 1_00, reason="Scratched", actor=manager)
    refunds.refund(order.number, 1_00, reason="Scratched", actor=manager)
    refunds.refund(order.number, 1_600_00 - 2_00, reason="Sent back", actor=manager)

    assert orders.find_by_number(order.number).status == "refunded"
    assert payments.payment_for(order.number, "points").status == "refunded"
    assert loyalty.balance(customer.id) == 400


def test_a_cancel_after_a_part_refund_gives_the_rest_of_the_points_back(scheme):
    customer = make_customer()
    wallet.add(customer.id, 400, kind="earned", unit="points")
    cart = _cart(customer, stocked("Brass bowl", price_cents=1_250_00))
    order, _ = place_order(cart, _choices(customer, points=400), user=customer)
    manager = make_staff("order_manager")
    payments.mark_collected(order.number, order.due_cents)

    # Rs 3 back before it is sent (75 cents of it from the points), then it is cancelled.
    refunds.refund(order.number, 3_00, reason="Price match", actor=manager)
    orders.change_status(order.number, "cancelled", actor=manager)

    assert loyalty.balance(customer.id) == 400


# ---- money that went back by other ways than a refund -----------------------------------------

def _charge_back(order_number: str) -> None:
    """The payment provider took the money back from the shop (PayHere's status -3), as
    record_payhere_notification applies it to the ledger."""
    with db.transaction():
        payment = payments.payment_for(order_number, lock=True)
        payments.apply_outcome(payment, "charged_back", payment.captured_cents, None)


def test_a_charge_back_takes_back_the_points_and_the_cashback_the_money_earned(scheme):
    from app.promotions import admin as promotions

    promotions.create_promotion(None, {"name_en": "5% back", "benefit": "cashback",
                                       "percent": 5,
                                       "combines_with": ["line", "order", "delivery"]})
    customer = make_customer()
    order = _paid_order(customer, price_cents=9_650_00)  # + Rs 350 delivery: Rs 10,000
    assert (loyalty.balance(customer.id), wallet.balance(customer.id)) == (100, 482_50)

    _charge_back(order.number)

    assert payments.payment_for(order.number).status == "charged_back"
    assert (loyalty.balance(customer.id), wallet.balance(customer.id)) == (0, 0)
    _charge_back(order.number)  # told twice: nothing more is taken
    assert [e.kind for e in wallet.history(customer.id, "points")] == ["taken_back", "earned"]


def test_a_charge_back_after_a_part_refund_takes_back_what_the_refund_left(scheme):
    customer = make_customer()
    order = _paid_order(customer, price_cents=9_650_00)
    manager = make_staff("order_manager")
    orders.change_status(order.number, "shipped", actor=manager)
    orders.change_status(order.number, "delivered", actor=manager)
    refunds.refund(order.number, 2_500_00, reason="One part missing", actor=manager)
    assert loyalty.balance(customer.id) == 75

    _charge_back(order.number)

    assert loyalty.balance(customer.id) == 0


def test_points_earned_after_a_refund_was_handled_keep_only_the_share_not_refunded(scheme):
    # The outbox runs handlers in no set order: here the refund's taking back ran while the
    # order had earned nothing yet (the scheme was off when its money arrived), and the
    # earning (the paid event's handler, run late) comes after it.
    customer = make_customer()
    loyalty.save_scheme(enabled=False, points_per_100_rupees=1, point_value_cents=100,
                        expiry_months=12, reminder_days=30, actor=None)
    order = _paid_order(customer, price_cents=9_650_00)
    manager = make_staff("order_manager")
    orders.change_status(order.number, "shipped", actor=manager)
    orders.change_status(order.number, "delivered", actor=manager)
    refunds.refund(order.number, 2_500_00, reason="One part missing", actor=manager)
    loyalty.save_scheme(enabled=True, points_per_100_rupees=1, point_value_cents=100,
                        expiry_months=12, reminder_days=30, actor=None)

    credit.earn_points(order.number)
    credit.earn_points(order.number)  # delivered twice: the same

    assert loyalty.balance(customer.id) == 75
