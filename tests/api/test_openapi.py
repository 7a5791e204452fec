"""The OpenAPI document describes the API as it behaves; schemathesis holds it to that."""

from __future__ import annotations

import datetime as dt
import os
import re

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings, strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.accounts import tokens
from app.api.schemas import PHONE_FORMAT
from app.catalog import booking_slots, inputs, pictures, services as catalog
from app.catalog.demo import picture
from app.checkout import cart as carts, delivery
from app.checkout.services import CheckoutChoices, place_order
from app.db import utcnow
from app.inventory import services as inventory
from tests.api.helpers import PROBLEM
from tests.catalog.factories import make_category, make_product
from tests.factories import make_address, make_customer

SPEC = "/api/v1/openapi.json"
METHODS = {"get", "post", "put", "patch", "delete"}
# What only a signed-in customer reaches: their account, cart, checkout and orders.
CUSTOMER_PATHS = ("/api/v1/me", "/api/v1/cart", "/api/v1/checkout", "/api/v1/orders",
                  "/api/v1/support")


@pytest.fixture()
def document(client, app_ctx) -> dict:
    response = client.get(SPEC)
    assert response.status_code == 200
    return response.get_json()


def _operations(document):
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if method in METHODS:
                yield path, method, operation


def test_the_document_is_openapi_3_1_of_the_api_only(document):
    assert document["openapi"] == "3.1.0"
    assert document["paths"]
    assert all(path.startswith("/api/v1/") for path in document["paths"])


def test_every_api_route_is_in_the_document(app, document):
    documented = {(path, method.upper()) for path, method, _ in _operations(document)}
    routes = {(re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule), method)
              for rule in app.url_map.iter_rules() if rule.endpoint.startswith("api.")
              for method in rule.methods - {"HEAD", "OPTIONS"}}

    assert routes == documented


def test_the_bearer_scheme_guards_the_customer_routes(document):
    assert document["components"]["securitySchemes"]["BearerAuth"] == {
        "type": "http", "scheme": "bearer",
        "description": document["components"]["securitySchemes"]["BearerAuth"]["description"]}
    for path, _, operation in _operations(document):
        guarded = operation.get("security") == [{"BearerAuth": []}]
        assert guarded == path.startswith(CUSTOMER_PATHS), path
        assert ("401" in operation["responses"]) == (guarded or path.endswith(("/token",
                                                                             "/refresh")))


def test_every_error_is_documented_as_problem_json(document):
    for path, method, operation in _operations(document):
        errors = {code: r for code, r in operation["responses"].items() if code[0] in "45"}
        # An operation that takes no input at all (the category tree) has no error to tell.
        assert errors or not (operation.get("parameters") or "requestBody" in operation), \
            (method, path)
        for response in errors.values():
            assert list(response["content"]) == [PROBLEM]
            assert response["content"][PROBLEM]["schema"] == {
                "$ref": "#/components/schemas/Problem"}
        if "requestBody" in operation:
            assert operation["requestBody"]["required"] is True
            assert {"400", "422"} <= set(errors), (method, path)
    assert "Problem" in document["components"]["schemas"]


@pytest.mark.parametrize("path", ["/api/v1/auth/register", "/api/v1/auth/token",
                                  "/api/v1/auth/refresh"])
def test_rate_limited_routes_document_retry_after(document, path):
    too_many = document["paths"][path]["post"]["responses"]["429"]

    assert too_many["headers"]["Retry-After"]["required"] is True


def test_erasing_documents_the_password_in_the_body(document):
    erase = document["paths"]["/api/v1/me"]["delete"]

    body = erase["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/EraseIn"}
    assert document["components"]["schemas"]["EraseIn"]["required"] == ["password"]
    assert "password" in erase["description"]


# Fuzzing: schemathesis generates requests from the document, valid ones and (negative mode)
# wrong ones, and checks that nothing answers 5xx and that every answer is what the document
# says: its status, media type, headers and body. Each operation is its own test.
#
# schemathesis' pytest plugin (`@schema.parametrize()` on a fixture-loaded schema) does not
# run under pytest 9.2 (it sets `Item._nodeid`, which pytest renamed), so the operations are
# listed here (a test checks the list against the document) and driven with Hypothesis.

