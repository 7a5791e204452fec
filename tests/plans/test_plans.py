"""Plans and subscriptions: benefits through the pricing pipeline only while the
subscription is active or in grace; service credits per period; the subscription's states
through payments, renewals, failed payments, grace and cancelling."""

from __future__ import annotations

import datetime as dt

import pytest

from app.checkout import cart as carts, delivery
from app.checkout.services import place_order
from app.db import utcnow
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.orders import services as orders
from app.plans import services as plans
from app.plans.services import PlanInput
from tests.checkout.factories import service_with_slot, starter_delivery, stocked
from tests.factories import make_address, make_customer, make_staff
from tests.wallet.test_checkout_credit import _choices

DAY = dt.timedelta(days=1)


@pytest.fixture()
def shop(db_session):
    starter_delivery()
    tea = stocked("Ceylon tea", units=20, price_cents=1_250_00)
    soap = stocked("Herbal soap", units=20, price_cents=300_00)
    cleaning, _slot = service_with_slot("Home cleaning visit", capacity=10,
                                        price_cents=2_500_00)
    return {"tea": tea, "soap": soap, "cleaning": cleaning}


@pytest.fixture()
def plus(shop):
    """Kade Plus: Rs 990 a month, free delivery, tea at Rs 1,000 for members, 4 cleaning
    visits a period, 7 days' grace."""
    return plans.save_plan(PlanInput(
        code="kade-plus", name_en="Kade Plus", price_cents=990_00, free_delivery=True,
        member_prices={shop["tea"].id: 1_000_00},
        service_credits={shop["cleaning"].product_id: 4}, grace_days=7), actor=None)


def member(plan, *, now=None):
    """A customer with a paid, active subscription to `plan` (by bank transfer)."""
    customer = make_customer()
    make_address(customer.id)
    subscription = plans.subscribe(customer.id, plan.code, "bank_transfer", now=now)
    plans.pay_invoice(plans.open_invoice(subscription.id).id, now=now)
    return customer, subscription


def priced_for(customer, *items):
    """A fresh cart of `items` priced for `customer`, delivered island-wide to Galle."""
    cart = carts.open_cart(token=carts.new_token())
    for variant, quantity in items:
        carts.add_item(cart, variant.id, quantity)
    return carts.priced(cart, district="galle", customer_id=customer.id,
                        delivery=delivery.get_option("island-wide", "galle"))


def test_a_members_cart_gets_free_delivery_and_member_prices(shop, plus):
    customer, _ = member(plus)
    stranger = make_customer()

    with_plan = priced_for(customer, (shop["tea"], 2), (shop["soap"], 1))
    without = priced_for(stranger, (shop["tea"], 2), (shop["soap"], 1))

    assert without.delivery_fee_cents > 0
    assert with_plan.delivery_fee_cents == 0
    tea_line = with_plan.lines[0]
    assert tea_line.total_cents == 2 * 1_000_00
    assert [d.label for d in tea_line.discounts] == ["Kade Plus member price"]
    assert without.lines[0].total_cents == 2 * 1_250_00
    assert with_plan.total_cents == 2_000_00 + 300_00


def test_a_member_keeps_free_delivery_when_a_promotion_brings_the_goods_under_the_threshold(
        shop, plus):
    # Rs 20,000 of goods: delivery is free anyway when the plan prices it, so the plan has
    # nothing to take off yet; 10% off brings the goods under the threshold and the fee
    # back. The member's free delivery must still hold.
    from tests.promotions.factories import make_promotion

    make_promotion("Ten off everything", percent=10)
    customer, _ = member(plus)
    lamp = stocked("Brass lamp", units=5, price_cents=20_000_00)
    priced = priced_for(customer, (lamp, 1))
    assert priced.subtotal_cents == 18_000_00
    assert priced.delivery_fee_cents == 0 and priced.total_cents == 18_000_00
    assert [a.label for a in priced.delivery.discounts] == ["Kade Plus: free delivery"]


