"""The customer's help pages: reaching them (account menu, an order page, sign-in first),
the list, asking a question (with an order of theirs), the thread with our replies (read
once opened), writing back, escaping, CSRF, and nobody else's ticket (404)."""

from __future__ import annotations

import re

import pytest

from app.support import services as support
from app.support.models import MAX_BODY, MAX_SUBJECT
from tests.catalog.pages import attr, find, text, texts
from tests.conftest import PASSWORD
from tests.factories import make_customer, make_staff


@pytest.fixture()
def signed_in(customer, login):
    return login(customer)


def _ask(customer, subject="Where is my parcel?", body="It has been a week.", **more):
    return support.open_ticket(customer.id, subject=subject, body=body, **more)


@pytest.mark.parametrize("path", ["/support", "/support/new", "/support/1"])
def test_guests_are_sent_to_sign_in_and_back(client, db_session, path):
    response = client.get(path)

    assert response.status_code == 302
    location = response.headers["Location"]
    assert "/account/login" in location and "next=" in location
    assert re.sub(r"%2F", "/", location).endswith(path)


def test_help_is_in_the_account_menu_and_on_an_order_page(client, customer, signed_in,
                                                           order_of):
    order = order_of(customer)

    account = client.get("/account").text
    order_page = client.get(f"/account/orders/{order.number}").text

    assert attr(account, "href", tag="a", href="/support") == "/support"
    link = find(order_page, tag="a", href=f"/support/new?order={order.number}")
    assert [" ".join(e["text"].split()) for e in link] == ["Ask about this order"]


def test_the_list_is_empty_at_first_and_offers_to_ask(client, signed_in, db_session):
    html = client.get("/support").text

    assert "You have not asked us anything yet" in html
    assert find(html, tag="a", href="/support/new")
    assert 'aria-current="page"' in html and ">Help<" in html


def test_the_list_shows_the_customers_tickets_latest_activity_first(
        client, customer, signed_in, db_session):
    first = _ask(customer, subject="First question")
    second = _ask(customer, subject="Second question")
    _ask(make_customer(), subject="Someone else's")
    support.staff_reply(first.id, "Here is the answer", actor=make_staff("support_agent"))

    html = client.get("/support").text

    assert texts(html, cls="order-row-number") == [f"#{first.id} · First question",
                                                    f"#{second.id} · Second question"]
    assert texts(html, cls="badge") == ["Answered", "Waiting for our reply"]
    assert texts(html, cls="support-new") == ["1 new reply"]
    assert "Someone else" not in html


def test_asking_a_question_about_an_order(client, customer, signed_in, order_of):
    mine = order_of(customer)
    someone_elses = order_of(make_customer())

    form = client.get(f"/support/new?order={mine.number}").text
    options = find(form, tag="option")
    assert [o["attrs"]["value"] for o in options] == ["", mine.number]
    assert [o["attrs"]["value"] for o in options if "selected" in o["attrs"]] == [mine.number]
    assert someone_elses.number not in form

    response = client.post("/support/new", data={
        "subject": "Wrong colour", "body": "I ordered red.\nIt is blue.",
        "order_number": mine.number})

    assert response.status_code == 303
    [ticket], _ = support.customer_tickets(customer.id)
    assert response.headers["Location"].endswith(f"/support/{ticket.id}")
    page = client.get(response.headers["Location"]).text
    assert "Thank you. We have your question" in page
    assert text(page, tag="h1") == "Wrong colour"
    assert texts(page, cls="timeline-note") == ["I ordered red. It is blue."]
    assert find(page, tag="a", href=f"/account/orders/{mine.number}")


@pytest.mark.parametrize(("data", "message"), [
    ({"subject": "", "body": "Text"}, "Write a subject."),
    ({"subject": "   ", "body": "Text"}, "Write a subject."),
    ({"subject": "Hi", "body": ""}, "Write your message."),
    ({"subject": "s" * (MAX_SUBJECT + 1), "body": "Text"},
     f"Keep the subject to {MAX_SUBJECT} characters or fewer."),
    ({"subject": "Hi", "body": "b" * (MAX_BODY + 1)},
     f"Keep the message to {MAX_BODY} characters or fewer."),
    ({"subject": "Hi", "body": "Text", "order_number": "KD-2026-000999"},
     "Not a valid choice."),
])
def test_bad_questions_are_shown_again_with_a_clear_message(client, customer, signed_in,
                                                            data, message):
    response = client.post("/support/new", data=data)

    assert response.status_code == 422
    assert message in texts(response.text, cls="field-error")
    assert support.customer_tickets(customer.id) == ([], 0)


def test_the_form_states_its_limits(client, signed_in, db_session):
    html = client.get("/support/new").text

    assert attr(html, "maxlength", id="subject") == str(MAX_SUBJECT)
    assert attr(html, "maxlength", id="body") == str(MAX_BODY)


