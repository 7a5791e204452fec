"""The plan pages: /plans compares the plans on sale; a signed-in customer subscribes,
sees what is due on /account/plan, changes plan for the next period and cancels in one
click."""

from __future__ import annotations

import pytest

from app.plans import services as plans
from app.plans.services import PlanInput
from tests.factories import make_customer


@pytest.fixture()
def on_sale(db_session):
    plans.save_plan(PlanInput(code="kade-plus", name_en="Kade Plus", name_si="කඩේ ප්ලස්",
                              price_cents=990_00, free_delivery=True,
                              free_delivery_districts=("colombo", "gampaha"),
                              description_en="Free delivery and member prices."), actor=None)
    plans.save_plan(PlanInput(code="kade-family", name_en="Kade Family", price_cents=9_900_00,
                              period="year", trial_days=14, free_delivery=True), actor=None)


def test_the_plans_page_compares_the_plans_for_anyone(client, on_sale):
    html = client.get("/plans").get_data(as_text=True)

    assert "Kade Plus" in html and "Rs. 990.00" in html and "a month" in html
    assert "Kade Family" in html and "a year" in html and "14 days free trial" in html
    assert "Free delivery in Colombo, Gampaha" in html
    assert "Sign in to subscribe" in html
    sinhala = client.get("/plans", headers={"Accept-Language": "si"}).get_data(as_text=True)
    assert "කඩේ ප්ලස්" in sinhala


def test_subscribe_by_bank_transfer_then_cancel(client, login, on_sale, app):
    customer = make_customer()
    login(customer)

    done = client.post("/plans/kade-plus/subscribe", data={"payment_method": "bank_transfer"})
    assert done.status_code == 303 and done.headers["Location"] == "/account/plan"
    page = client.get("/account/plan").get_data(as_text=True)
    assert "Waiting for your first payment" in page
    assert "To pay: Rs. 990.00" in page and "PL-" in page

    client.post("/account/plan/cancel")
    assert plans.live_subscription(customer.id) is None  # nothing paid: it ends at once
    assert "You have no plan." in client.get("/account/plan").get_data(as_text=True)


def test_a_trial_cancelled_keeps_its_benefits_to_the_end(client, login, on_sale):
    customer = make_customer()
    login(customer)
    client.post("/plans/kade-family/subscribe", data={"payment_method": "cash"})
    assert "Free trial" in client.get("/account/plan").get_data(as_text=True)

    page = client.get(client.post("/account/plan/cancel").headers["Location"])
    html = page.get_data(as_text=True)

    assert "Its benefits last until the end of the period" in html
    assert "Cancelled: ends with the period" in html and "Ends on" in html
    assert plans.benefits_plan(customer.id)[1] is not None


def test_a_second_plan_and_a_bad_method_are_refused_with_a_message(client, login, on_sale):
    customer = make_customer()
    login(customer)
    client.post("/plans/kade-family/subscribe", data={"payment_method": "cash"})

    again = client.post("/plans/kade-plus/subscribe", data={"payment_method": "cash"})
    html = client.get(again.headers["Location"]).get_data(as_text=True)
    assert "You already have a plan" in html
    assert client.post("/plans/no-such-plan/subscribe",
                       data={"payment_method": "cash"}).status_code == 404


def test_changing_plan_is_for_the_next_period(client, login, on_sale):
    customer = make_customer()
    login(customer)
    client.post("/plans/kade-family/subscribe", data={"payment_method": "cash"})

    page = client.get(client.post("/account/plan/change", data={"plan": "kade-plus"})
                      .headers["Location"]).get_data(as_text=True)

    assert "Your new plan starts with your next period." in page
    assert "From the next period" in page


def test_the_account_plan_page_needs_a_sign_in(client, db_session):
    assert client.get("/account/plan").status_code in (302, 303)
