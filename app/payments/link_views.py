"""The payment link's page, `/pay/<code>`, for the customer's own phone, with no account
(app.payments.links): the shop, the order's number, lines and total, and "Pay Rs X with
PayHere" (the checkout's hosted-checkout form). A paid order says so; a cancelled one says
how to reach the shop; an expired link offers "Send me a new link", which goes to the
order's own phone and email only. A code we did not make is the 404 page.

The code is a key to paying the order (the form names the customer for PayHere), so the
page is never cached and sends no Referer.
"""

from __future__ import annotations

from flask import Blueprint, flash, request, session, url_for
from flask_babel import gettext as _, refresh

from app.errors import DomainError, Invalid
from app.extensions import limiter
from app.forms import Form
from app.i18n import LANGUAGES
from app.payments import checkout_flow, links
from app.web import redirect_to, render

bp = Blueprint("payment_links", __name__)

# Asking for a new link: per client, and per order whoever asks (a customer's phone is not
# flooded from many addresses). Each new link costs an SMS.
NEW_LINK_LIMIT = "5 per 15 minutes; 20 per day"
NEW_LINK_PER_ORDER_LIMIT = "3 per hour"
# A code is 72 bits of HMAC: the limit only keeps a prober from costing us much.
PAGE_LIMIT = "60 per minute; 600 per day"


# The links this browser opened (order number -> code, the last few), so that PayHere's
# return and cancel pages can lead back to the payment page to try again.
LINKS_KEY = "payment_links"
LINKS_KEPT = 5


def remember(order, code: str) -> None:
    kept = {n: c for n, c in session.get(LINKS_KEY, {}).items() if n != order.number}
    session[LINKS_KEY] = dict([*kept.items(), (order.number, code)][-LINKS_KEPT:])


def remembered_page(order) -> str | None:
    """The payment page this browser came from for `order`, if any."""
    code = session.get(LINKS_KEY, {}).get(order.number)
    return url_for("payment_links.pay", code=code) if isinstance(code, str) else None


class NewLinkForm(Form):
    """Only the CSRF token: the link goes to the order's own contact."""


def _private(response):
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _in_the_orders_language(order) -> None:
    # A customer who ordered by phone in Sinhala opens the link in a fresh browser: the
    # page speaks the order's language until they pick another.
    if not session.get("locale") and order.locale in LANGUAGES and order.locale != "en":
        session["locale"] = order.locale
        refresh()


def _page(view, *, status: int = 200, form=None):
    order = view.order
    hosted = None
    if view.state == "payable":
        try:
            hosted = checkout_flow.hosted_form(order)
        except Invalid:
            hosted = None  # PayHere is not configured any more: the page says so
    return _private(render(
        "payments/link.html", status=status, order=order, state=view.state,
        expires_at=view.expires_at, form=hosted, new_link_form=form or NewLinkForm(),
        phone=links.masked_phone(order.contact_phone),
        email=links.masked_email(order.contact_email),
        local_sandbox=checkout_flow.local_sandbox_on()))


@bp.get("/pay/<code>")
@limiter.limit(PAGE_LIMIT)
def pay(code: str):
    view = links.open_link(code)  # NotFound -> the 404 page
    _in_the_orders_language(view.order)
    if view.state == "payable":
        remember(view.order, code)
    return _page(view)


def _asking_order() -> str:
    return "payment-link:" + links.order_key(request.view_args.get("code", ""))


@bp.post("/pay/<code>/new-link")
@limiter.limit(NEW_LINK_LIMIT)
@limiter.limit(NEW_LINK_PER_ORDER_LIMIT, key_func=_asking_order)
def new_link(code: str):
    view = links.open_link(code)
    form = NewLinkForm()
    if not form.validate():
        return _page(view, status=422, form=form)
    try:
        sent = links.resend_from_link(code)
    except DomainError as exc:
        if exc.status == 404:
            raise
        flash(str(exc.message), "error")
    else:
        order = view.order
        phone = links.masked_phone(order.contact_phone) if "sms" in sent.channels else ""
        email = links.masked_email(order.contact_email) if "email" in sent.channels else ""
        if phone and email:
            flash(_("We have sent a new payment link to %(phone)s and %(email)s. It works for "
                    "%(hours)d hours.", phone=phone, email=email, hours=links.hours()))
        else:
            flash(_("We have sent a new payment link to %(place)s. It works for %(hours)d "
                    "hours.", place=phone or email, hours=links.hours()))
    return redirect_to(url_for("payment_links.pay", code=code))