OPERATIONS = [
    ("POST", "/api/v1/auth/register"), ("POST", "/api/v1/auth/token"),
    ("POST", "/api/v1/auth/refresh"), ("POST", "/api/v1/auth/logout"),
    ("GET", "/api/v1/me"), ("PATCH", "/api/v1/me"), ("DELETE", "/api/v1/me"),
    ("GET", "/api/v1/me/notifications"), ("PUT", "/api/v1/me/notifications"),
    ("GET", "/api/v1/me/export"), ("GET", "/api/v1/me/wallet"),
    ("GET", "/api/v1/me/points"), ("GET", "/api/v1/me/recommendations"),
    ("GET", "/api/v1/products/{slug}/related"), ("GET", "/api/v1/plans"),
    ("GET", "/api/v1/me/subscription"), ("POST", "/api/v1/me/subscription"),
    ("DELETE", "/api/v1/me/subscription"),
    ("GET", "/api/v1/me/addresses"), ("POST", "/api/v1/me/addresses"),
    ("GET", "/api/v1/me/addresses/{address_id}"),
    ("PATCH", "/api/v1/me/addresses/{address_id}"),
    ("DELETE", "/api/v1/me/addresses/{address_id}"),
    ("GET", "/api/v1/categories"), ("GET", "/api/v1/products"),
    ("GET", "/api/v1/products/{slug}"), ("GET", "/api/v1/promotions"),
    ("GET", "/api/v1/delivery-options"), ("GET", "/api/v1/cart"),
    ("POST", "/api/v1/cart/items"), ("PATCH", "/api/v1/cart/items/{item_id}"),
    ("DELETE", "/api/v1/cart/items/{item_id}"), ("PUT", "/api/v1/cart/voucher"),
    ("DELETE", "/api/v1/cart/voucher"), ("POST", "/api/v1/checkout"),
    ("GET", "/api/v1/orders"), ("GET", "/api/v1/orders/{number}"),
    ("POST", "/api/v1/orders/{number}/cancel"),
    ("GET", "/api/v1/support/tickets"), ("POST", "/api/v1/support/tickets"),
    ("GET", "/api/v1/support/tickets/{number}"),
    ("POST", "/api/v1/support/tickets/{number}/messages"),
]
# The document names the format of a mobile number (app.api.schemas.PHONE_FORMAT) without a
# pattern; generate numbers as people type them, so valid requests reach the services.
schemathesis.openapi.format(PHONE_FORMAT, st.builds(
    "{}{}{}".format,
    st.sampled_from(["+94", "0", "0094", "+94 ", "0"]),
    st.sampled_from(["70", "71", "72", "75", "76", "77", "78"]),
    st.from_regex(r"\A[0-9]{7}\Z").map(lambda d: f"{d[:3]} {d[3:]}" if d[0] < "5" else d)))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]
# Per operation and mode; deterministic, so a run is repeatable. KADE_FUZZ_EXAMPLES=500
# digs deeper (and, being another count, draws other examples).
EXAMPLES = int(os.environ.get("KADE_FUZZ_EXAMPLES", "30"))


def test_every_operation_is_fuzzed(document):
    documented = {(method.upper(), path) for path, method, _ in _operations(document)}

    assert documented == set(OPERATIONS)


@pytest.fixture()
def access_token(app, shop) -> str:
    """A customer with an address, a placed order and a cart holding tea, and a live access
    token, so the customer routes run past authentication and reach real lines and orders.
    Made in an app context of its own: each fuzzed request then gets a fresh one, as in
    production."""
    with app.app_context():
        customer = make_customer()
        address = make_address(customer.id)
        tea = catalog.get_published("ceylon-black-tea-leaves").variants[1].id
        cart = carts.open_cart(user_id=customer.id)
        carts.add_item(cart, tea, 2)
        place_order(cart, CheckoutChoices(payment_method="cod", delivery_option="island-wide",
                                          address_id=address.id), user=customer)
        carts.add_item(carts.open_cart(user_id=customer.id), tea, 1)
        return tokens.issue(customer).access_token