def test_an_expired_member_loses_the_benefits(shop, plus):
    start = utcnow() - 40 * DAY
    customer, subscription = member(plus, now=start)  # its month ended 10 days ago
    assert plans.renew_due() == {"renewing": 0, "past_due": 1, "expired": 0}
    # Past due, within the grace period (from now: the renewal was late): still a member.
    assert subscription.state == "past_due" and subscription.grace_until > utcnow()
    assert priced_for(customer, (shop["tea"], 1)).lines[0].total_cents == 1_000_00

    plans.renew_due(now=utcnow() + 30 * DAY)

    priced = priced_for(customer, (shop["tea"], 1))
    assert priced.lines[0].total_cents == 1_250_00 and priced.delivery_fee_cents > 0
    assert plans.live_subscription(customer.id) is None


def test_four_visits_are_free_the_fifth_is_charged_and_credits_reset(shop, plus):
    customer, subscription = member(plus)
    cleaning = shop["cleaning"]
    for n in range(4):
        cart = carts.open_cart(user_id=customer.id)
        carts.add_item(cart, cleaning.id, 1, slot_id=_slot_of(cleaning))
        order, _ = place_order(cart, _choices(customer, payment_method="cod"), user=customer)
        assert (order.subtotal_cents, order.total_cents) == (0, 0), n
    cart = carts.open_cart(user_id=customer.id)
    carts.add_item(cart, cleaning.id, 1, slot_id=_slot_of(cleaning))
    fifth, _ = place_order(cart, _choices(customer, payment_method="cod"), user=customer)
    assert fifth.subtotal_cents == 2_500_00

    # The next period (paid) starts with four visits again.
    renewal_at = subscription.period_end
    plans.renew_due(now=renewal_at)
    plans.pay_invoice(plans.open_invoice(subscription.id).id, now=renewal_at)
    assert subscription.period_start == renewal_at
    assert plans.credits_used(subscription.id, renewal_at, cleaning.product_id) == 0
    priced = carts.priced(_cart_with(customer, cleaning), customer_id=customer.id)
    assert priced.lines[0].total_cents == 0


def test_a_cancelled_order_gives_its_visits_back(shop, plus):
    customer, subscription = member(plus)
    cart = _cart_with(customer, shop["cleaning"])
    order, _ = place_order(cart, _choices(customer, payment_method="cod"), user=customer)
    assert plans.credits_used(subscription.id, subscription.period_start,
                              shop["cleaning"].product_id) == 1

    orders.change_status(order.number, "cancelled", actor=make_staff("order_manager"))

    assert plans.credits_used(subscription.id, subscription.period_start,
                              shop["cleaning"].product_id) == 0


def test_an_order_refunded_in_full_before_it_is_carried_out_gives_its_visits_back(shop, plus):
    # A refund of all the money before anything was sent withdraws the order as a cancel
    # does: its stock and booked time went back, and its free visit must too.
    from app.payments import refunds, services as payments

    customer, subscription = member(plus)
    cart = _cart_with(customer, shop["cleaning"])
    carts.add_item(cart, shop["tea"].id, 1)
    order, _ = place_order(cart, _choices(customer, payment_method="cod"), user=customer)
    payments.mark_collected(order.number, order.due_cents)
    used = plans.credits_used(subscription.id, subscription.period_start,
                              shop["cleaning"].product_id)
    assert used == 1 and order.total_cents > 0

    refunds.refund(order.number, order.total_cents, reason="Changed their mind",
                   actor=make_staff("order_manager"))

    assert orders.find_by_number(order.number).status == "refunded"
    assert plans.credits_used(subscription.id, subscription.period_start,
                              shop["cleaning"].product_id) == 0


def _slot_of(variant) -> int:
    from app.catalog import booking_slots

    return booking_slots.upcoming_slots(variant.product_id)[0].id


def _cart_with(customer, service_variant):
    cart = carts.open_cart(user_id=customer.id)
    carts.add_item(cart, service_variant.id, 1, slot_id=_slot_of(service_variant))
    return cart


# ---- the subscription's states ------------------------------------------------------------------

