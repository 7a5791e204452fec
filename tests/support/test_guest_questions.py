"""A guest asks about their order from its page (the link in their order mail): a support
ticket tied to the order, seen by staff in the queue with the order linked; the staff reply
reaches the guest by mail and SMS with a link back to the order page, where the conversation
shows. Bad inputs: empty, too long, another order's link, a revoked link; and the rate limit.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from app.orders import services as orders
from app.queue import wait_for_local_jobs
from app.support import services as support
from app.support.models import MAX_BODY
from tests.catalog.pages import texts
from tests.checkout.factories import GUEST, place_guest_order, stocked

QUESTION = "Can you deliver it after 5 pm? I work until then."


@pytest.fixture()
def guest_order(db_session):
    order = place_guest_order(stocked("Ceylon tea", units=5))
    return order, orders.guest_token(order)


def _page(order, token) -> str:
    return f"/orders/{order.number}?t={token}"


def _ask(client, order, token, body=QUESTION):
    return client.post(f"/orders/{order.number}/ask", data={"t": token, "body": body})


def _sms_files(app) -> list[dict]:
    wait_for_local_jobs(app)
    folder = Path(app.config["OUTBOX_DIR"])
    found = [json.loads(p.read_text()) for p in sorted(folder.glob("*.sms.json"))]
    return [sms for sms in found if sms["reference"].startswith("support-reply:")]


def test_a_guest_asks_about_an_order_and_gets_the_staff_reply_by_mail_and_sms(
        app, client, guest_order, agent_client, outbox):
    order, token = guest_order
    page = client.get(_page(order, token)).text
    assert 'id="questions"' in page and "Ask about this order" in page

    # The guest asks from the order's page.
    asked = _ask(client, order, token)
    assert asked.status_code == 303
    assert asked.headers["Location"].endswith(f"{_page(order, token)}#questions")
    page = client.get(asked.headers["Location"]).text
    assert "We have your question" in page and QUESTION in page

    # Staff see it in the support queue, as a guest's, with the order linked.
    queue = agent_client.get("/staff/support?status=open").text
    ticket = support.guest_ticket(order.number)
    assert f"/staff/support/{ticket.id}" in queue and order.number in queue
    assert "guest" in queue
    detail = agent_client.get(f"/staff/support/{ticket.id}").text
    assert QUESTION in detail and GUEST.name in detail and GUEST.email in detail
    assert order.number in detail

    # The reply reaches the guest by mail and by SMS, with the order's link.
    replied = agent_client.post(f"/staff/support/{ticket.id}/reply",
                                data={"body": "Yes: our rider will come at 6 pm."})
    assert replied.status_code == 303
    [mail] = outbox.to(GUEST.email, "support-reply")
    assert "Yes: our rider will come at 6 pm." in outbox.text(mail)
    link = outbox.link(mail)
    assert urlsplit(link).path == f"/orders/{order.number}"
    [sms] = _sms_files(app)
    assert sms["to"] == "94771234567"
    assert f"/orders/{order.number}" in sms["message"]

    # The link opens the order page, where the conversation is shown (and marked read).
    parts = urlsplit(link)
    page = client.get(f"{parts.path}?{parts.query}").text
    assert QUESTION in page and "Yes: our rider will come at 6 pm." in page
    assert "Our reply" in page
    assert support.unread_replies(support.guest_ticket(order.number)) == 0

    # Asking again continues the same thread, open for staff again.
    assert _ask(client, order, token, "Thank you!").status_code == 303
    again = support.guest_ticket(order.number)
    assert again.id == ticket.id and again.status == "open"
    assert [m.body for m in support.public_messages(again)][-1] == "Thank you!"


@pytest.mark.parametrize(("body", "message"), [
    ("", "Write your message."),
    ("   \n ", "Write your message."),
    ("x" * (MAX_BODY + 1), f"Keep the message to {MAX_BODY} characters or fewer."),
])
def test_an_empty_or_long_question_is_shown_again(client, guest_order, body, message):
    order, token = guest_order

    response = _ask(client, order, token, body)

    assert response.status_code == 422
    assert message in texts(response.text, cls="field-error")
    assert support.guest_ticket(order.number) is None


def test_another_orders_link_is_refused(client, guest_order):
    order, token = guest_order
    other = place_guest_order(stocked("Kithul treacle", units=5))

    response = _ask(client, other, token)  # this order's token, on the other order

    assert response.status_code == 404
    assert support.guest_ticket(other.number) is None
    assert support.guest_ticket(order.number) is None


def test_a_stale_link_is_refused(client, guest_order):
    order, old_token = guest_order
    orders.resend_link(order.number, GUEST.email)  # a new link: the old one ends

    refused = _ask(client, order, old_token)
    missing = client.post(f"/orders/{order.number}/ask", data={"body": QUESTION})

    assert refused.status_code == 404 and missing.status_code == 404
    assert support.guest_ticket(order.number) is None
    assert _ask(client, order, orders.guest_token(order.number)).status_code == 303


def test_a_customers_order_has_no_guest_form(client, db_session, customer, login, order_of):
    order = order_of(customer)
    login(customer)

    page = client.get(f"/account/orders/{order.number}").text

    assert 'id="questions"' not in page
    assert f"/support/new?order={order.number}" in page
    assert _ask(client, order, orders.guest_token(order.number)).status_code == 404


def test_questions_about_one_order_are_rate_limited(make_app, guest_order):
    order, token = guest_order
    limited = make_app(RATELIMIT_ENABLED=True).test_client()

    statuses = [_ask(limited, order, token, f"Question {n}").status_code for n in range(10)]
    refused = _ask(limited, order, token)

    assert statuses == [303] * 10
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert len(support.guest_ticket(order.number).messages) == 10


def test_the_guests_words_are_escaped_on_every_page(client, guest_order, agent_client):
    order, token = guest_order

    _ask(client, order, token, "<script>alert(1)</script>")

    ticket = support.guest_ticket(order.number)
    for html in (client.get(_page(order, token)).text,
                 agent_client.get(f"/staff/support/{ticket.id}").text):
        assert "<script>alert(1)" not in html
        assert re.search(r"&lt;script&gt;alert\(1\)&lt;/script&gt;", html)
