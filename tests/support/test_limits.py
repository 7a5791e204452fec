"""Rate limits on writing to support: 10 new questions and 30 messages an hour per customer,
one count over the web pages and the API together. Past the limit: the 429 page or a 429
problem, with Retry-After, and nothing written. Another customer from the same address is
not held back (the count is theirs, not the address's)."""

from __future__ import annotations

import pytest

from app.support import services as support
from tests.api.helpers import assert_problem, bearer, sign_in
from tests.factories import make_customer

API = "/api/v1/support/tickets"
QUESTION = {"subject": "Where is my parcel?", "body": "It has been a week."}


@pytest.fixture()
def limited(make_app, app_ctx):
    """A client of an app with the rate limits on."""
    return make_app(RATELIMIT_ENABLED=True).test_client()


def _count(customer) -> int:
    return support.customer_tickets(customer.id)[1]


def test_the_eleventh_question_in_an_hour_is_refused_with_the_429_page(
        limited, customer, login):
    login(customer, c=limited)

    statuses = [limited.post("/support/new", data=QUESTION).status_code for _ in range(10)]
    refused = limited.post("/support/new", data=QUESTION)

    assert statuses == [303] * 10
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert "Too many tries" in refused.get_data(as_text=True)
    assert _count(customer) == 10
    assert limited.get("/support/new").status_code == 200  # the form still opens


def test_the_count_is_per_customer_not_per_address(limited, customer, login, app):
    login(customer, c=limited)
    for _ in range(10):
        limited.post("/support/new", data=QUESTION)
    other = make_customer()
    elsewhere = app.test_client()  # same address, 127.0.0.1
    login(other, c=elsewhere)

    assert limited.post("/support/new", data=QUESTION).status_code == 429
    assert elsewhere.post("/support/new", data=QUESTION).status_code == 303


def test_the_thirty_first_message_in_an_hour_is_refused(limited, customer, login):
    first = support.open_ticket(customer.id, **QUESTION)
    second = support.open_ticket(customer.id, **QUESTION)
    login(customer, c=limited)

    # Over two questions: the count is of messages, whichever thread they go to.
    statuses = [limited.post(f"/support/{ticket.id}/reply", data={"body": "Any news?"})
                .status_code for ticket in [first, second] * 15]
    refused = limited.post(f"/support/{first.id}/reply", data={"body": "Any news?"})

    assert statuses == [303] * 30
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    messages = sum(len(support.customer_ticket(t.id, customer.id).messages)
                   for t in (first, second))
    assert messages == 2 + 30


def test_the_api_answers_429_problem_with_retry_after(limited, customer):
    headers = bearer(sign_in(limited, customer.email)["access_token"])
    body = {"subject": QUESTION["subject"], "message": QUESTION["body"]}

    statuses = [limited.post(API, json=body, headers=headers).status_code for _ in range(10)]
    refused = limited.post(API, json=body, headers=headers)

    assert statuses == [201] * 10
    assert_problem(refused, 429, "too_many_requests")
    assert int(refused.headers["Retry-After"]) > 0
    assert _count(customer) == 10


def test_api_messages_are_limited_too(limited, customer):
    ticket = support.open_ticket(customer.id, **QUESTION)
    headers = bearer(sign_in(limited, customer.email)["access_token"])
    url = f"{API}/{ticket.id}/messages"

    statuses = [limited.post(url, json={"message": "Any news?"}, headers=headers).status_code
                for _ in range(31)]

    assert statuses == [201] * 30 + [429]
    assert len(support.customer_ticket(ticket.id, customer.id).messages) == 31


def test_the_web_and_the_api_share_one_count(limited, customer, login):
    login(customer, c=limited)
    for _ in range(10):
        limited.post("/support/new", data=QUESTION)
    headers = bearer(sign_in(limited, customer.email)["access_token"])

    refused = limited.post(API, json={"subject": "Again", "message": "From the app."},
                           headers=headers)

    assert_problem(refused, 429, "too_many_requests")
    assert _count(customer) == 10


def test_the_api_documents_the_429(client, app_ctx):
    document = client.get("/api/v1/openapi.json").get_json()

    for path in (API, API + "/{number}/messages"):
        too_many = document["paths"][path]["post"]["responses"]["429"]
        assert too_many["headers"]["Retry-After"]["required"] is True
