"""POST /checkout with `payhere`: the order waits for payment and the answer carries
PayHere's hosted-checkout form (action and fields) for the app to post in a web view; the
other methods answer no form; without a PayHere account `payhere` is a 422. The document
says so, and the answers keep to it (schemathesis)."""

from __future__ import annotations

import hashlib
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app import db
from app.orders import services as orders
from app.payments import services as payments
from app.payments.sandbox import wait_for_notifications
from app.queue import wait_for_local_jobs
from tests.api.helpers import assert_problem, bearer, error_fields, sign_in
from tests.checkout.factories import starter_delivery, stocked
from tests.factories import make_address, make_customer

MERCHANT = "1211149"
SECRET = "MzA0NjA3OTI1MTI4NjM4MjQ0MDcxNzM2OTMwNjY5MTM1MjcyMTQ0Mg=="
SHOP = "https://shop.example.lk"
CHECKOUT = "/api/v1/checkout"
FIELDS = {"merchant_id", "return_url", "cancel_url", "notify_url", "first_name", "last_name",
          "email", "phone", "address", "city", "country", "order_id", "items", "currency",
          "amount", "hash"}


def md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest().upper()  # noqa: S324 — PayHere's formula


def settings(**overrides) -> dict:
    return {"PAYHERE_MERCHANT_ID": MERCHANT, "PAYHERE_MERCHANT_SECRET": SECRET,
            "PAYHERE_SANDBOX": True, "PAYHERE_LOCAL_SANDBOX": False, "PUBLIC_URL": SHOP,
            **overrides}


class Shopper:
    """A customer of `app` with a cart holding two teas, signed in to the API."""

    def __init__(self, app):
        self.app = app
        self.client = app.test_client()
        with app.app_context():
            starter_delivery()
            self.tea = stocked("Ceylon tea", units=10, price_cents=1_250_00).id
            user = make_customer(name="Nimal Perera", email=f"{uuid.uuid4().hex[:8]}@example.lk",
                                 phone="+94771234567")
            self.email, self.user_id = user.email, user.id
            self.address_id = make_address(user.id).id  # Galle
            db.session.remove()
        self.headers = bearer(sign_in(self.client, self.email)["access_token"])
        answer = self.client.post("/api/v1/cart/items", headers=self.headers,
                                  json={"variant_id": self.tea, "quantity": 2})
        assert answer.status_code == 201, answer.get_data(as_text=True)

    def body(self, method: str = "payhere") -> dict:
        return {"address_id": self.address_id, "delivery_option": "island-wide",
                "payment_method": method}

    def checkout(self, method: str = "payhere", key: str | None = None):
        return self.client.post(CHECKOUT, json=self.body(method), headers={
            **self.headers, "Idempotency-Key": key or str(uuid.uuid4())})


def _made(app):
    yield app
    wait_for_notifications(app)
    wait_for_local_jobs(app)


@pytest.fixture()
def ph_app(make_app):
    yield from _made(make_app(**settings()))


@pytest.fixture()
def shopper(ph_app) -> Shopper:
    return Shopper(ph_app)


def test_payhere_answers_the_order_with_the_hosted_checkout_form(shopper):
    response = shopper.checkout()

    assert response.status_code == 201, response.get_data(as_text=True)
    order = response.get_json()
    assert (order["status"], order["payment_method"], order["payment_status"]) == (
        "pending_payment", "payhere", "unpaid")
    assert order["payment_due_at"] and order["total"]["amount_cents"] == 2_850_00
    payment = order["payment"]
    assert payment["action"] == "https://sandbox.payhere.lk/pay/checkout"
    fields = payment["fields"]
    assert set(fields) == FIELDS
    number = order["number"]
    assert (fields["order_id"], fields["amount"], fields["currency"]) == (
        number, "2850.00", "LKR")
    assert (fields["first_name"], fields["last_name"]) == ("Nimal", "Perera")
    assert (fields["address"], fields["city"]) == ("12 Temple Road", "Galle")
    assert fields["hash"] == md5(MERCHANT + number + "2850.00" + "LKR" + md5(SECRET))
    assert fields["notify_url"] == f"{SHOP}/payments/payhere/notify"
    back = urlsplit(fields["return_url"])
    assert f"{back.scheme}://{back.netloc}{back.path}" == f"{SHOP}/payments/payhere/return"
    with shopper.app.app_context():
        # A customer's order: no order-link token goes through PayHere, only a return
        # token, which opens no order page.
        assert set(parse_qs(back.query)) == {"order_id", "r", "since"}
        assert orders.number_from_guest_token(parse_qs(back.query)["r"][0]) is None
        assert payments.payment_for(number, "payhere").status == "initiated"
        db.session.remove()
    # The order itself, as GET /orders/{number} tells it, has no form in it.
    again = shopper.client.get(f"/api/v1/orders/{number}", headers=shopper.headers)
    assert "payment" not in again.get_json()


