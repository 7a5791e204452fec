"""Support in the back office: who gets in, the list (status filter, search by number or
subject, pages, htmx fragment), a ticket's page (customer, order, thread with notes), public
replies, internal notes, close and reopen, and a CSRF-protected form."""

from __future__ import annotations

import re

import pytest

from app.support import services as support
from app.support.models import MAX_BODY
from tests.catalog.pages import find, text, texts
from tests.factories import make_customer, make_staff

TICKET_PAGES = ["/staff/support", "/staff/support/{id}"]
WRITES = ["/staff/support/{id}/reply", "/staff/support/{id}/close",
          "/staff/support/{id}/reopen"]


def _ask(customer, subject="Where is my parcel?", body="It has been a week.", **more):
    return support.open_ticket(customer.id, subject=subject, body=body, **more)


@pytest.fixture()
def ticket(customer):
    return _ask(customer)


def _words(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# ---- who gets in -----------------------------------------------------------------------------

@pytest.mark.parametrize("path", TICKET_PAGES)
def test_people_not_signed_in_as_staff_go_to_the_staff_sign_in(client, ticket, path,
                                                               customer, login):
    anonymous = client.get(path.format(id=ticket.id))
    login(customer)
    as_customer = client.get(path.format(id=ticket.id))

    for response in (anonymous, as_customer):
        assert response.status_code == 303
        assert "/staff/login" in response.headers["Location"]


@pytest.mark.parametrize("path", TICKET_PAGES + WRITES)
def test_a_catalog_manager_is_refused(client, ticket, sign_in_staff, path):
    sign_in_staff(make_staff("catalog_manager"))

    response = (client.get if path in TICKET_PAGES else client.post)(
        path.format(id=ticket.id), data={"body": "Hi"})

    assert response.status_code == 403
    assert len(support.staff_ticket(ticket.id).messages) == 1


def test_the_menu_shows_support_to_agents_and_admins_only(client, sign_in_staff, db_session):
    def menu(role):
        c = sign_in_staff(make_staff(role), c=client.application.test_client())
        return texts(c.get("/staff/").text, tag="a")

    assert "Support" in menu("support_agent")
    assert "Support" in menu("admin")
    assert "Support" not in menu("catalog_manager")


# ---- the list --------------------------------------------------------------------------------

def test_the_list_shows_tickets_with_their_customer_and_status(agent_client, customer,
                                                               order_of, agent):
    order = order_of(customer)
    about_order = _ask(customer, subject="Wrong size", order_number=order.number)
    answered = _ask(make_customer(name="Kamal"), subject="Gift wrap?")
    support.staff_reply(answered.id, "Yes", actor=agent)

    html = agent_client.get("/staff/support").text

    rows = [" ".join(_words(str(r)).split()) for r in re.findall(r"<tr>.*?</tr>", html, re.S)]
    assert len(rows) == 3  # the head and two tickets, the latest activity first
    assert f"#{answered.id}" in rows[1] and "Kamal" in rows[1] and "Waiting on customer" in rows[1]
    assert f"#{about_order.id}" in rows[2] and order.number in rows[2] and "Open" in rows[2]
    assert "2 tickets" in texts(html, role="status")


def test_the_list_filters_by_status_and_searches_number_and_subject(agent_client, customer,
                                                                    agent):
    parcel = _ask(customer, subject="Parcel late")
    refund = _ask(customer, subject="Refund please")
    support.close(refund.id, actor=agent)

    def found(query):
        html = agent_client.get(f"/staff/support?{query}").text
        return [int(n) for n in re.findall(r'href="/staff/support/(\d+)">#', html)]

    assert found("status=open") == [parcel.id]
    assert found("status=closed") == [refund.id]
    assert found("status=waiting") == []
    assert found("q=PARCEL") == [parcel.id]
    assert found(f"q=%23{refund.id}") == [refund.id]
    assert found(f"q={refund.id}&status=open") == []
    assert "No tickets match these filters." in agent_client.get("/staff/support?q=zzz").text


def test_bad_filters_are_refused_with_422(agent_client, db_session):
    response = agent_client.get("/staff/support?status=lost")

    assert response.status_code == 422
    assert "Fix the filters above" in response.text


def test_the_list_is_paged_with_the_filters_kept(agent_client, customer, agent):
    from app.backoffice.support import PER_PAGE

    for n in range(PER_PAGE + 1):
        _ask(customer, subject=f"Question {n}")

    one = agent_client.get("/staff/support?status=open").text
    two = agent_client.get("/staff/support?status=open&page=2").text

    assert "Page 1 of 2" in one
    assert find(one, tag="a", rel="next")[0]["attrs"]["href"] == \
        "/staff/support?page=2&status=open"
    assert len(re.findall(r'">#\d+</a>', two)) == 1


def test_htmx_gets_only_the_results(agent_client, ticket):
    response = agent_client.get("/staff/support?q=parcel", headers={"HX-Request": "true"})

    assert '<section id="support-results"' in response.text
    assert "<html" not in response.text
    assert "HX-Request" in response.headers["Vary"]


# ---- one ticket ------------------------------------------------------------------------------

def test_a_ticket_page_shows_the_customer_their_order_and_the_whole_thread(
        client, sign_in_staff, customer, order_of):
    order = order_of(customer)
    ticket = _ask(customer, subject="Wrong size", body="<b>L</b> please",
                  order_number=order.number)
    agent = make_staff("support_agent")
    support.staff_reply(ticket.id, "Checking the stock.", note=True, actor=agent)

    as_agent = sign_in_staff(agent).get(f"/staff/support/{ticket.id}").text
    as_admin = sign_in_staff(make_staff("admin"), c=client.application.test_client()).get(
        f"/staff/support/{ticket.id}").text

    words = _words(as_agent)
    assert customer.name in words and customer.email in words
    assert texts(as_agent, cls="timeline-note") == ["<b>L</b> please", "Checking the stock."]
    assert "&lt;b&gt;L&lt;/b&gt;" in as_agent
    assert "internal note" in words and agent.name in words
    # An agent may not open orders: the number is shown, not linked; an admin gets the link.
    assert order.number in words
    assert not find(as_agent, tag="a", href=f"/staff/orders/{order.number}")
    assert find(as_admin, tag="a", href=f"/staff/orders/{order.number}")


def test_a_public_reply_waits_on_the_customer_and_mails_them(agent_client, customer, ticket,
                                                             outbox):
    response = agent_client.post(f"/staff/support/{ticket.id}/reply",
                                 data={"body": "It arrives tomorrow."})

    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/staff/support/{ticket.id}#latest")
    page = agent_client.get(response.headers["Location"]).text
    assert "Reply sent. The customer is told by email and, where they take texts, by SMS." in page
    assert text(page, id="ticket-status") == "Waiting on customer"
    [mail] = outbox.to(customer.email, "support-reply")
    assert "It arrives tomorrow." in outbox.text(mail)


def test_an_internal_note_changes_nothing_for_the_customer(agent_client, customer, ticket,
                                                           outbox):
    response = agent_client.post(f"/staff/support/{ticket.id}/reply",
                                 data={"body": "Called the courier.", "note": "y"})

    assert response.status_code == 303
    page = agent_client.get(f"/staff/support/{ticket.id}").text
    assert "Note added." in page
    assert text(page, id="ticket-status") == "Open"
    assert outbox.to(customer.email, "support-reply") == []
    assert [m.body for m in support.public_messages(
        support.customer_ticket(ticket.id, customer.id))] == ["It has been a week."]


@pytest.mark.parametrize(("body", "message"), [
    ("", "Write your message."),
    ("   ", "Write your message."),
    ("x" * (MAX_BODY + 1), f"Keep the message to {MAX_BODY} characters or fewer."),
])
def test_an_empty_or_long_reply_is_shown_again(agent_client, ticket, body, message):
    response = agent_client.post(f"/staff/support/{ticket.id}/reply", data={"body": body})

    assert response.status_code == 422
    assert message in texts(response.text, cls="field-error")
    assert len(support.staff_ticket(ticket.id).messages) == 1


def test_close_and_reopen(agent_client, ticket):
    closed = agent_client.post(f"/staff/support/{ticket.id}/close")
    closed_page = agent_client.get(f"/staff/support/{ticket.id}").text
    again = agent_client.post(f"/staff/support/{ticket.id}/close")
    again_page = agent_client.get(f"/staff/support/{ticket.id}").text
    reopened = agent_client.post(f"/staff/support/{ticket.id}/reopen")

    assert closed.status_code == again.status_code == reopened.status_code == 303
    assert text(closed_page, id="ticket-status") == "Closed"
    assert "Reopen ticket" in closed_page and "Ticket closed." in closed_page
    assert "This ticket is already closed." in again_page
    assert support.staff_ticket(ticket.id).status == "open"


@pytest.mark.parametrize("path", ["/staff/support/999999"] + WRITES)
def test_an_unknown_ticket_is_not_found(agent_client, db_session, path):
    method = agent_client.get if "{id}" not in path else agent_client.post
    response = method(path.format(id=999999), data={"body": "Hi"})

    assert response.status_code == 404


def test_a_reply_needs_the_forms_csrf_token(make_app, sign_in_staff, customer):
    from tests.backoffice.conftest import current_code
    from tests.factories import PASSWORD

    ticket = _ask(customer)
    agent = make_staff("support_agent")
    c = make_app(WTF_CSRF_ENABLED=True).test_client()

    def token(html):
        return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1)

    c.post("/staff/login", data={"email": agent.email, "password": PASSWORD,
                                 "csrf_token": token(c.get("/staff/login").text)})
    c.post("/staff/login/code", data={"code": current_code(agent.totp_secret),
                                      "csrf_token": token(c.get("/staff/login/code").text)})
    page = c.get(f"/staff/support/{ticket.id}")
    assert page.status_code == 200

    forged = c.post(f"/staff/support/{ticket.id}/reply", data={"body": "Forged"})
    real = c.post(f"/staff/support/{ticket.id}/reply",
                  data={"body": "Real", "csrf_token": token(page.text)})

    assert forged.status_code == 400
    assert real.status_code == 303
    assert [m.body for m in support.staff_ticket(ticket.id).messages] == [
        "It has been a week.", "Real"]


def test_an_erased_customers_ticket_says_so_instead_of_an_empty_heading(agent_client, agent):
    from app.accounts import privacy
    from tests.factories import PASSWORD

    customer = make_customer()
    ticket = support.open_ticket(customer.id, subject="Where is my parcel",
                                 body="It has not come.")
    support.staff_reply(ticket.id, "The courier has it.", actor=agent)
    privacy.erase_account(customer.id, password=PASSWORD)

    html = agent_client.get(f"/staff/support/{ticket.id}").get_data(as_text=True)

    assert "Subject erased with the account" in html
    assert "Erased account" in html and "Where is my parcel" not in html
