"""Support tickets: a customer asks, staff answer, and the ticket's status says whose turn it
is.

Status rules, all here: a customer's message makes the ticket `open` (their first one, a
reply, and a reply to a closed ticket, which reopens it); a staff public reply makes it
`waiting` (on the customer) and tells the customer by mail and SMS in the same transaction;
a staff note changes nothing and tells no one; staff close and reopen. Customers reach only
their own tickets: another's is NotFound, never Forbidden, so numbers cannot be probed.
Staff actions need MANAGE_SUPPORT and are written to the audit log (without the text, which
may hold personal data).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import selectinload

from app import db
from app.accounts import services as accounts
from app.audit import services as audit
from app.db import transaction, utcnow
from app.errors import Conflict, Invalid, NotFound
from app.events import services as events
from app.links import external_url
from app.notifications import services as notifications
from app.orders import services as orders
from app.security.roles import Permission, require
from app.support import redaction
from app.support.models import MAX_BODY, MAX_SUBJECT, STATUSES, Ticket, TicketMessage

log = logging.getLogger(__name__)

# What staff read: whose turn it is.
STATUS_LABELS = {
    "open": _l("Open"),
    "waiting": _l("Waiting on customer"),
    "closed": _l("Closed"),
}
# What the customer reads: the same states from their side of the counter.
CUSTOMER_STATUS_LABELS = {
    "open": _l("Waiting for our reply"),
    "waiting": _l("Answered"),
    "closed": _l("Closed"),
}
PER_PAGE = 20
MAX_PAGE = 100_000
# How many tickets, the latest activity first, a search by subject looks through: subjects
# are sealed, so they are opened and compared in Python (measured on SQLite, 2 shared cores:
# 45 ms for 5,000 tickets, 60 ms when all 5,000 match).
SUBJECT_SEARCH_WINDOW = 5_000


# ---- checking what people wrote ---------------------------------------------------------------

def _clean_subject(subject: str | None) -> str:
    subject = " ".join((subject or "").split())  # one line: it is a title and a search key
    if not subject:
        raise Invalid(_l("Write a subject."), field="subject")
    if len(subject) > MAX_SUBJECT:
        raise Invalid(_l("Keep the subject to %(n)d characters or fewer.", n=MAX_SUBJECT),
                      field="subject")
    return subject


def _clean_body(body: str | None) -> str:
    body = (body or "").strip()
    if not body:
        raise Invalid(_l("Write your message."), field="body")
    if len(body) > MAX_BODY:
        raise Invalid(_l("Keep the message to %(n)d characters or fewer.", n=MAX_BODY),
                      field="body")
    return body


def _touch(ticket: Ticket, status: str | None = None) -> None:
    now = utcnow()
    if status:
        ticket.status = status
        ticket.closed_at = now if status == "closed" else None
    ticket.last_activity_at = now


def _opened(ticket: Ticket) -> None:
    events.publish("ticket.opened", key=f"ticket:{ticket.id}", ticket_id=ticket.id,
                   user_id=ticket.user_id, order_number=ticket.order_number)


# ---- customers ----------------------------------------------------------------------------------

def open_ticket(user_id: int, *, subject: str, body: str,
                order_number: str | None = None) -> Ticket:
    """A customer asks a question, about one of their orders or not. Raises Invalid (on
    `subject`, `body` or `order_number`: an order that is not theirs is not offered)."""
    subject, body = _clean_subject(subject), _clean_body(body)
    order_number = (order_number or "").strip() or None
    if order_number:
        try:
            orders.customer_order(order_number, user_id)
        except NotFound:
            raise Invalid(_l("Choose one of your orders."), field="order_number") from None
    with transaction():
        ticket = Ticket(user_id=user_id, subject=subject, order_number=order_number,
                        status="open")
        ticket.messages.append(TicketMessage(author_kind="customer", author_id=user_id,
                                             body=body))
        db.session.add(ticket)
        db.session.flush()
        _opened(ticket)
    log.info("support_ticket_opened", extra={"ticket_id": ticket.id})
    return ticket


def customer_tickets(user_id: int, *, page: int = 1,
                     per_page: int = PER_PAGE) -> tuple[list[Ticket], int]:
    """A customer's tickets, the latest activity first, and how many there are."""
    base = select(Ticket).where(Ticket.user_id == user_id)
    total = db.session.scalar(select(func.count()).select_from(base.subquery()))
    page, per_page = max(1, min(page, MAX_PAGE)), max(1, min(per_page, 100))
    tickets = list(db.session.scalars(
        base.order_by(Ticket.last_activity_at.desc(), Ticket.id.desc())
        .limit(per_page).offset((page - 1) * per_page)
        .options(selectinload(Ticket.messages))))
    return tickets, total


