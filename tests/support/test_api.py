"""My questions through the JSON API: listing, asking (about one of my orders), reading the
thread (staff notes never appear; replies become read) and writing again; nobody else's
ticket (404), bad bodies (422), no token (401). Rich answers are checked against the
OpenAPI document too."""

from __future__ import annotations

import pytest
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.accounts import tokens as api_tokens
from app.support import services as support
from app.support.models import MAX_BODY, MAX_SUBJECT
from tests.api.conftest import _rate_limits_as_configured, auth_headers, tokens  # noqa: F401
from tests.api.helpers import assert_problem, error_fields
from tests.factories import make_customer, make_staff

API = "/api/v1/support/tickets"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]


def _ask(customer, subject="Where is my parcel?", body="It has been a week.", **more):
    return support.open_ticket(customer.id, subject=subject, body=body, **more)


def test_no_token_no_questions(client, db_session):
    for response in (client.get(API), client.post(API, json={"subject": "a", "message": "b"}),
                     client.get(f"{API}/1"), client.post(f"{API}/1/messages", json={})):
        assert_problem(response, 401)


def test_asking_about_one_of_my_orders(client, customer, auth_headers, order_of):  # noqa: F811
    order = order_of(customer)

    response = client.post(API, headers=auth_headers, json={
        "subject": "  Wrong colour ", "message": "I ordered red.\nIt is blue.",
        "order_number": order.number})

    assert response.status_code == 201
    body = response.get_json()
    assert (body["subject"], body["status"], body["status_label"], body["order_number"]) == (
        "Wrong colour", "open", "Waiting for our reply", order.number)
    assert [(m["author"], m["message"]) for m in body["messages"]] == [
        ("customer", "I ordered red.\nIt is blue.")]
    assert support.customer_ticket(body["number"], customer.id).subject == "Wrong colour"


@pytest.mark.parametrize(("payload", "field"), [
    ({"subject": "", "message": "Hi"}, "subject"),
    ({"subject": "   ", "message": "Hi"}, "subject"),
    ({"subject": "s" * (MAX_SUBJECT + 1), "message": "Hi"}, "subject"),
    ({"subject": "Hi", "message": " \n "}, "message"),
    ({"subject": "Hi", "message": "m" * (MAX_BODY + 1)}, "message"),
    ({"subject": "Hi", "message": "bell \x07"}, "message"),
    ({"subject": "Hi"}, "message"),
    ({"subject": "Hi", "message": "Hi", "order_number": "KD-2026-999999"}, "order_number"),
    ({"subject": "Hi", "message": "Hi", "priority": "urgent"}, "priority"),
])
def test_bad_questions_are_422_on_their_field(client, customer, auth_headers,  # noqa: F811
                                              payload, field):
    response = client.post(API, headers=auth_headers, json=payload)

    body = assert_problem(response, 422)
    assert field in error_fields(body)
    assert support.customer_tickets(customer.id) == ([], 0)


def test_listing_my_questions_latest_activity_first(client, customer,
                                                    auth_headers):  # noqa: F811
    first = _ask(customer, subject="First")
    second = _ask(customer, subject="Second")
    _ask(make_customer(), subject="Someone else's")
    support.staff_reply(first.id, "Answer", actor=make_staff("support_agent"))

    body = client.get(f"{API}?per_page=1", headers=auth_headers).get_json()
    everything = client.get(API, headers={**auth_headers, "Accept-Language": "si"}).get_json()

    assert (body["total"], body["page"], body["per_page"]) == (2, 1, 1)
    assert [(t["number"], t["status"], t["unread_replies"]) for t in body["items"]] == [
        (first.id, "waiting", 1)]
    assert [t["number"] for t in everything["items"]] == [first.id, second.id]


def test_reading_a_thread_shows_replies_not_notes_and_marks_them_read(
        client, customer, auth_headers):  # noqa: F811
    agent = make_staff("support_agent")
    ticket = _ask(customer)
    reply = support.staff_reply(ticket.id, "On its way.", actor=agent)
    support.staff_reply(ticket.id, "Customer is upset.", note=True, actor=agent)

    body = client.get(f"{API}/{ticket.id}", headers=auth_headers).get_json()

    assert [(m["author"], m["message"]) for m in body["messages"]] == [
        ("customer", "It has been a week."), ("staff", "On its way.")]
    assert body["messages"][1]["id"] == reply.id
    assert body["status"] == "waiting" and body["unread_replies"] == 0
    assert "upset" not in str(body)


def test_writing_again_reopens_a_closed_question(client, customer, auth_headers):  # noqa: F811
    ticket = _ask(customer)
    support.close(ticket.id, actor=make_staff("support_agent"))

    response = client.post(f"{API}/{ticket.id}/messages", headers=auth_headers,
                           json={"message": "Still broken."})

    assert response.status_code == 201
    body = response.get_json()
    assert body["status"] == "open"
    assert body["messages"][-1]["message"] == "Still broken."


@pytest.mark.parametrize("payload", [{}, {"message": ""}, {"message": "x" * (MAX_BODY + 1)},
                                     {"message": "Hi", "extra": 1}])
def test_a_bad_message_is_422(client, customer, auth_headers, payload):  # noqa: F811
    ticket = _ask(customer)

    assert_problem(client.post(f"{API}/{ticket.id}/messages", headers=auth_headers,
                               json=payload), 422)
    assert len(support.customer_ticket(ticket.id, customer.id).messages) == 1


def test_another_customers_question_is_404(client, customer, auth_headers):  # noqa: F811
    theirs = _ask(make_customer()).id

    assert_problem(client.get(f"{API}/{theirs}", headers=auth_headers), 404)
    assert_problem(client.post(f"{API}/{theirs}/messages", headers=auth_headers,
                               json={"message": "Hi"}), 404)
    assert_problem(client.get(f"{API}/99999999999", headers=auth_headers), 404)
    assert len(support.staff_ticket(theirs).messages) == 1


def test_rich_answers_keep_to_the_document(app, client, db_session):
    with app.app_context():
        customer = make_customer()
        ticket = _ask(customer)
        support.staff_reply(ticket.id, "Answer\nwith lines", actor=make_staff("admin"))
        token = api_tokens.issue(customer).access_token
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    headers = {"Authorization": f"Bearer {token}"}
    cases = [
        (API, "GET", {}, None),
        (API + "/{number}", "GET", {"number": ticket.id}, None),
        (API + "/{number}/messages", "POST", {"number": ticket.id}, {"message": "More"}),
        (API, "POST", {}, {"subject": "New", "message": "Line one\nline two"}),
    ]

    for path, method, in_path, body in cases:
        operation = schema[path][method]
        case = operation.Case(path_parameters=in_path, headers=headers,
                              **({"body": body} if body is not None else {}))
        response = case.call_and_validate(checks=CHECKS)
        assert response.status_code in (200, 201)
