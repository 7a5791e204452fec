"""My notification choices through the API: GET and PUT /me/notifications, the same choices
the account page shows, their bad inputs, and their place in the OpenAPI document (which
schemathesis holds them to)."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode

from app.accounts import tokens as account_tokens
from app.notifications import services as notifications
from tests.api.helpers import assert_problem, error_fields
from tests.api.test_openapi import CHECKS, EXAMPLES, SPEC
from tests.factories import make_customer

URL = "/api/v1/me/notifications"
DEFAULTS = {"sms_updates": True, "marketing_email": False, "marketing_sms": False}


def test_the_defaults_are_sms_updates_and_no_offers(client, auth_headers):
    response = client.get(URL, headers=auth_headers)

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.get_json() == DEFAULTS


def test_put_replaces_the_choices_and_get_shows_them(client, customer, auth_headers):
    choices = {"sms_updates": False, "marketing_email": True, "marketing_sms": True}

    response = client.put(URL, headers=auth_headers, json=choices)

    assert response.status_code == 200 and response.get_json() == choices
    assert client.get(URL, headers=auth_headers).get_json() == choices
    prefs = notifications.preferences(customer.id)
    assert (prefs.sms_updates, prefs.marketing_email, prefs.marketing_sms) == (False, True, True)


def test_the_api_and_the_account_page_share_the_choices(client, customer, auth_headers, login):
    client.put(URL, headers=auth_headers, json={**DEFAULTS, "marketing_email": True})

    page = login(customer).get("/account/notifications").text

    assert 'checked id="marketing_email"' in page


def test_each_customer_has_their_own_choices(client, customer, auth_headers):
    other = make_customer()
    notifications.set_preferences(other.id, sms_updates=False, marketing_email=True,
                                  marketing_sms=True)

    assert client.get(URL, headers=auth_headers).get_json() == DEFAULTS


@pytest.mark.parametrize(("body", "field"), [
    ({"sms_updates": True, "marketing_email": False}, "marketing_sms"),
    ({**DEFAULTS, "marketing_email": "yes"}, "marketing_email"),
    ({**DEFAULTS, "sms_updates": 1}, "sms_updates"),
    ({**DEFAULTS, "marketing_sms": None}, "marketing_sms"),
    ({**DEFAULTS, "transactional_email": False}, "transactional_email"),
])
def test_bad_bodies_are_422_and_change_nothing(client, customer, auth_headers, body, field):
    response = client.put(URL, headers=auth_headers, json=body)

    assert field in error_fields(assert_problem(response, 422))
    assert client.get(URL, headers=auth_headers).get_json() == DEFAULTS


def test_a_body_that_is_not_json_is_400(client, auth_headers):
    response = client.put(URL, headers={**auth_headers, "Content-Type": "application/json"},
                          data="{not json")

    assert_problem(response, 400)


@pytest.mark.parametrize("method", ["get", "put"])
def test_without_a_token_it_is_401(client, app_ctx, method):
    response = getattr(client, method)(URL, json=DEFAULTS)

    assert_problem(response, 401)


def test_the_document_describes_both_operations(client, app_ctx):
    document = client.get(SPEC).get_json()
    operations = document["paths"]["/api/v1/me/notifications"]

    assert set(operations) >= {"get", "put"}
    for operation in (operations["get"], operations["put"]):
        assert operation["security"] == [{"BearerAuth": []}]
        assert operation["tags"] == ["Me"]
    assert {"400", "401", "422"} <= set(operations["put"]["responses"])
    schema = document["components"]["schemas"]["NotificationChoicesIn"]
    assert sorted(schema["required"]) == ["marketing_email", "marketing_sms", "sms_updates"]
    assert schema["additionalProperties"] is False


@pytest.fixture()
def access_token(app) -> str:
    with app.app_context():
        return account_tokens.issue(make_customer()).access_token


@pytest.mark.parametrize("method", ["GET", "PUT"])
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
                         ids=["valid", "invalid"])
def test_the_operations_keep_to_the_document(app, access_token, method, mode):
    operation = schemathesis.openapi.from_wsgi(SPEC, app)["/api/v1/me/notifications"][method]
    headers = {"Authorization": f"Bearer {access_token}"}

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode))
    def call_and_check(case):
        case.call_and_validate(headers=headers, checks=CHECKS)

    call_and_check()