def test_the_thread_shows_our_replies_but_never_our_notes_and_marks_them_read(
        client, customer, signed_in, db_session):
    agent = make_staff("support_agent")
    ticket = _ask(customer)
    support.staff_reply(ticket.id, "It is on its way.", actor=agent)
    support.staff_reply(ticket.id, "Customer sounds upset.", note=True, actor=agent)

    html = client.get(f"/support/{ticket.id}").text

    assert texts(html, cls="timeline-note") == ["It has been a week.", "It is on its way."]
    assert "upset" not in html
    assert text(html, id="ticket-status") == "Answered"
    assert support.unread_replies(support.customer_ticket(ticket.id, customer.id)) == 0
    assert "no-store" in client.get(f"/support/{ticket.id}").headers["Cache-Control"]


def test_markup_in_messages_is_shown_as_text(client, customer, signed_in, db_session):
    ticket = _ask(customer, subject="<i>Help</i>", body="<script>alert('x')</script>")
    support.staff_reply(ticket.id, '<img src=x onerror="alert(1)">',
                        actor=make_staff("support_agent"))

    html = client.get(f"/support/{ticket.id}").text
    listing = client.get("/support").text

    assert "<script>alert" not in html and "<img src=x" not in html and "<i>Help" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in html
    assert "&lt;i&gt;Help&lt;/i&gt;" in listing and "<i>Help" not in listing


def test_writing_back_opens_the_ticket_again(client, customer, signed_in, db_session):
    agent = make_staff("support_agent")
    ticket = _ask(customer)
    support.staff_reply(ticket.id, "Fixed?", actor=agent)
    support.close(ticket.id, actor=agent)
    assert "This question is closed" in client.get(f"/support/{ticket.id}").text

    response = client.post(f"/support/{ticket.id}/reply", data={"body": "Not fixed."})

    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/support/{ticket.id}#latest")
    html = client.get(f"/support/{ticket.id}").text
    assert texts(html, cls="timeline-note")[-1] == "Not fixed."
    assert text(html, id="ticket-status") == "Waiting for our reply"
    assert support.customer_ticket(ticket.id, customer.id).status == "open"


@pytest.mark.parametrize(("body", "message"), [
    ("", "Write your message."),
    (" \n ", "Write your message."),
    ("x" * (MAX_BODY + 1), f"Keep the message to {MAX_BODY} characters or fewer."),
])
def test_an_empty_or_long_reply_is_refused(client, customer, signed_in, body, message):
    ticket = _ask(customer)

    response = client.post(f"/support/{ticket.id}/reply", data={"body": body})

    assert response.status_code == 422
    assert message in texts(response.text, cls="field-error")
    assert len(support.customer_ticket(ticket.id, customer.id).messages) == 1


@pytest.mark.parametrize(("method", "path"), [
    ("get", "/support/{id}"), ("post", "/support/{id}/reply"),
])
def test_another_customers_ticket_is_not_found(client, signed_in, db_session, method, path):
    theirs = _ask(make_customer())

    response = getattr(client, method)(path.format(id=theirs.id), data={"body": "Hi"})

    assert response.status_code == 404
    assert len(support.staff_ticket(theirs.id).messages) == 1


@pytest.mark.parametrize("path", ["/support/999999", "/support/99999999999", "/support/x"])
def test_unknown_tickets_are_not_found(client, signed_in, db_session, path):
    assert client.get(path).status_code == 404


def test_asking_needs_the_forms_csrf_token(make_app, customer):
    c = make_app(WTF_CSRF_ENABLED=True).test_client()
    login_form = c.get("/account/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', login_form).group(1)
    c.post("/account/login", data={"email": customer.email, "password": PASSWORD,
                                   "csrf_token": token})

    refused = c.post("/support/new", data={"subject": "Hi", "body": "Forged"})
    form = c.get("/support/new").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"|'
                      r'name="csrf_token" value="([^"]+)"', form)
    accepted = c.post("/support/new", data={
        "subject": "Hi", "body": "Real", "order_number": "",
        "csrf_token": token.group(1) or token.group(2)})

    assert refused.status_code == 400
    assert accepted.status_code == 303
    [ticket], _ = support.customer_tickets(customer.id)
    assert ticket.messages[0].body == "Real"


def test_the_list_is_paged(client, customer, signed_in, db_session):
    for n in range(support.PER_PAGE + 1):
        _ask(customer, subject=f"Question {n}")

    one = client.get("/support").text
    two = client.get("/support?page=2").text
    beyond = client.get("/support?page=lots")

    assert len(find(one, cls="order-row")) == support.PER_PAGE
    assert "Page 1 of 2" in one
    assert texts(two, cls="order-row-number") == [
        f"#{support.customer_tickets(customer.id, page=2)[0][0].id} · Question 0"]
    assert beyond.status_code == 200
