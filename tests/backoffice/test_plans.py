"""Plans in the back office: create and edit a plan with its benefits, retire it, see the
subscription numbers and subscribers, mark a transfer's invoice paid, set the points
scheme; each with its permission."""

from __future__ import annotations

import re
from html import unescape

import pytest

from app import db
from app.audit.models import AuditEntry
from app.plans import services as plans
from app.plans.models import Plan
from app.plans.services import PlanInput
from app.wallet import points as loyalty
from tests.checkout.factories import service_with_slot, stocked
from tests.factories import make_customer, make_staff


def _text(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


@pytest.fixture()
def marketing(client, db_session, sign_in_staff):
    return sign_in_staff(make_staff("marketing"))


def test_a_plan_with_member_prices_and_visits_is_made_from_the_form(marketing):
    tea = stocked("Ceylon tea", price_cents=1_250_00, sku="TEA-250")
    cleaning, _slot = service_with_slot("Home deep cleaning")
    page = marketing.post("/staff/plans/new", data={
        "code": "kade-plus", "name_en": "Kade Plus", "price": "990", "period": "month",
        "trial_days": "14", "grace_days": "5", "free_delivery": "y",
        "free_delivery_districts": ["colombo", "gampaha"],
        "member_prices": "TEA-250 = 1000.00",
        "service_credits": f"{cleaning.product.slug} = 4", "priority_support": "y"})

    assert page.status_code == 303
    plan = db.session.query(Plan).filter_by(code="kade-plus").one()
    assert (plan.price_cents, plan.trial_days, plan.grace_days) == (990_00, 14, 5)
    assert plan.free_delivery_districts == ["colombo", "gampaha"]
    assert [(p.variant_id, p.price_cents) for p in plan.member_prices] == [(tea.id, 1_000_00)]
    assert [(c.product_id, c.visits) for c in plan.service_credits] == [
        (cleaning.product_id, 4)]
    edit = _text(marketing.get(f"/staff/plans/{plan.id}").text)
    assert "TEA-250 = 1000.00" in edit and f"{cleaning.product.slug} = 4" in edit


@pytest.mark.parametrize("change, message", [
    ({"member_prices": "NOPE-1 = 10"}, "No product has the SKU NOPE-1."),
    ({"member_prices": "TEA-250 1000"}, "Write each line as name = value."),
    ({"service_credits": "no-such-service = 2"}, "No service is at /p/no-such-service."),
    ({"service_credits": "{slug} = ²"}, "Give the visits as a whole number."),
    ({"price": "0"}, "Enter a price above zero."),
    ({"code": "Kade Plus"}, "Use lower-case letters"),
])
def test_a_wrong_plan_form_is_explained_and_saves_nothing(marketing, change, message):
    stocked("Ceylon tea", price_cents=1_250_00, sku="TEA-250")
    cleaning, _slot = service_with_slot("Home deep cleaning")
    data = {"code": "kade-plus", "name_en": "Kade Plus", "price": "990", "period": "month",
            **{k: v.replace("{slug}", cleaning.product.slug) for k, v in change.items()}}
    page = marketing.post("/staff/plans/new", data=data)
    assert page.status_code == 422 and message in _text(page.text)
    assert db.session.query(Plan).count() == 0


def test_the_numbers_subscribers_and_marking_an_invoice_paid(client, sign_in_staff,
                                                             db_session, outbox):
    plans.save_plan(PlanInput(code="kade-plus", name_en="Kade Plus", price_cents=990_00),
                    actor=None)
    plans.save_plan(PlanInput(code="yearly", name_en="Yearly", price_cents=12_000_00,
                              period="year"), actor=None)
    payer = make_customer(name="Kamal Transfer")
    waiting = plans.subscribe(payer.id, "kade-plus", "bank_transfer")
    yearly = plans.subscribe(make_customer().id, "yearly", "cash")
    plans.pay_invoice(plans.open_invoice(yearly.id).id)
    admin = sign_in_staff(make_staff("admin"))

    numbers = _text(admin.get("/staff/plans").text)
    assert "Monthly recurring revenue Rs. 1,000.00" in numbers  # Rs 12,000 a year
    listing = _text(admin.get("/staff/plans/subscribers?state=pending").text)
    assert "Kamal Transfer" in listing and "1 subscriber" in listing

    invoice = plans.open_invoice(waiting.id)
    done = admin.post(f"/staff/plans/invoices/{invoice.id}/paid")
    assert done.status_code == 303
    db.session.expire_all()
    assert plans.live_subscription(payer.id).state == "active"
    assert db.session.query(AuditEntry).filter_by(action="plans.invoice_paid").count() == 1
    assert any("Welcome to Kade Plus" in m["Subject"] for m in outbox.to(payer.email))


@pytest.mark.parametrize("plan", ["²", "٣"])
def test_a_plan_filter_that_is_no_id_lists_every_subscriber(marketing, plan):
    plans.save_plan(PlanInput(code="kade-plus", name_en="Kade Plus", price_cents=990_00),
                    actor=None)
    plans.subscribe(make_customer(name="Kamal Transfer").id, "kade-plus", "cash")

    listing = marketing.get("/staff/plans/subscribers", query_string={"plan": plan})

    assert listing.status_code == 200
    assert "Kamal Transfer" in _text(listing.text) and "1 subscriber" in _text(listing.text)


def test_marketing_cannot_mark_an_invoice_paid_and_support_sees_no_plans(client, db_session,
                                                                         sign_in_staff):
    plans.save_plan(PlanInput(code="kade-plus", name_en="Kade Plus", price_cents=990_00),
                    actor=None)
    subscription = plans.subscribe(make_customer().id, "kade-plus", "cash")
    invoice = plans.open_invoice(subscription.id)
    marketer = sign_in_staff(make_staff("marketing"))
    assert marketer.post(f"/staff/plans/invoices/{invoice.id}/paid").status_code == 403
    support = sign_in_staff(make_staff("support_agent"), c=client.application.test_client())
    assert support.get("/staff/plans").status_code == 403


def test_the_points_scheme_is_set_from_its_page(marketing):
    page = marketing.post("/staff/plans/points", data={
        "enabled": "y", "points_per_100_rupees": "2", "point_value": "0.50",
        "expiry_months": "6", "reminder_days": "14"})

    assert page.status_code == 303
    scheme = loyalty.scheme()
    assert (scheme.points_per_100_rupees, scheme.point_value_cents, scheme.expiry_months) == (
        2, 50, 6)
    wrong = marketing.post("/staff/plans/points", data={
        "enabled": "y", "points_per_100_rupees": "2", "point_value": "500",
        "expiry_months": "6", "reminder_days": "14"})
    assert wrong.status_code == 422
    assert "Enter a point's value from Rs 0.01 to Rs 100." in _text(wrong.text)


def test_a_priority_support_member_is_shown_first_to_support(db_session, client,
                                                             sign_in_staff):
    from app.support import services as support
    from tests.plans.test_plans import member

    vip_plan = plans.save_plan(PlanInput(code="vip", name_en="VIP", price_cents=500_00,
                                         priority_support=True), actor=None)
    vip, _ = member(vip_plan)
    other = make_customer(name="Ordinary Asker")
    support.open_ticket(user_id=other.id, subject="A later question", body="Hello there")
    support.open_ticket(user_id=vip.id, subject="A member's question", body="Hello there")
    support.open_ticket(user_id=other.id, subject="The newest question", body="Hello there")

    assert plans.priority_customers([vip.id, other.id]) == {vip.id}
    agent = sign_in_staff(make_staff("support_agent"))
    html = agent.get("/staff/support").get_data(as_text=True)
    assert html.index("A member") < html.index("The newest question")
    assert "priority member" in html
