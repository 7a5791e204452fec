"""The customer's data rights and their support tickets: the copy of their data holds their
questions and the replies they read (never staff notes, never another customer's), on the
page download and in the API; erasure takes their words out of support and leaves the shop's
replies without them. Run on SQLite and on PostgreSQL (`--db`)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from app import db
from app.accounts import privacy
from app.accounts.errors import InvalidCredentials
from app.support import services as support
from app.support.models import Ticket, TicketMessage
from app.support.redaction import MARK
from tests.api.conftest import _rate_limits_as_configured, auth_headers, tokens  # noqa: F401
from tests.factories import PASSWORD, make_customer, make_staff

QUESTION = "My parcel has not come. I live at 12 Temple Road, Kandy. Call 0771234567."


@pytest.fixture()
def agent(db_session):
    return make_staff("support_agent")


@pytest.fixture()
def nimal(db_session):
    return make_customer(name="Nimal Perera", email="nimal@example.lk", phone="+94771234567")


def _thread(customer, agent):
    """A ticket: the customer's question, a reply quoting it, their answer, a staff note."""
    ticket = support.open_ticket(customer.id, subject="Parcel to Temple Road missing",
                                 body=QUESTION)
    support.staff_reply(ticket.id, "Dear Nimal,\n> I live at 12 Temple Road, Kandy.\n"
                        "We will call you on 077 123 4567 today. The courier has it.",
                        actor=agent)
    support.customer_reply(ticket.id, customer.id, "Thank you, my neighbour Sunil can sign.")
    support.staff_reply(ticket.id, "Courier says: my neighbour Sunil can sign. Noted.",
                        note=True, actor=agent)
    return ticket


# ---- the copy of my data ----------------------------------------------------------------------

def test_the_export_holds_my_tickets_with_replies_but_not_staff_notes(nimal, agent):
    ticket = _thread(nimal, agent)
    support.open_ticket(make_customer().id, subject="Someone else's", body="Not Nimal's.")

    data = privacy.export_data(nimal.id)

    [exported] = data["support_tickets"]
    assert (exported["number"], exported["subject"], exported["status"]) == (
        ticket.id, "Parcel to Temple Road missing", "open")
    assert [(m["author"], m["message"][:12]) for m in exported["messages"]] == [
        ("customer", QUESTION[:12]), ("staff", "Dear Nimal,\n"),
        ("customer", "Thank you, m")]
    assert exported["messages"][0]["at"].endswith("+00:00")
    assert "Courier says" not in str(data) and "Someone else" not in str(data)


def test_the_export_of_a_customer_without_tickets_says_so(nimal):
    assert privacy.export_data(nimal.id)["support_tickets"] == []


def test_the_downloaded_copy_holds_my_tickets(client, nimal, agent, login):
    _thread(nimal, agent)
    login(nimal)

    data = client.get("/account/export").get_json()

    assert data["support_tickets"][0]["messages"][0]["message"] == QUESTION
    assert "Courier says" not in str(data)


def test_the_api_copy_holds_my_tickets(client, customer, agent, auth_headers):  # noqa: F811
    ticket = _thread(customer, agent)

    response = client.get("/api/v1/me/export", headers=auth_headers)

    assert response.status_code == 200
    [exported] = response.get_json()["support_tickets"]
    assert exported["number"] == ticket.id
    assert [m["author"] for m in exported["messages"]] == ["customer", "staff", "customer"]
    assert exported["closed_at"] is None
    assert "Courier says" not in response.get_data(as_text=True)


# ---- erasure ----------------------------------------------------------------------------------

def _staff_view(ticket_id, agent):
    db.session.expire_all()
    return support.staff_ticket(ticket_id, actor=agent)


def test_erasure_removes_my_words_and_keeps_the_shops_replies_without_them(nimal, agent):
    ticket = _thread(nimal, agent)

    privacy.erase_account(nimal.id, password=PASSWORD)

    kept = _staff_view(ticket.id, agent)
    assert kept.subject == "" and kept.status == "closed" and kept.closed_at is not None
    assert [m.author_kind for m in kept.messages] == ["staff", "staff"]
    reply, note = (m.body for m in kept.messages)
    assert reply == (f"Dear {MARK},\n{MARK}\n"
                     f"We will call you on {MARK} today. The courier has it.")
    assert note == f"Courier says: {MARK} Noted."
    everything = " ".join(m.body for m in kept.messages)
    for theirs in ("Nimal", "Temple", "Kandy", "0771234567", "123 4567", "Sunil"):
        assert theirs not in everything


def test_erasure_leaves_no_customer_message_row_behind(nimal, agent):
    _thread(nimal, agent)

    privacy.erase_account(nimal.id, password=PASSWORD)

    customer_rows = db.session.execute(text(
        "SELECT count(*) FROM support_message WHERE author_kind = 'customer'")).scalar()
    assert customer_rows == 0


def test_a_ticket_nobody_answered_is_gone_and_a_reply_that_was_only_a_quote_too(nimal, agent):
    unanswered = support.open_ticket(nimal.id, subject="Hello", body="Is the shop open?")
    quoted = support.open_ticket(nimal.id, subject="Size", body="I need the blue one in L.")
    support.staff_reply(quoted.id, "> I need the blue one in L.", actor=agent)
    support.staff_reply(quoted.id, "Done, it is on its way.", actor=agent)

    privacy.erase_account(nimal.id, password=PASSWORD)

    db.session.expire_all()
    assert db.session.get(Ticket, unanswered.id) is None
    assert [m.body for m in _staff_view(quoted.id, agent).messages] == [
        "Done, it is on its way."]


def test_erasure_touches_nobody_elses_tickets(nimal, agent):
    _thread(nimal, agent)
    other = make_customer(name="Kamal Silva")
    theirs = support.open_ticket(other.id, subject="Parcel to Temple Road missing",
                                 body=QUESTION)
    support.staff_reply(theirs.id, "Dear Kamal, noted: 12 Temple Road, Kandy.", actor=agent)

    privacy.erase_account(nimal.id, password=PASSWORD)

    kept = _staff_view(theirs.id, agent)
    assert kept.subject == "Parcel to Temple Road missing" and kept.status == "waiting"
    assert [m.body for m in kept.messages] == [
        QUESTION, "Dear Kamal, noted: 12 Temple Road, Kandy."]


def test_a_wrong_password_erases_nothing_in_support(nimal, agent):
    ticket = _thread(nimal, agent)

    with pytest.raises(InvalidCredentials):
        privacy.erase_account(nimal.id, password="not the password")

    assert len(_staff_view(ticket.id, agent).messages) == 4
    assert support.customer_ticket(ticket.id, nimal.id).subject.startswith("Parcel")


def test_erasing_through_the_page_empties_my_tickets(client, nimal, agent, login):
    ticket = _thread(nimal, agent)
    login(nimal)

    response = client.post("/account/delete", data={"password": PASSWORD, "confirm": "y"})

    assert response.status_code == 303
    assert _staff_view(ticket.id, agent).subject == ""
    assert db.session.scalar(select(func.count()).select_from(TicketMessage)
                             .where(TicketMessage.author_kind == "customer")) == 0
