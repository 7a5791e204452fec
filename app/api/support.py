"""Routes of my support questions: /support/tickets, /support/tickets/{number} and
/support/tickets/{number}/messages. Another customer's ticket answers 404, as an unknown
number does, so numbers cannot be probed. Staff notes never leave the back office. Asking
and writing are rate limited per customer, one count with the web pages
(app.support.limits): past it, 429 with Retry-After.

The schemas live here: only these routes use them.
"""

from __future__ import annotations

from typing import Annotated, Literal

from flask_babel import force_locale
from pydantic import AfterValidator, BaseModel, Field, StringConstraints as Text
from pydantic_core import PydanticCustomError

from app.api.auth import auth, current_customer
from app.api.blueprint import bp
from app.api.checkout_schemas import OrderNumber
from app.api.languages import api_locale
from app.api.openapi import error_responses
from app.api.pagination import Page, PageQuery
from app.api.schemas import Body, Id, Output, Timestamp, _text
from app.extensions import limiter
from app.security import characters
from app.support import limits, services as support
from app.support.models import MAX_BODY, MAX_SUBJECT, STATUSES

# A message may run over several lines (and hold tabs); the characters no text may hold
# (app/security/characters.py) have no place in it.
_MESSAGE_CONTROLS = characters.MULTILINE_PATTERN_CLASS
MESSAGE_PATTERN = rf"^[^{_MESSAGE_CONTROLS}]*[^\s{_MESSAGE_CONTROLS}][^{_MESSAGE_CONTROLS}]*$"


def _message_characters(value: str) -> str:
    if characters.has_forbidden_characters(value, multiline=True):
        raise PydanticCustomError("text_characters", "text holds control characters")
    return value


Subject = _text(MAX_SUBJECT, examples=["Where is my parcel?"])
Message = Annotated[str, Text(strip_whitespace=True, min_length=1, max_length=MAX_BODY),
                    AfterValidator(_message_characters),
                    Field(description=f"Up to {MAX_BODY} characters; new lines are kept.",
                          json_schema_extra={"pattern": MESSAGE_PATTERN},
                          examples=["My order has not arrived yet. Can you check?"])]


class TicketPath(BaseModel):
    number: Id


class TicketIn(Body):
    subject: Subject
    message: Message
    order_number: OrderNumber | None = Field(
        None, description="One of my orders this question is about (optional).")


class MessageIn(Body):
    message: Message


class MessageOut(Output):
    id: int
    author: Literal["customer", "staff"] = Field(description="`customer` is me; `staff` is "
                                                            "the shop's reply.")
    message: str
    at: Timestamp


class TicketSummary(Output):
    number: int = Field(description="The ticket number, as in “question #42”.")
    subject: str
    status: Literal[STATUSES] = Field(description="`open`: the shop replies next; "
                                                  "`waiting`: the shop replied; `closed`.")
    status_label: str = Field(description="The status in the language of Accept-Language.")
    order_number: str | None
    created_at: Timestamp
    last_activity_at: Timestamp
    unread_replies: int = Field(description="Replies from the shop I have not read yet.")


class TicketOut(TicketSummary):
    """One of my questions with its conversation, oldest message first."""

    messages: list[MessageOut]


class TicketPage(Page[TicketSummary]):
    """One page of my questions, the latest activity first."""


def _summary_fields(ticket) -> dict:
    return {"number": ticket.id, "subject": ticket.subject, "status": ticket.status,
            "status_label": str(support.CUSTOMER_STATUS_LABELS[ticket.status]),
            "order_number": ticket.order_number, "created_at": ticket.created_at,
            "last_activity_at": ticket.last_activity_at,
            "unread_replies": support.unread_replies(ticket)}


def _ticket_out(ticket) -> TicketOut:
    with force_locale(api_locale()):
        return TicketOut(**_summary_fields(ticket), messages=[
            MessageOut(id=m.id, author=m.author_kind, message=m.body, at=m.created_at)
            for m in support.public_messages(ticket)])


_NOT_MINE = {404: "No question of mine has this number (also: another customer's)."}


def _this_customer() -> str:
    return limits.customer_key(current_customer().id)


@bp.get("/support/tickets")
@bp.auth_required(auth)
@bp.input(PageQuery, location="query", arg_name="query")
@bp.output(TicketPage)
@bp.doc(tags=["Support"], responses=error_responses(401, 422))
def list_tickets(query: PageQuery):
    """My questions

    The latest activity first. `unread_replies` counts the shop's replies I have not opened.
    """
    found, total = support.customer_tickets(current_customer().id, page=query.page,
                                            per_page=query.per_page)
    with force_locale(api_locale()):
        return TicketPage(items=[TicketSummary(**_summary_fields(t)) for t in found],
                          page=query.page, per_page=query.per_page, total=total)


@bp.post("/support/tickets")
@bp.auth_required(auth)
@limiter.shared_limit(limits.OPEN_LIMIT, limits.OPEN_SCOPE, key_func=_this_customer)
@bp.input(TicketIn, arg_name="body")
@bp.output(TicketOut, status_code=201, description="The new question.")
@bp.doc(tags=["Support"], responses=error_responses(400, 401, 422, 429, when={
    422: "A field is wrong, or `order_number` is not one of my orders: see errors.",
    429: f"Too many new questions ({limits.OPEN_LIMIT}, with the web pages): wait "
         "`Retry-After` seconds."}))
def open_ticket(body: TicketIn):
    """Ask a question

    About one of my orders (`order_number`) or not. The shop replies in the conversation
    and tells me by email (and SMS, if I want SMS updates). New questions are limited per
    hour, here and on the web together (429).
    """
    ticket = support.open_ticket(current_customer().id, subject=body.subject,
                                 body=body.message, order_number=body.order_number)
    return _ticket_out(support.customer_ticket(ticket.id, current_customer().id))


@bp.get("/support/tickets/<int:number>")
@bp.auth_required(auth)
@bp.input(TicketPath, location="path", arg_name="path")
@bp.output(TicketOut)
@bp.doc(tags=["Support"], responses=error_responses(401, 404, 422, when=_NOT_MINE))
def get_ticket(number: int, path: TicketPath):
    """One of my questions, with the conversation

    Opening it marks the shop's replies read, as the web page does.
    """
    customer_id = current_customer().id
    ticket = support.customer_ticket(path.number, customer_id)
    if support.unread_replies(ticket):  # a write only when there is something to mark
        support.mark_read(ticket.id, customer_id)
        ticket = support.customer_ticket(ticket.id, customer_id)
    return _ticket_out(ticket)


@bp.post("/support/tickets/<int:number>/messages")
@bp.auth_required(auth)
@limiter.shared_limit(limits.REPLY_LIMIT, limits.REPLY_SCOPE, key_func=_this_customer)
@bp.input(TicketPath, location="path", arg_name="path")
@bp.input(MessageIn, arg_name="body")
@bp.output(TicketOut, status_code=201, description="The question with my message added.")
@bp.doc(tags=["Support"], responses=error_responses(400, 401, 404, 422, 429, when={
    **_NOT_MINE,
    429: f"Too many messages ({limits.REPLY_LIMIT} over all my questions, with the web "
         "pages): wait `Retry-After` seconds."}))
def add_message(number: int, path: TicketPath, body: MessageIn):
    """Write again in one of my questions

    The question is `open` again (a closed one reopens): the shop replies next. Messages
    are limited per hour over all my questions, here and on the web together (429).
    """
    customer_id = current_customer().id
    support.customer_reply(path.number, customer_id, body.message)
    return _ticket_out(support.customer_ticket(path.number, customer_id))
