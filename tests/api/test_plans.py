"""Plans through the API: GET /plans for anyone; my subscription read, started and
cancelled under /me/subscription."""

from __future__ import annotations

import pytest

from app.plans import services as plans
from app.plans.services import PlanInput
from tests.api.helpers import assert_problem


def money(cents: int) -> dict:
    return {"amount_cents": cents, "currency": "LKR"}


@pytest.fixture()
def on_sale(db_session):
    plans.save_plan(PlanInput(code="kade-plus", name_en="Kade Plus", name_ta="கடை பிளஸ்",
                              price_cents=990_00, free_delivery=True), actor=None)
    plans.save_plan(PlanInput(code="kade-family", name_en="Kade Family", price_cents=9_900_00,
                              period="year", trial_days=14), actor=None)


def test_the_plans_on_sale_in_the_language_asked(client, on_sale):
    body = client.get("/api/v1/plans", headers={"Accept-Language": "ta"}).get_json()

    assert [(p["code"], p["name"], p["price"], p["period"]) for p in body["items"]] == [
        ("kade-plus", "கடை பிளஸ்", money(990_00), "month"),
        ("kade-family", "Kade Family", money(9_900_00), "year")]
    assert body["items"][0]["free_delivery"] is True


def test_subscribe_read_and_cancel_my_plan(client, auth_headers, on_sale):
    assert_problem(client.get("/api/v1/me/subscription", headers=auth_headers), 404)

    started = client.post("/api/v1/me/subscription", headers=auth_headers,
                          json={"plan": "kade-plus", "payment_method": "bank_transfer"})
    assert started.status_code == 201, started.get_data(as_text=True)
    body = started.get_json()
    assert (body["state"], body["has_benefits"], body["plan"]["code"]) == (
        "pending", False, "kade-plus")
    assert body["invoice_due"]["amount"] == money(990_00) and body["payment"] is None

    again = client.post("/api/v1/me/subscription", headers=auth_headers,
                        json={"plan": "kade-family", "payment_method": "cash"})
    assert_problem(again, 409)
    assert client.get("/api/v1/me/subscription", headers=auth_headers).get_json()[
        "state"] == "pending"

    cancelled = client.delete("/api/v1/me/subscription", headers=auth_headers)
    assert cancelled.status_code == 200 and cancelled.get_json()["state"] == "expired"
    assert_problem(client.delete("/api/v1/me/subscription", headers=auth_headers), 404)


def test_a_trial_has_benefits_at_once(client, auth_headers, on_sale):
    body = client.post("/api/v1/me/subscription", headers=auth_headers,
                       json={"plan": "kade-family", "payment_method": "cash"}).get_json()
    assert (body["state"], body["has_benefits"], body["invoice_due"]) == (
        "trialing", True, None)


@pytest.mark.parametrize("bad", [{"plan": "kade-plus"}, {"plan": "kade-plus",
                                                         "payment_method": "bitcoin"},
                                 {"plan": "", "payment_method": "cash"},
                                 {"plan": "kade-plus", "payment_method": "cash", "x": 1}])
def test_a_wrong_body_is_a_422(client, auth_headers, on_sale, bad):
    assert_problem(client.post("/api/v1/me/subscription", headers=auth_headers, json=bad), 422)


def test_an_unknown_plan_is_a_404_and_no_token_a_401(client, auth_headers, on_sale):
    assert_problem(client.post("/api/v1/me/subscription", headers=auth_headers,
                               json={"plan": "nope", "payment_method": "cash"}), 404)
    assert_problem(client.get("/api/v1/me/subscription"), 401)
