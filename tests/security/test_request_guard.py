"""A control character in a request's path or query is a clear 400 before any view runs: a
page saying so. The API's routes name the parameter holding it (422, as for any bad
parameter). Tabs, line breaks and bidi characters in a query pass (a search finds nothing
with them, harmlessly). PayHere's notification answers 400 to junk characters and records
nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEntry
from tests.api.helpers import assert_problem, error_fields
from tests.catalog.pages import text
from tests.payments.conftest import awaiting  # noqa: F401
from tests.payments.test_payhere import MERCHANT, SECRET, _form, payhere_app  # noqa: F401
from tests.security.bad_input import stored_forbidden_values

PAGE_MESSAGE = "The address holds invisible control characters."


@pytest.mark.parametrize("url", [
    "/p/ceylon-tea%00",
    "/account/orders/KD-2026-000001%00",
    "/orders/KD-2026-000001%00?t=x",
    "/staff/orders/KD-2026-000001%01",
    "/media/a%00.jpg",
    "/products?q=%00",
    "/search?q=tea%1b",
    "/search?q=tea%7f",
    "/search?q=tea%C2%85",  # a C1 control (NEL), UTF-8 encoded
    "/products?page=%00",
    "/products?%00=1",
    "/payments/payhere/return?order_id=%00",
    "/checkout?step=%00",
])
def test_a_control_character_in_the_path_or_query_is_a_400_page(client, db_session, url):
    response = client.get(url)

    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert PAGE_MESSAGE in text(response.get_data(as_text=True), tag="article")


@pytest.mark.parametrize(("url", "status"), [("/%00", 404), ("/no-such-page?q=%00", 404),
                                             ("/api/v1/no-such-route%00", 404)])
def test_a_url_no_route_matches_is_still_a_404(client, db_session, url, status):
    assert client.get(url).status_code == status


def test_the_openapi_document_answers_a_problem(client, db_session):
    assert_problem(client.get("/api/v1/openapi.json?x=%00"), 400)


@pytest.mark.parametrize(("url", "field"), [("/api/v1/products?q=%00", "q"),
                                            ("/api/v1/products?q=%1b", "q"),
                                            ("/api/v1/products?category=a%C2%85", "category")])
def test_the_api_names_the_parameter_holding_them(client, db_session, url, field):
    assert field in error_fields(assert_problem(client.get(url), 422))


@pytest.mark.parametrize("query", ["q=tea%09", "q=tea%0A", "q=%E2%80%AEtea", "q=%E2%81%A6"])
def test_tabs_line_breaks_and_bidi_characters_pass_in_a_query(client, db_session, query):
    assert client.get(f"/search?{query}").status_code == 200


@pytest.mark.parametrize("junk", ["\x00", "\x1b", "\x85", "\u202e"])
def test_payhere_notify_answers_400_to_junk_and_records_nothing(payhere_app, awaiting, junk):  # noqa: F811
    number, total = awaiting
    client = payhere_app.test_client()
    with payhere_app.app_context():
        from app import db

        audited = db.session.scalar(select(func.count()).select_from(AuditEntry))
        db.session.remove()

    in_order_id = client.post("/payments/payhere/notify",
                              data={**_form(number, total), "order_id": number + junk})
    in_message = client.post("/payments/payhere/notify",
                             data={**_form(number, total), "status_message": "ok" + junk})

    assert (in_order_id.status_code, in_message.status_code) == (400, 400)
    with payhere_app.app_context():
        from app import db

        assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == audited
        assert stored_forbidden_values() == []


def test_payhere_notify_still_answers_ok_to_a_plain_forgery(payhere_app, awaiting):  # noqa: F811
    number, total = awaiting

    response = payhere_app.test_client().post(
        "/payments/payhere/notify", data=_form(number, total, secret="not the secret"))

    assert response.status_code == 200