def test_a_retry_answers_the_same_order_with_its_form(shopper):
    key = str(uuid.uuid4())
    first = shopper.checkout(key=key).get_json()

    retry = shopper.checkout(key=key)

    assert retry.status_code == 201 and retry.headers["Idempotent-Replayed"] == "true"
    body = retry.get_json()
    assert body["number"] == first["number"]
    assert body["payment"]["fields"]["hash"] == first["payment"]["fields"]["hash"]


@pytest.mark.parametrize("method", ["cod", "bank_transfer"])
def test_the_other_methods_answer_no_form(shopper, method):
    response = shopper.checkout(method)
    assert response.status_code == 201
    assert response.get_json()["payment"] is None
    assert response.get_json()["payment_method"] == method


def test_with_the_local_sandbox_the_form_goes_to_the_shops_own_sandbox(make_app):
    for app in _made(make_app(**settings(PAYHERE_LOCAL_SANDBOX=True))):
        payment = Shopper(app).checkout().get_json()["payment"]
        assert payment["action"] == f"{SHOP}/payhere-sandbox/pay/checkout"


def test_payhere_is_refused_when_the_shop_has_no_payhere_account(make_app):
    for app in _made(make_app(**settings(PAYHERE_MERCHANT_ID=None,
                                         PAYHERE_MERCHANT_SECRET=None))):
        shopper = Shopper(app)

        body = assert_problem(shopper.checkout(), 422)

        assert error_fields(body) == {"payment_method"}
        with app.app_context():
            assert orders.customer_orders(shopper.user_id)[1] == 0
            db.session.remove()
        assert shopper.checkout("cod").status_code == 201  # the others still work


def test_the_document_describes_payhere_and_its_form(shopper):
    document = shopper.client.get("/api/v1/openapi.json").get_json()
    operation = document["paths"]["/api/v1/checkout"]["post"]
    request = operation["requestBody"]["content"]["application/json"]["schema"]
    schemas = document["components"]["schemas"]
    checkout_in = schemas[request["$ref"].rsplit("/", 1)[-1]]
    assert "payhere" in checkout_in["properties"]["payment_method"]["enum"]
    answer = operation["responses"]["201"]["content"]["application/json"]["schema"]
    checkout_out = schemas[answer["$ref"].rsplit("/", 1)[-1]]
    payment = checkout_out["properties"]["payment"]
    form_ref = next(choice["$ref"] for choice in payment["anyOf"] if "$ref" in choice)
    assert {"type": "null"} in payment["anyOf"]  # null for the other methods
    form = schemas[form_ref.rsplit("/", 1)[-1]]
    assert set(form["properties"]) == {"action", "fields"}
    assert set(form["required"]) == {"action", "fields"}


CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]


def test_the_payhere_answers_keep_to_the_document(shopper):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", shopper.app)
    operation = schema["/api/v1/checkout"]["POST"]
    for key in ("k1", "k1"):  # placed, then replayed
        case = operation.Case(body=shopper.body(), headers={**shopper.headers,
                                                           "Idempotency-Key": key})
        response = case.call_and_validate(checks=CHECKS)
        assert response.status_code == 201 and response.json()["payment"]["fields"]
