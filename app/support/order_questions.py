"""A guest's question about their order, on the order's page (the link in their mail): the
thread so far and the form to ask. Support owns it and adds it to the orders blueprint and to
the guest order page's panels when the app is built (app/__init__.py), so orders never import
support (support checks orders, so the other way round would be a cycle)."""

from __future__ import annotations

from flask import flash, request
from flask_babel import gettext as _

from app.errors import DomainError
from app.extensions import limiter
from app.orders.views import bp, detail_page, guest_order_of, guest_page_panels, page_links
from app.support import limits as support_limits, services as support
from app.support.forms import GuestQuestionForm
from app.web import put_error, redirect_to


def questions_panel(order) -> dict:
    """The page's question thread; opening it marks the shop's replies read."""
    question = support.guest_ticket(order.number)
    if question is not None and support.unread_replies(question):
        support.guest_mark_read(question)  # a write only when there is something to mark
    return {"question": question,
            "question_messages": support.public_messages(question) if question else [],
            "question_form": GuestQuestionForm(formdata=None)}


guest_page_panels.append(questions_panel)


def _asking_order() -> str:
    return support_limits.guest_order_key(request.view_args.get("number", "")[:24])


@bp.post("/orders/<number>/ask")
@limiter.limit(support_limits.GUEST_CLIENT_LIMIT)
@limiter.shared_limit(support_limits.GUEST_LIMIT, support_limits.GUEST_SCOPE,
                      key_func=_asking_order)
def guest_ask(number: str):
    """A guest's question about their order, from its page: a support ticket tied to the
    order; the reply comes by mail and SMS and shows on this page."""
    order, token = guest_order_of(number)  # a wrong, stale or other order's link: 404
    form = GuestQuestionForm()
    if form.validate():
        try:
            support.guest_ask(order.number, form.body.data)
        except DomainError as exc:
            put_error(form, exc, "body")
        else:
            flash(_("Thank you. We have your question and will reply by email and SMS."))
            return redirect_to(page_links(order, token)["self"] + "#questions")
    return detail_page(order, token, question_form=form, status=422)