def test_a_plan_with_a_trial_starts_trialing_and_is_invoiced_when_it_ends(shop):
    trial = plans.save_plan(PlanInput(code="try-plus", name_en="Try Plus", price_cents=500_00,
                                      trial_days=14, free_delivery=True), actor=None)
    customer = make_customer()
    start = utcnow()
    subscription = plans.subscribe(customer.id, "try-plus", "payhere", now=start)

    assert subscription.state == "trialing"
    assert plans.open_invoice(subscription.id) is None
    assert plans.benefits_plan(customer.id, start + DAY)[1].id == trial.id

    plans.renew_due(now=start + 14 * DAY)
    invoice = plans.open_invoice(subscription.id)
    assert invoice.amount_cents == 500_00 and subscription.state == "past_due"
    plans.pay_invoice(invoice.id, payment_ref="PH-1", now=start + 15 * DAY)
    assert subscription.state == "active"
    assert subscription.period_end == plans.period_after(start + 14 * DAY, "month")


def test_a_pending_subscription_has_no_benefits_and_lapses_unpaid(shop, plus):
    customer = make_customer()
    start = utcnow()
    subscription = plans.subscribe(customer.id, plus.code, "bank_transfer", now=start)

    assert subscription.state == "pending"
    assert plans.benefits_plan(customer.id) == (None, None)
    plans.renew_due(now=start + 8 * DAY)
    assert subscription.state == "expired"
    assert plans.open_invoice(subscription.id) is None  # voided


def test_a_failed_payment_keeps_benefits_through_grace_then_expires(shop, plus):
    customer, subscription = member(plus)
    end = subscription.period_end
    plans.renew_due(now=end)
    invoice = plans.open_invoice(subscription.id)
    plans.fail_invoice(invoice.id, now=end + DAY)

    assert subscription.state == "past_due"
    assert subscription.grace_until == end + 7 * DAY
    assert plans.benefits_plan(customer.id, end + 6 * DAY)[1] is not None
    assert plans.benefits_plan(customer.id, end + 8 * DAY) == (None, None)
    plans.renew_due(now=end + 8 * DAY)
    assert subscription.state == "expired"


def test_a_plan_that_lapses_unpaid_voids_its_renewal_invoice(shop, plus):
    # The invoice of a period the plan never reached stayed open: staff could take money
    # for it (marked paid, the plan stayed expired) and it counted as owed.
    from app.plans import admin

    customer, subscription = member(plus)
    end = subscription.period_end
    plans.renew_due(now=end)  # by bank transfer: an invoice to settle, past due
    renewal = plans.open_invoice(subscription.id)
    assert renewal is not None and subscription.state == "past_due"

    plans.renew_due(now=end + 8 * DAY)  # the grace is over

    assert subscription.state == "expired"
    assert renewal.state == "void" and plans.open_invoice(subscription.id) is None
    with pytest.raises(Conflict) as refused:
        admin.mark_invoice_paid(renewal.id, actor=make_staff("order_manager"))
    assert "voided when the plan ended" in str(refused.value.message)
    assert subscription.state == "expired"


def test_paying_twice_settles_once(shop, plus):
    customer, subscription = member(plus)
    invoice = plans.open_invoice(subscription.id)
    assert invoice is None  # the first one is paid
    first = subscription.period_end
    plans.renew_due(now=first)
    renewal = plans.open_invoice(subscription.id)
    plans.pay_invoice(renewal.id, payment_ref="PH-2", now=first)
    plans.pay_invoice(renewal.id, payment_ref="PH-2", now=first + DAY)
    assert subscription.period_end == plans.period_after(first, "month")
    assert renewal.paid_at == first


def test_cancel_keeps_benefits_to_the_period_end_then_expires(shop, plus):
    customer, subscription = member(plus)
    plans.cancel(customer.id)

    assert subscription.state == "cancelled"
    assert plans.benefits_plan(customer.id)[1] is not None
    plans.renew_due(now=subscription.period_end)
    assert subscription.state == "expired"
    assert plans.open_invoice(subscription.id) is None  # no invoice for a period not wanted
    with pytest.raises(NotFound):
        plans.cancel(customer.id)


