"""Support services: opening a ticket, the status rules (customer -> open, staff reply ->
waiting, close, a customer's reply reopens), notes stay internal, who may do what, and the
audit log. Run on SQLite and on PostgreSQL (`--db`)."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from app import db
from app.audit.models import AuditEntry
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.support import services as support
from app.support.models import MAX_BODY, MAX_SUBJECT, TicketMessage
from tests.factories import make_customer, make_staff


def _ticket(customer, **overrides):
    data = {"subject": "Where is my parcel?", "body": "It has been a week. Call 0771234567."}
    data.update(overrides)
    return support.open_ticket(customer.id, **data)


def test_a_customer_opens_a_ticket_about_their_order(customer, order_of):
    order = order_of(customer)

    ticket = support.open_ticket(customer.id, subject="  Wrong   size  ",
                                 body="  I ordered L.  ", order_number=order.number)

    found = support.customer_ticket(ticket.id, customer.id)
    assert (found.subject, found.status, found.order_number) == (
        "Wrong size", "open", order.number)
    [message] = support.public_messages(found)
    assert (message.author_kind, message.body) == ("customer", "I ordered L.")


def test_the_message_is_sealed_in_the_database(customer):
    ticket = _ticket(customer)

    stored = db.session.execute(text(
        "SELECT body FROM support_message WHERE ticket_id = :t"), {"t": ticket.id}).scalar()

    assert "0771234567" not in stored and "week" not in stored


@pytest.mark.parametrize(("changes", "field"), [
    ({"subject": "   "}, "subject"),
    ({"subject": "x" * (MAX_SUBJECT + 1)}, "subject"),
    ({"body": "\n \n"}, "body"),
    ({"body": "x" * (MAX_BODY + 1)}, "body"),
    ({"order_number": "KD-2026-999999"}, "order_number"),
])
def test_bad_tickets_are_refused_on_their_field(customer, changes, field):
    with pytest.raises(Invalid) as refused:
        _ticket(customer, **changes)

    assert refused.value.field == field
    assert support.customer_tickets(customer.id) == ([], 0)


def test_another_customers_order_cannot_be_named(customer, order_of):
    someone_elses = order_of(make_customer())

    with pytest.raises(Invalid) as refused:
        _ticket(customer, order_number=someone_elses.number)

    assert refused.value.field == "order_number"


def test_the_limits_themselves_are_allowed(customer):
    ticket = _ticket(customer, subject="s" * MAX_SUBJECT, body="b" * MAX_BODY)

    assert len(ticket.subject) == MAX_SUBJECT


def test_a_customer_cannot_read_or_answer_another_customers_ticket(customer):
    ticket = _ticket(make_customer())

    with pytest.raises(NotFound):
        support.customer_ticket(ticket.id, customer.id)
    with pytest.raises(NotFound):
        support.customer_reply(ticket.id, customer.id, "Me too")
    with pytest.raises(NotFound):
        support.mark_read(ticket.id, customer.id)
    with pytest.raises(NotFound):
        support.customer_ticket(2**40, customer.id)


def test_the_status_follows_whose_turn_it_is(customer):
    agent = make_staff("support_agent")
    ticket = _ticket(customer)
    assert ticket.status == "open"

    support.staff_reply(ticket.id, "We are looking into it.", actor=agent)
    assert support.staff_ticket(ticket.id, actor=agent).status == "waiting"

    support.customer_reply(ticket.id, customer.id, "Thanks, any news?")
    assert support.staff_ticket(ticket.id, actor=agent).status == "open"

    support.close(ticket.id, actor=agent)
    closed = support.staff_ticket(ticket.id, actor=agent)
    assert closed.status == "closed" and closed.closed_at is not None

    support.customer_reply(ticket.id, customer.id, "It came broken, actually.")
    reopened = support.staff_ticket(ticket.id, actor=agent)
    assert reopened.status == "open" and reopened.closed_at is None


def test_staff_close_and_reopen_and_say_when_that_makes_no_sense(customer):
    agent = make_staff("support_agent")
    ticket = _ticket(customer)

    with pytest.raises(Conflict):
        support.reopen(ticket.id, actor=agent)
    support.close(ticket.id, actor=agent)
    with pytest.raises(Conflict):
        support.close(ticket.id, actor=agent)
    support.reopen(ticket.id, actor=agent)

    assert support.staff_ticket(ticket.id, actor=agent).status == "open"


def test_a_note_is_for_staff_only_and_changes_nothing(customer):
    agent = make_staff("support_agent")
    ticket = _ticket(customer)

    support.staff_reply(ticket.id, "Courier says Tuesday.", note=True, actor=agent)

    seen_by_customer = support.customer_ticket(ticket.id, customer.id)
    assert seen_by_customer.status == "open"
    assert [m.body for m in support.public_messages(seen_by_customer)] == [
        "It has been a week. Call 0771234567."]
    assert len(support.staff_ticket(ticket.id, actor=agent).messages) == 2


def test_replies_are_unread_until_the_customer_opens_the_thread(customer):
    agent = make_staff("support_agent")
    ticket = _ticket(customer)
    support.staff_reply(ticket.id, "One", actor=agent)
    support.staff_reply(ticket.id, "Two", actor=agent)
    support.staff_reply(ticket.id, "A note", note=True, actor=agent)

    assert support.unread_replies(support.customer_ticket(ticket.id, customer.id)) == 2
    assert support.mark_read(ticket.id, customer.id) == 2
    assert support.unread_replies(support.customer_ticket(ticket.id, customer.id)) == 0
    assert support.mark_read(ticket.id, customer.id) == 0


@pytest.mark.parametrize("role", ["catalog_manager", "order_manager", "marketing"])
def test_staff_without_the_support_permission_can_do_nothing(customer, role):
    someone = make_staff(role)
    ticket = _ticket(customer)

    for attempt in (lambda: support.staff_reply(ticket.id, "Hi", actor=someone),
                    lambda: support.staff_reply(ticket.id, "Hi", note=True, actor=someone),
                    lambda: support.staff_ticket(ticket.id, actor=someone),
                    lambda: support.staff_tickets(actor=someone),
                    lambda: support.close(ticket.id, actor=someone),
                    lambda: support.reopen(ticket.id, actor=someone)):
        with pytest.raises(Forbidden):
            attempt()

    assert support.staff_ticket(ticket.id, actor=None).messages[-1].author_kind == "customer"


def test_a_customer_account_is_not_staff(customer):
    other = make_customer()

    with pytest.raises(Forbidden):
        support.staff_tickets(actor=other)


def test_staff_replies_notes_and_closes_are_audited_without_their_text(customer):
    agent = make_staff("support_agent")
    ticket = _ticket(customer)

    support.staff_reply(ticket.id, "Secret-ish answer", actor=agent)
    support.staff_reply(ticket.id, "A note", note=True, actor=agent)
    support.close(ticket.id, actor=agent)
    support.reopen(ticket.id, actor=agent)

    entries = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    mine = [(e.action, e.actor_id, e.target_id) for e in entries
            if e.action.startswith("support.")]
    assert mine == [(action, agent.id, str(ticket.id)) for action in
                    ("support.reply", "support.note", "support.close", "support.reopen")]
    assert not any("Secret" in str(e.details) for e in entries)


def test_the_staff_list_filters_by_status_and_finds_by_number_or_subject(customer):
    agent = make_staff("admin")
    parcel = _ticket(customer, subject="Parcel late")
    refund = _ticket(customer, subject="Refund 100% please")
    support.close(refund.id, actor=agent)

    def numbers(**filters):
        found, total = support.staff_tickets(support.TicketFilter(**filters), actor=agent)
        assert total == len(found)
        return [t.id for t in found]

    assert numbers() == [refund.id, parcel.id]  # the latest activity first
    assert numbers(status="open") == [parcel.id]
    assert numbers(status="closed") == [refund.id]
    assert numbers(query="parcel") == [parcel.id]
    assert numbers(query=f"#{refund.id}") == [refund.id]
    assert numbers(query="100%") == [refund.id]  # "%" is a character, not a wildcard
    assert numbers(query="nothing like it") == []


def test_the_customer_list_is_latest_activity_first_and_paged(customer):
    agent = make_staff("support_agent")
    first = _ticket(customer, subject="First")
    second = _ticket(customer, subject="Second")
    _ticket(make_customer(), subject="Someone else's")

    support.staff_reply(first.id, "Answer", actor=agent)

    tickets, total = support.customer_tickets(customer.id)
    assert total == 2 and [t.id for t in tickets] == [first.id, second.id]
    page_two, _ = support.customer_tickets(customer.id, page=2, per_page=1)
    assert [t.id for t in page_two] == [second.id]


def test_messages_keep_their_order(customer):
    agent = make_staff("support_agent")
    ticket = _ticket(customer)
    support.staff_reply(ticket.id, "Answer", actor=agent)
    support.customer_reply(ticket.id, customer.id, "Follow-up")

    bodies = db.session.scalars(select(TicketMessage.body).where(
        TicketMessage.ticket_id == ticket.id).order_by(TicketMessage.id)).all()

    assert bodies == ["It has been a week. Call 0771234567.", "Answer", "Follow-up"]
