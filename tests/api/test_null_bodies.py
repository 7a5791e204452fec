"""A JSON body of `null` is not "no changes": every route that takes a JSON body answers it
with 422 problem+json ("Send a JSON object."), as it answers `[]`, and changes nothing.
(APIFlask read `null` as `{}`: PATCH /me answered 200, a cancel of `null` cancelled.)"""

from __future__ import annotations

import re

import pytest

from app.accounts import services as accounts
from app.orders import services as orders
from tests.api.helpers import assert_problem, error_fields
from tests.checkout.factories import customer_order, stocked

# Every route with a JSON body, as (method, path with sample values); the last test checks
# this list against the URL map, so a new route cannot be left out.
ROUTES = [
    ("POST", "/api/v1/auth/register"),
    ("POST", "/api/v1/auth/token"),
    ("POST", "/api/v1/auth/refresh"),
    ("POST", "/api/v1/auth/logout"),
    ("PATCH", "/api/v1/me"),
    ("DELETE", "/api/v1/me"),
    ("PUT", "/api/v1/me/notifications"),
    ("POST", "/api/v1/me/addresses"),
    ("PATCH", "/api/v1/me/addresses/1"),
    ("POST", "/api/v1/cart/items"),
    ("PATCH", "/api/v1/cart/items/1"),
    ("PUT", "/api/v1/cart/voucher"),
    ("POST", "/api/v1/checkout"),
    ("POST", "/api/v1/orders/KD-2026-000001/cancel"),
    ("POST", "/api/v1/support/tickets"),
    ("POST", "/api/v1/support/tickets/1/messages"),
    ("POST", "/api/v1/me/subscription"),
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
@pytest.mark.parametrize("body", ["null", " null\n"])
def test_a_null_body_is_a_422_problem(client, auth_headers, method, path, body):
    response = client.open(path, method=method, data=body, content_type="application/json",
                           headers={**auth_headers, "Idempotency-Key": "null-body-test"})

    problem = assert_problem(response, 422, "validation_failed")
    assert problem["errors"] == [{"field": None, "message": "Send a JSON object."}]


def test_a_null_patch_of_me_changes_nothing(client, auth_headers, customer):
    response = client.patch("/api/v1/me", data="null", content_type="application/json",
                            headers=auth_headers)

    assert_problem(response, 422)
    assert accounts.find_by_email(customer.email).name == customer.name


def test_a_null_cancel_does_not_cancel(client, auth_headers, customer):
    order = customer_order(customer, (stocked(units=3), 1))

    response = client.post(f"/api/v1/orders/{order.number}/cancel", data="null",
                           content_type="application/json", headers=auth_headers)

    assert_problem(response, 422)
    assert orders.find_by_number(order.number).status != "cancelled"


def test_without_a_token_a_null_body_is_still_a_401(client, app_ctx):
    response = client.patch("/api/v1/me", data="null", content_type="application/json")

    assert_problem(response, 401)


@pytest.mark.parametrize("body", ["", "{", "nul"])
def test_an_unreadable_body_stays_a_400(client, auth_headers, body):
    response = client.patch("/api/v1/me", data=body, content_type="application/json",
                            headers=auth_headers)

    assert_problem(response, 400)


def test_a_valid_patch_still_works(client, auth_headers, customer):
    response = client.patch("/api/v1/me", json={"name": "Nimal Perera"}, headers=auth_headers)

    assert response.status_code == 200
    assert error_fields(response.get_json()) == set()
    assert accounts.find_by_email(customer.email).name == "Nimal Perera"


def test_the_list_holds_every_route_with_a_json_body(app):
    found = set()
    for rule in app.url_map.iter_rules():
        spec = getattr(app.view_functions[rule.endpoint], "_spec", {})
        if rule.rule.startswith("/api/") and spec.get("body") is not None \
                and spec.get("content_type", "application/json") == "application/json":
            path = re.sub(r"<[^>]+>", "KD-2026-000001", re.sub(r"<int:[^>]+>", "1", rule.rule))
            found |= {(method, path) for method in rule.methods - {"HEAD", "OPTIONS"}}

    assert found == set(ROUTES)