def customer_ticket(ticket_id: int, user_id: int) -> Ticket:
    """One of the customer's tickets. Raises NotFound for anyone else's."""
    ticket = _find(ticket_id)
    if ticket is None or ticket.user_id != user_id:
        raise NotFound()
    return ticket


def public_messages(ticket: Ticket) -> list[TicketMessage]:
    """The thread as the customer sees it: everything but staff notes, oldest first."""
    return [message for message in ticket.messages if not message.is_note]


def unread_replies(ticket: Ticket) -> int:
    """Staff replies the customer has not opened yet."""
    return sum(1 for m in public_messages(ticket) if m.author_kind == "staff" and not m.read_at)


def mark_read(ticket_id: int, user_id: int) -> int:
    """The customer opened the thread: their unread staff replies are read now. Returns how
    many changed. Raises NotFound for anyone else's ticket."""
    with transaction():
        customer_ticket(ticket_id, user_id)
        now = utcnow()
        changed = db.session.execute(
            update(TicketMessage)
            .where(TicketMessage.ticket_id == ticket_id, TicketMessage.author_kind == "staff",
                   TicketMessage.is_note.is_(False), TicketMessage.read_at.is_(None))
            .values(read_at=now).execution_options(synchronize_session=False)).rowcount
    return changed


def customer_reply(ticket_id: int, user_id: int, body: str) -> TicketMessage:
    """The customer writes again; the ticket is open (a closed one reopens). Raises NotFound
    for anyone else's ticket, Invalid for an empty or long message."""
    body = _clean_body(body)
    with transaction():
        ticket = customer_ticket(ticket_id, user_id)
        message = TicketMessage(author_kind="customer", author_id=user_id, body=body)
        ticket.messages.append(message)
        _touch(ticket, "open")
        db.session.flush()
    log.info("support_customer_replied", extra={"ticket_id": ticket_id})
    return message


# ---- guests, from their order's page -----------------------------------------------------------

def guest_ticket(order_number: str) -> Ticket | None:
    """The question a guest asked from this order's page (one thread per order), if any.
    The caller has checked the order link (orders.guest_order)."""
    return db.session.scalar(
        select(Ticket).where(Ticket.order_number == order_number, Ticket.user_id.is_(None))
        .order_by(Ticket.id).limit(1).options(selectinload(Ticket.messages))
        .execution_options(populate_existing=True))


def guest_ask(order_number: str, body: str) -> Ticket:
    """A guest asks about their order from its page (the caller has checked the link):
    the order's thread gets the message and is open again, or the thread starts. Staff
    replies reach the guest at the order's email and phone. Raises Invalid for an empty or
    long message."""
    body = _clean_body(body)
    with transaction():
        ticket = guest_ticket(order_number)
        if ticket is None:
            # In English whatever the guest's language: staff read and search it.
            ticket = Ticket(user_id=None, order_number=order_number, status="open",
                            subject=f"Question about order {order_number}"[:MAX_SUBJECT])
            db.session.add(ticket)
        else:
            _touch(ticket, "open")
        ticket.messages.append(TicketMessage(author_kind="customer", author_id=None,
                                             body=body))
        db.session.flush()
        if len(ticket.messages) == 1:
            _opened(ticket)
    log.info("support_guest_asked", extra={"ticket_id": ticket.id})
    return ticket


def guest_mark_read(ticket: Ticket) -> None:
    """The guest opened their order's page: the staff replies on it are read."""
    with transaction():
        db.session.execute(
            update(TicketMessage)
            .where(TicketMessage.ticket_id == ticket.id, TicketMessage.author_kind == "staff",
                   TicketMessage.is_note.is_(False), TicketMessage.read_at.is_(None))
            .values(read_at=utcnow()).execution_options(synchronize_session=False))


# ---- staff ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TicketFilter:
    status: str | None = None
    query: str | None = None  # a ticket number ("42", "#42") or part of the subject