@pytest.fixture()
def shop(app) -> None:
    """A small catalogue in which the document's examples exist (category `groceries`,
    products `ceylon-black-tea-leaves` and `home-deep-cleaning`, search `tea`), so that
    generated requests reach real products, pictures, stock and slots, not only 404s. A
    draft sits beside them."""
    with app.app_context():
        make_category("groceries", name="Groceries")
        make_category("tea-spices", parent="groceries", name="Tea & spices")
        tea = make_product("Ceylon black tea leaves", category="tea-spices", name_si="තේ කොළ",
                           attributes={"origin": "Nuwara Eliya"}, variants=[
                               inputs.VariantInput(sku="FZ-TEA-1", price_cents=650_00,
                                                   options={"weight": "100 g"}),
                               inputs.VariantInput(sku="FZ-TEA-2", price_cents=1200_00,
                                                   compare_at_cents=1500_00,
                                                   options={"weight": "200 g"})])
        inventory.set_on_hand(tea.variants[0].id, 3)
        inventory.set_on_hand(tea.variants[1].id, 40)
        pictures.add_image(tea.id, picture("Tea", "#047857"), alt="Tea")
        cleaning = make_product("Home deep cleaning", kind="service", category="groceries",
                                price_cents=4500_00)
        booking_slots.add_slot(cleaning.id, utcnow() + dt.timedelta(days=1), capacity=2)
        make_product("Sold out tea", category="tea-spices")
        make_product("Draft tea", status="draft", category="tea-spices")
        delivery.ensure_starter_options()


# Operations that take no input at all: there is no wrong request to make of them.
WITHOUT_INPUT = {("GET", "/api/v1/categories"), ("GET", "/api/v1/promotions"),
                 ("GET", "/api/v1/plans")}
MODES = {GenerationMode.POSITIVE: "valid", GenerationMode.NEGATIVE: "invalid"}
FUZZ_CASES = [pytest.param(method, path, mode, id=f"{method} {path}-{name}")
              for method, path in OPERATIONS for mode, name in MODES.items()
              if mode is GenerationMode.POSITIVE or (method, path) not in WITHOUT_INPUT]


@pytest.mark.parametrize(("method", "path", "mode"), FUZZ_CASES)
def test_the_api_keeps_to_its_document(app, access_token, shop, method, path, mode):
    operation = schemathesis.openapi.from_wsgi(SPEC, app)[path][method]
    headers = {"Authorization": f"Bearer {access_token}"}

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              phases=[Phase.explicit, Phase.generate],  # no shrinking: fast, and the
              suppress_health_check=list(HealthCheck))  # failing case is printed anyway
    @given(case=operation.as_strategy(generation_mode=mode))
    def call_and_check(case):
        case.call_and_validate(headers=headers, checks=CHECKS)

    call_and_check()


# The fuzzer reaches few full answers of the catalogue (a generated slug or category rarely
# exists), so these requests, each with a rich answer, are checked against the document too.
CATALOGUE_CASES = [
    ("/api/v1/categories", {}, {}),
    ("/api/v1/products", {}, {}),
    ("/api/v1/products", {}, {"Accept-Language": "si"}),
    ("/api/v1/products", {"q": "tea", "category": "groceries", "in_stock": "true"}, {}),
    ("/api/v1/products", {"kind": "service", "sort": "price_desc", "per_page": 1}, {}),
    ("/api/v1/products/{slug}", {"slug": "ceylon-black-tea-leaves"}, {"Accept-Language": "si"}),
    ("/api/v1/products/{slug}", {"slug": "home-deep-cleaning"}, {}),
    ("/api/v1/products/{slug}", {"slug": "sold-out-tea"}, {}),
    ("/api/v1/products/{slug}", {"slug": "draft-tea"}, {}),
]


@pytest.mark.parametrize(("path", "parameters", "headers"), CATALOGUE_CASES)
def test_catalogue_answers_keep_to_the_document(app, shop, path, parameters, headers):
    operation = schemathesis.openapi.from_wsgi(SPEC, app)[path]["GET"]
    in_path = {k: v for k, v in parameters.items() if "{" + k + "}" in path}
    case = operation.Case(path_parameters=in_path, headers=headers,
                          query={k: v for k, v in parameters.items() if k not in in_path})

    response = case.call_and_validate(checks=CHECKS)

    assert response.status_code == (404 if "draft" in str(parameters) else 200)