def test_a_change_of_plan_takes_effect_at_the_next_period(shop, plus):
    basic = plans.save_plan(PlanInput(code="basic", name_en="Basic", price_cents=300_00),
                            actor=None)
    customer, subscription = member(plus)
    plans.change_plan(customer.id, "basic")

    assert subscription.plan_id == plus.id and subscription.next_plan_id == basic.id
    plans.renew_due(now=subscription.period_end)
    invoice = plans.open_invoice(subscription.id)
    assert (invoice.plan_id, invoice.amount_cents) == (basic.id, 300_00)
    plans.pay_invoice(invoice.id, now=subscription.period_end)
    assert subscription.plan_id == basic.id


def test_one_live_plan_per_customer_and_bad_input(shop, plus):
    customer, _ = member(plus)
    with pytest.raises(Conflict):
        plans.subscribe(customer.id, plus.code, "payhere")
    with pytest.raises(Invalid):
        plans.subscribe(make_customer().id, plus.code, "bitcoin")
    with pytest.raises(NotFound):
        plans.subscribe(make_customer().id, "no-such-plan", "payhere")
    plans.retire_plan(plus.id)
    with pytest.raises(NotFound):
        plans.subscribe(make_customer().id, plus.code, "payhere")


@pytest.mark.parametrize("change, field", [
    ({"code": "Kade Plus"}, "code"), ({"name_en": " "}, "name_en"),
    ({"price_cents": 0}, "price"), ({"period": "week"}, "period"),
    ({"trial_days": 91}, "trial_days"), ({"percent_off": 10}, "percent_off_category_ids"),
    ({"free_delivery_districts": ("atlantis",)}, "free_delivery_districts"),
])
def test_a_plan_is_checked_before_it_is_saved(db_session, change, field):
    data = {"code": "ok-plan", "name_en": "OK", "price_cents": 100_00, **change}
    with pytest.raises(Invalid) as wrong:
        plans.save_plan(PlanInput(**data), actor=None)
    assert wrong.value.field == field


def test_only_promotions_staff_save_plans(db_session):
    with pytest.raises(Forbidden):
        plans.save_plan(PlanInput(code="x", name_en="X", price_cents=1), actor=make_staff(
            "support_agent"))


def test_members_hear_of_a_renewal_and_of_a_grace_ending_once(shop, plus, outbox):
    customer, subscription = member(plus)
    soon = subscription.period_end - 2 * DAY

    assert plans.remind(now=soon) == 1
    plans.remind(now=soon)
    coming = [m for m in outbox.to(customer.email) if "renews on" in m["Subject"]]
    assert len(coming) == 1 and "Rs. 990.00" in outbox.text(coming[0])

    plans.renew_due(now=subscription.period_end)
    plans.remind(now=subscription.grace_until - DAY)
    assert any("ends on" in m["Subject"] for m in outbox.to(customer.email))



def test_a_percent_off_works_from_the_member_price(shop, db_session):
    from app.catalog import services as catalog

    tea = shop["tea"]
    category = catalog.get_published(tea.product.slug).category_id
    both = plans.save_plan(PlanInput(
        code="both", name_en="Both", price_cents=100_00, member_prices={tea.id: 1_000_00},
        percent_off=10, percent_off_category_ids=(category,)), actor=None)
    customer, _ = member(both)

    line = priced_for(customer, (tea, 1)).lines[0]

    # Rs 1,250 -> member price Rs 1,000 -> 10 % of that off: Rs 900, not 10 % of Rs 1,250.
    assert [d.amount_cents for d in line.discounts] == [250_00, 100_00]
    assert line.total_cents == 900_00


def test_live_means_not_expired():
    # The live subscription is read as "not expired" (the unique partial index's predicate,
    # app/plans/services.py): a new state must be one or the other on purpose.
    from app.plans.models import LIVE, STATES

    assert set(LIVE) == set(STATES) - {"expired"}