def _filtered(filters: TicketFilter):
    query = select(Ticket)
    if filters.status in STATUSES:
        query = query.where(Ticket.status == filters.status)
    text = " ".join((filters.query or "").split())[:MAX_SUBJECT]
    if text:
        in_subject = Ticket.id.in_(_subject_matches(query, text))
        number = text.removeprefix("#").strip()
        if number.isascii() and number.isdigit() and len(number) <= 9:
            query = query.where(or_(Ticket.id == int(number), in_subject))
        else:
            query = query.where(in_subject)
    return query


def _subject_matches(query, text: str) -> list[int]:
    """Ids of the tickets in `query` whose subject holds `text`, whatever its case.
    Subjects are sealed, so the database cannot compare them: the subjects of the
    SUBJECT_SEARCH_WINDOW most recently active tickets are opened and compared here."""
    needle = text.casefold()
    rows = db.session.execute(
        query.with_only_columns(Ticket.id, Ticket.subject)
        .order_by(Ticket.last_activity_at.desc(), Ticket.id.desc())
        .limit(SUBJECT_SEARCH_WINDOW))
    return [ticket_id for ticket_id, subject in rows
            if needle in " ".join((subject or "").split()).casefold()]


def staff_tickets(filters: TicketFilter = TicketFilter(), *, page: int = 1,
                  per_page: int = 50, actor=None) -> tuple[list[Ticket], int]:
    """Tickets matching the filters, the latest activity first, and how many match."""
    require(actor, Permission.MANAGE_SUPPORT)
    query = _filtered(filters)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    page = max(1, min(page, MAX_PAGE))
    return list(db.session.scalars(
        query.order_by(Ticket.last_activity_at.desc(), Ticket.id.desc())
        .limit(per_page).offset((page - 1) * per_page))), total


def staff_ticket(ticket_id: int, *, actor=None) -> Ticket:
    """One ticket with its whole thread, notes included. Raises Forbidden, NotFound."""
    require(actor, Permission.MANAGE_SUPPORT)
    return _existing(ticket_id)


def staff_reply(ticket_id: int, body: str, *, note: bool = False, actor=None) -> TicketMessage:
    """A staff member answers the customer (`note` False: the ticket waits on the customer,
    who hears of it by mail and SMS in their language) or leaves a note for colleagues
    (`note` True: nothing changes for the customer). Raises Forbidden, NotFound, Invalid."""
    require(actor, Permission.MANAGE_SUPPORT)
    body = _clean_body(body)
    actor_id = actor.id if actor else None
    with transaction():
        ticket = _existing(ticket_id)
        message = TicketMessage(author_kind="staff", author_id=actor_id, body=body,
                                is_note=note)
        ticket.messages.append(message)
        if not note:
            _touch(ticket, "waiting")
        db.session.flush()
        if not note:
            _tell_customer(ticket, message)
        audit.record("support.note" if note else "support.reply", actor_id=actor_id,
                     target_type="support_ticket", target_id=ticket.id, message_id=message.id)
    return message


def _tell_customer(ticket: Ticket, message: TicketMessage) -> None:
    """Queue the reply mail and SMS (inside the reply's transaction), in the customer's
    stored language. An erased account has no address left to write to. A guest hears at
    their order's email and phone, in the order's language, with the order's link: the
    thread is on the order's page."""
    if ticket.user_id is None:
        order = orders.find_by_number(ticket.order_number or "")
        if order is None or order.user_id is not None:
            return
        notifications.notify(
            "support_reply", email=order.contact_email, phone=order.contact_phone,
            locale=order.locale, user_id=None, dedupe_key=f"support-reply:{message.id}",
            purpose="transactional", number=ticket.id, subject=ticket.subject,
            reply=message.body, name=order.contact_name,
            link=orders.order_link(order) + "#questions")
        return
    try:
        customer = accounts.get_user(ticket.user_id)
    except NotFound:
        return
    notifications.notify(
        "support_reply", email=customer.email, phone=customer.phone, locale=customer.locale,
        user_id=customer.id, dedupe_key=f"support-reply:{message.id}",
        purpose="transactional", number=ticket.id, subject=ticket.subject,
        reply=message.body, name=customer.name,
        link=external_url("support.ticket_detail", ticket_id=ticket.id))


