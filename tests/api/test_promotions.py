"""GET /api/v1/promotions: the public promotions running now, as the mobile app sees them,
in the language it asks for, and held to the OpenAPI document."""

from __future__ import annotations

import datetime as dt

import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.catalog import services as catalog
from app.db import utcnow
from tests.catalog.factories import make_category, make_product
from tests.promotions.factories import make_promotion

URL = "/api/v1/promotions"


def items(client, **headers) -> list[dict]:
    response = client.get(URL, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.headers["Cache-Control"] == "public, max-age=60"
    return response.get_json()["items"]


def test_no_promotions_is_an_empty_list(client, db_session):
    assert items(client) == []


def test_a_promotion_with_its_figures_window_and_conditions(client, db_session):
    make_category("groceries")
    tea = make_product("Tea")
    groceries = catalog.get_category("groceries").id
    ends = dt.datetime(2099, 4, 15, 18, 30, tzinfo=dt.UTC)
    made = make_promotion("Avurudu sale", percent=15, description_en="New year prices.",
                          category_ids=[groceries], product_ids=[tea.id],
                          min_subtotal_cents=5_000_00, districts=["kandy", "colombo"],
                          first_order_only=True, ends_at=ends, priority=3)

    [item] = items(client)

    assert item == {
        "id": made.id, "name": "Avurudu sale", "description": "New year prices.",
        "label": "15% off", "benefit": "line_percent", "benefit_class": "line",
        "percent": 15, "amount": None, "buy_quantity": None, "get_quantity": None,
        "tiers": [], "bundle_variant_ids": [],
        "applies_to": {"product_ids": [tea.id], "variant_ids": [],
                       "category_ids": [groceries]},
        "starts_at": None, "ends_at": "2099-04-15T18:30:00+00:00",
        "conditions": {"min_spend": {"amount_cents": 5_000_00, "currency": "LKR"},
                       "min_quantity": None, "districts": ["colombo", "kandy"],
                       "first_order_only": True, "signed_in_only": False,
                       "needs_code": False},
    }


def test_only_public_running_promotions_for_everyone_higher_priority_first(
        client, db_session):
    low = make_promotion("Low", priority=1)
    high = make_promotion("High", benefit="delivery", percent=100, priority=9)
    coded = make_promotion("Coded", benefit="order_fixed", amount_cents=500_00, code="SAVE5")
    make_promotion("Private", is_public=False)
    make_promotion("Paused", paused=True)
    make_promotion("Used up", max_uses=1, uses_count=1)
    make_promotion("Later", starts_at=utcnow() + dt.timedelta(days=1))
    make_promotion("Chosen", segment_customer_ids=[1])

    listed = items(client)

    assert [i["id"] for i in listed] == [high.id, low.id, coded.id]
    assert listed[0]["label"] == "Free delivery" and listed[0]["benefit_class"] == "delivery"
    assert listed[2]["conditions"]["needs_code"] is True
    assert listed[2]["amount"] == {"amount_cents": 500_00, "currency": "LKR"}
    assert "SAVE5" not in str(listed)


def test_names_and_labels_follow_accept_language(client, db_session):
    make_promotion("Rice deal", name_si="සහල් දීමනාව", name_ta="அரிசி சலுகை",
                   benefit="line_fixed", amount_cents=200_00)

    [si] = items(client, **{"Accept-Language": "si-LK,si;q=0.9"})
    [ta] = items(client, **{"Accept-Language": "ta"})
    [en] = items(client)

    assert si["name"] == "සහල් දීමනාව" and "රු.200" in si["label"]
    assert ta["name"] == "அரிசி சலுகை"
    assert en["name"] == "Rice deal" and en["label"] == "Rs. 200 off"


def test_buy_x_get_y_and_tiers_are_told_in_figures(client, db_session):
    make_promotion("Three for two", benefit="buy_x_get_y", buy_quantity=2, get_quantity=1)
    make_promotion("Stock up", benefit="tiered", tiers=[[6, 15], [3, 10]])

    by_name = {i["name"]: i for i in items(client)}

    assert by_name["Three for two"]["buy_quantity"] == 2
    assert by_name["Three for two"]["label"] == "Buy 2 get 1 free"
    assert by_name["Stock up"]["tiers"] == [{"min_quantity": 3, "percent": 10},
                                            {"min_quantity": 6, "percent": 15}]


def test_the_answers_keep_to_the_document(app, db_session):
    make_promotion("Everything", percent=10, ends_at=utcnow() + dt.timedelta(days=3))
    make_promotion("Coded", benefit="order_fixed", amount_cents=500_00, code="SAVE5",
                   districts=["galle"], min_subtotal_cents=1_000_00)
    make_promotion("Stock up", benefit="tiered", tiers=[[3, 10]])
    operation = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)[URL]["GET"]

    for language in ("en", "si", "ta"):
        case = operation.Case(headers={"Accept-Language": language})
        response = case.call_and_validate(checks=[
            not_a_server_error, status_code_conformance, content_type_conformance,
            response_schema_conformance])
        assert len(response.json()["items"]) == 3
