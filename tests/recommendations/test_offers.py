"""Personal offers: templates staff define; the nightly job gives each eligible customer a
single-use voucher for an item of their list, in their language, or holds them out; and the
report that proves (or not) that the offers make customers spend more."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from sqlalchemy import func, select, update

from app import db
from app.checkout import cart as carts
from app.db import utcnow
from app.errors import Forbidden, Invalid
from app.notifications import services as notifications
from app.notifications.models import OutboxMessage
from app.orders.models import Order
from app.promotions.models import VoucherCode
from app.recommendations import nightly, offers, tracking
from app.recommendations.models import OfferSend, OfferTemplate
from tests.checkout.factories import customer_order
from tests.factories import make_customer, make_staff
from tests.recommendations.conftest import bought

TEMPLATE = {"name": "10 % off a usual re-buy", "source": "buy_again", "percent": 10,
            "amount_cents": None, "valid_days": 14, "measure_days": 14, "holdout_percent": 0}


def consent(customer, *, email=True, sms=False):
    notifications.set_preferences(customer.id, sms_updates=True, marketing_email=email,
                                  marketing_sms=sms)


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def offer_mails() -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.template == "personal_offer").order_by(OutboxMessage.id)))


@pytest.fixture()
def template(db_session):
    return offers.save_template(None, TEMPLATE)


def test_an_eligible_customer_gets_one_voucher_in_their_language_however_often_it_runs(
        shop, template):
    regular, v = shop
    regular.locale = "si"
    db.session.commit()
    consent(regular, email=True, sms=True)
    nightly.compute()
    first = offers.run()
    assert (first.sent, first.held_out) == (1, 0)  # the others did not say yes to offers
    again = offers.run()
    assert (again.sent, again.held_out) == (0, 0)
    (decision,) = db.session.scalars(select(OfferSend)).all()
    assert (decision.customer_id, decision.held_out) == (regular.id, False)
    assert decision.product_id == v["Kithul treacle"].product_id  # their usual re-buy
    assert count(VoucherCode, VoucherCode.code == decision.code, VoucherCode.max_uses == 1) == 1
    mails = offer_mails()
    assert sorted(m.channel for m in mails) == ["email", "sms"]
    assert all(m.locale == "si" and m.purpose == "marketing" for m in mails)
    assert all(decision.code in m.data for m in mails)


def test_the_voucher_takes_its_percent_off_for_its_customer_only(shop, template):
    regular, v = shop
    consent(regular)
    nightly.compute()
    offers.run()
    code = db.session.scalar(select(OfferSend.code))
    cart = carts.open_cart(user_id=regular.id)
    carts.add_item(cart, v["Kithul treacle"].id, 1)
    state = carts.set_voucher(cart, code)
    assert state.refusal is None
    priced = carts.priced(cart, customer_id=regular.id)
    assert priced.savings_cents == 50_00 == priced.lines[0].discount_cents  # 10 % of Rs 500

    stranger = make_customer()
    theirs = carts.open_cart(user_id=stranger.id)
    carts.add_item(theirs, v["Kithul treacle"].id, 1)
    with pytest.raises(Invalid):
        carts.set_voucher(theirs, code)


def test_no_consent_no_personalisation_or_no_list_means_no_offer(shop, template):
    regular, _v = shop
    nightly.compute()
    assert offers.run().sent == 0  # nobody said yes to offers
    consent(regular)
    tracking.set_personalised(regular.id, False)
    nightly.compute()
    assert offers.run() == offers.RunSummary(0, 0)
    assert offer_mails() == [] and count(OfferSend) == 0


def test_at_most_one_offer_a_week_over_all_templates(shop, template):
    regular, _v = shop
    consent(regular)
    offers.save_template(None, {**TEMPLATE, "name": "Rs 200 off for you", "source": "for_you",
                                "percent": None, "amount_cents": 200_00})
    nightly.compute()
    assert offers.run().sent == 1
    assert offers.run().sent == 0
    next_week = utcnow() + dt.timedelta(days=7, hours=1)
    assert offers.run(next_week).sent == 1
    assert count(OfferSend, OfferSend.customer_id == regular.id) == 2


def test_the_holdout_is_drawn_at_random_recorded_and_gets_nothing(shop):
    regular, v = shop
    template = offers.save_template(None, {**TEMPLATE, "holdout_percent": 50})
    customers = [regular]
    for _n in range(30):
        customer = make_customer()
        bought(customer, v["Coconut oil"], days_ago=20)
        bought(customer, v["Coconut oil"], days_ago=6)
        customers.append(customer)
    for customer in customers:
        consent(customer)
    nightly.compute()
    result = offers.run()
    decisions = db.session.scalars(select(OfferSend)).all()
    held = {d.customer_id for d in decisions if d.held_out}
    assert result.held_out == len(held) and result.sent == len(decisions) - len(held)
    assert 5 <= len(held) <= 26  # about half of 31; the draw is seeded by the week
    assert all(d.promotion_id is None and d.code is None for d in decisions if d.held_out)
    mailed = {m.user_id for m in offer_mails()}
    assert mailed and not (mailed & held)
    # The same draw on a second look: reproducible from template, customer and week.
    week = offers.colombo_week(utcnow())
    assert held == {c.id for c in customers if offers.held_out(template, c.id, week)}


def test_the_uplift_report_matches_a_hand_computed_example(shop, template):
    """Three treated customers spend Rs 3000, Rs 0 and Rs 1500 in the 14 days after their
    offer; two held out spend Rs 1000 and Rs 0. Orders before the offer or after the window
    do not count."""
    regular, v = shop
    sent_at = utcnow() - dt.timedelta(days=30)
    people = [make_customer() for _ in range(5)]
    for n, (person, held_out) in enumerate(zip(people, [False, False, False, True, True],
                                               strict=True)):
        db.session.add(OfferSend(template_id=template.id, customer_id=person.id,
                                 week=f"2026-W{40 + n}", held_out=held_out,
                                 product_id=v["Ceylon tea"].product_id, created_at=sent_at))
    db.session.commit()

    def spent(person, rupees, days_after):
        order = customer_order(person, (v["Ceylon tea"], 1))
        db.session.execute(update(Order).where(Order.id == order.id).values(
            total_cents=rupees * 100, placed_at=sent_at + dt.timedelta(days=days_after)))
        db.session.commit()

    spent(people[0], 2000, 1)
    spent(people[0], 1000, 13)
    spent(people[0], 9999, 15)  # after the window
    spent(people[1], 9999, -2)  # before the offer
    spent(people[2], 1500, 7)
    spent(people[3], 1000, 3)

    report = offers.report(None, template.id)
    assert (report.treated.customers, report.held_out.customers) == (3, 2)
    assert report.treated.revenue_cents == 4500_00 and report.held_out.revenue_cents == 1000_00
    assert report.treated.mean_cents == 1500_00 and report.held_out.mean_cents == 500_00
    assert report.uplift_cents == 1000_00
    # Sample variances: treated ((1500² + 1500² + 0²) / 2) = 2 250 000 rupees²; held out
    # ((500² + 500²) / 1) = 500 000 rupees². Standard error sqrt(2 250 000/3 + 500 000/2)
    # = sqrt(1 000 000) = 1000 rupees; the interval 1000 ± 1.96 × 1000 rupees.
    low, high = report.interval_cents
    assert math.isclose(low, (1000 - 1.959964 * 1000) * 100, rel_tol=1e-6)
    assert math.isclose(high, (1000 + 1.959964 * 1000) * 100, rel_tol=1e-6)
    assert report.still_measuring == 0 and report.redemption_rate == 0


def test_templates_are_checked_and_kept_to_marketing(db_session):
    with pytest.raises(Invalid) as refused:
        offers.save_template(None, {**TEMPLATE, "percent": 95})
    assert refused.value.field == "percent"
    with pytest.raises(Invalid) as refused:
        offers.save_template(None, {**TEMPLATE, "amount_cents": 100_00})
    assert refused.value.field == "percent"  # both given
    with pytest.raises(Invalid) as refused:
        offers.save_template(None, {**TEMPLATE, "source": "everyone"})
    assert refused.value.field == "source"
    with pytest.raises(Invalid) as refused:
        offers.save_template(None, {**TEMPLATE, "holdout_percent": 80})
    assert refused.value.field == "holdout_percent"
    with pytest.raises(Forbidden):
        offers.save_template(make_staff(role="order_manager"), TEMPLATE)
    saved = offers.save_template(make_staff(role="marketing"), TEMPLATE)
    assert db.session.get(OfferTemplate, saved.id).percent == 10


def test_a_personal_voucher_stays_out_of_the_running_promotions_and_the_staff_list(
        shop, template):
    from app.promotions import admin, offers as running

    regular, _v = shop
    consent(regular)
    nightly.compute()
    offers.run()
    decision = db.session.scalars(select(OfferSend)).one()
    assert decision.promotion_id not in {o.id for o in running.load()}
    assert decision.promotion_id not in {r.promotion.id for r in admin.list_promotions(None)}
    found = admin.list_promotions(None, q=decision.code)  # support looks a customer's code up
    assert [r.promotion.id for r in found] == [decision.promotion_id]