def close(ticket_id: int, *, actor=None) -> Ticket:
    """Raises Forbidden, NotFound, Conflict (already closed)."""
    require(actor, Permission.MANAGE_SUPPORT)
    with transaction():
        ticket = _existing(ticket_id)
        if ticket.status == "closed":
            raise Conflict(_l("This ticket is already closed."), field="status")
        _touch(ticket, "closed")
        audit.record("support.close", actor_id=actor.id if actor else None,
                     target_type="support_ticket", target_id=ticket.id)
    return ticket


def reopen(ticket_id: int, *, actor=None) -> Ticket:
    """A closed ticket is open again (staff owe the next step). Raises Forbidden, NotFound,
    Conflict (not closed)."""
    require(actor, Permission.MANAGE_SUPPORT)
    with transaction():
        ticket = _existing(ticket_id)
        if ticket.status != "closed":
            raise Conflict(_l("Only a closed ticket can be reopened."), field="status")
        _touch(ticket, "open")
        audit.record("support.reopen", actor_id=actor.id if actor else None,
                     target_type="support_ticket", target_id=ticket.id)
    return ticket


# ---- the customer's data rights (Personal Data Protection Act) ---------------------------------

def export_for(user_id: int) -> list[dict]:
    """The customer's tickets for the copy of their data, as JSON-ready values: each with the
    conversation they can read, oldest message first. Staff notes are the shop's working
    papers, which the customer never sees, so they are left out here too."""
    tickets = db.session.scalars(
        select(Ticket).where(Ticket.user_id == user_id).order_by(Ticket.id)
        .options(selectinload(Ticket.messages)))
    return [{
        "number": ticket.id,
        "subject": ticket.subject,
        "status": ticket.status,
        "order_number": ticket.order_number,
        "created_at": ticket.created_at.isoformat(),
        "closed_at": ticket.closed_at.isoformat() if ticket.closed_at else None,
        "messages": [{"author": m.author_kind, "message": m.body,
                      "at": m.created_at.isoformat()} for m in public_messages(ticket)],
    } for ticket in tickets]


def erase_for(user_id: int, *, names: Iterable[str | None] = (),
              contacts: Iterable[str | None] = ()) -> None:
    """Take the customer's words out of support, for the erasure of their account (call it
    before the account's own fields are emptied, passing their `names` and `contacts`: e-mail,
    phone).

    Their messages are deleted and their subjects emptied. The shop's side stays, as its
    record of what it told them about orders the law keeps, but without the customer in it:
    in every staff reply and note, quoted lines, the customer's sentences, numbers and
    e-mail addresses, and their name become a mark (app.support.redaction). A staff message
    left with nothing else is deleted, and so is a ticket left with no message. Tickets
    still open are closed: nobody is left to answer."""
    with transaction():
        tickets = list(db.session.scalars(
            select(Ticket).where(Ticket.user_id == user_id).order_by(Ticket.id)
            .options(selectinload(Ticket.messages))))
        theirs = [ticket.subject for ticket in tickets] + [
            m.body for ticket in tickets for m in ticket.messages if m.author_kind == "customer"]
        scrub = redaction.scrubber(redaction.patterns_for([*theirs, *contacts], names=names))
        for ticket in tickets:
            for message in list(ticket.messages):
                if message.author_kind != "customer":
                    message.body = scrub(message.body)
                if message.author_kind == "customer" or not message.body:
                    ticket.messages.remove(message)  # delete-orphan: the row goes
            if not ticket.messages:
                db.session.delete(ticket)
                continue
            ticket.subject = ""
            if ticket.status != "closed":
                _touch(ticket, "closed")
    log.info("support_erased", extra={"user_id": user_id, "tickets": len(tickets)})


# ---- finding ------------------------------------------------------------------------------------

def _find(ticket_id: int) -> Ticket | None:
    if not isinstance(ticket_id, int) or not 0 < ticket_id < 2**31:
        return None
    return db.session.scalar(select(Ticket).where(Ticket.id == ticket_id)
                             .options(selectinload(Ticket.messages))
                             .execution_options(populate_existing=True))


def _existing(ticket_id: int) -> Ticket:
    ticket = _find(ticket_id)
    if ticket is None:
        raise NotFound()
    return ticket
