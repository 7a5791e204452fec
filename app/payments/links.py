"""Payment links: an SMS and a mail with a short link (`/pay/<code>`) that opens PayHere's
checkout for one order on the customer's own phone, with no account, until it expires.

For any order waiting for a PayHere payment, however it was placed (a phone order taken by
staff, or a web order whose customer asks for a fresh link). The code is the order's id, the
second the link was made and an HMAC of both under SECRET_KEY, truncated to 72 bits (about
22 characters: the link fits in a Sinhala or Tamil SMS): it cannot be guessed, and a link
that was made by us but is older than PAYMENT_LINK_HOURS is told apart from one that was
never ours (the page says "expired" and offers a new link to the order's own contact; a
forged code is the 404 page). Nothing is stored per link: a new link does not end older
ones, each simply runs out.

The page shows what a payer needs (the shop, the order's number, lines and total) and the
hosted-checkout form; the form, as the checkout's, carries the name, phone, email and
address PayHere asks for, so the link goes only to the order's own phone and email.
"""

from __future__ import annotations

import datetime as dt
import hmac
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _, lazy_gettext as _l

from app import short_codes
from app.audit import services as audit
from app.db import transaction, utcnow
from app.errors import Conflict, Invalid, NotFound
from app.i18n import local_time
from app.links import external_url
from app.notifications import services as notifications
from app.orders import services as orders
from app.orders.services import Order  # the type orders hands out
from app.payments import checkout_flow, services as payments
from app.security.roles import Permission, require

TEMPLATE = "payment_link"
MAC_BYTES = 9  # 72 bits
TIME_BYTES = 5  # seconds since 1970


@dataclass(frozen=True)
class PaymentLink:
    """A link as sent: where it goes, until when, and on which channels it went."""

    number: str
    code: str
    url: str
    expires_at: dt.datetime
    channels: tuple[str, ...]  # "email", "sms": what was queued (a customer may refuse SMS)


@dataclass(frozen=True)
class LinkView:
    """What a link's page shows. `state`: payable, paid, cancelled, expired (the link ran
    out, the order still waits for its money) or closed (not paid online any more)."""

    order: Order
    state: str
    expires_at: dt.datetime


def hours() -> int:
    return int(current_app.config["PAYMENT_LINK_HOURS"])


# ---- the code -------------------------------------------------------------------------------

def _mac(order_id: int, issued: int) -> bytes:
    return short_codes.signature(b"kade.payment-link", f"{order_id}|{issued}", MAC_BYTES)


def make_code(order: Order, *, issued_at: dt.datetime | None = None) -> str:
    """The code of a payment link to `order`, made now (or at `issued_at`)."""
    issued = int((issued_at or utcnow()).timestamp())
    return short_codes.pack(order.id, issued, TIME_BYTES, _mac(order.id, issued))


def _claim(code: str) -> tuple[int, int] | None:
    """(order id, issued second) of a code we made; None for anything else."""
    parts = short_codes.unpack(code, stamp_bytes=TIME_BYTES, mac_bytes=MAC_BYTES)
    if parts is None:
        return None
    order_id, issued, mac = parts
    if not hmac.compare_digest(mac, _mac(order_id, issued)):
        return None
    return order_id, issued


def order_key(code: str) -> str:
    """Whose link this is, for rate limits: the order's id for a code we made, else the
    code itself (a forger's codes all 404 anyway)."""
    claim = _claim(code)
    return f"order:{claim[0]}" if claim else f"code:{(code or '')[:short_codes.MAX_CODE]}"


def url_for_code(code: str) -> str:
    return external_url("payment_links.pay", code=code)


# ---- reading a link -------------------------------------------------------------------------

def _state(order: Order) -> str:
    if order.status == "cancelled":
        return "cancelled"
    if order.payment_status == "paid":
        return "paid"
    if order.payment_method != checkout_flow.METHOD:
        return "closed"  # cash on delivery, bank transfer: not by a link
    if order.status != "pending_payment":
        return "paid"  # a PayHere order moves on only once paid
    payment = payments.payment_for(order.number, checkout_flow.METHOD)
    if payment is not None and payment.status in checkout_flow.PAID:
        return "paid"
    return "payable"


def open_link(code: str, *, now: dt.datetime | None = None) -> LinkView:
    """The order a link was made for and what its page says. A paid or cancelled order
    says so whatever the link's age. Raises NotFound for a code we did not make."""
    claim = _claim(code)
    if claim is None:
        raise NotFound()
    order = orders.find_by_id(claim[0])
    if order is None:
        raise NotFound()
    expires_at = dt.datetime.fromtimestamp(claim[1], dt.UTC) + dt.timedelta(hours=hours())
    state = _state(order)
    if state == "payable" and (now or utcnow()) >= expires_at:
        state = "expired"
    return LinkView(order=order, state=state, expires_at=expires_at)


# ---- sending one ----------------------------------------------------------------------------

def _refusal(order: Order):
    state = _state(order)
    if state == "cancelled":
        return _l("Order %(number)s is cancelled: it cannot be paid.", number=order.number)
    if state == "paid":
        return _l("Order %(number)s is already paid.", number=order.number)
    if state == "closed":
        return _l("Order %(number)s is not paid online (PayHere): a payment link cannot "
                  "pay it.", number=order.number)
    return None


def _note(channels: tuple[str, ...], when: str) -> str:
    """The timeline's line, in the language of whoever sent it (staff read it)."""
    if channels == ("email", "sms"):
        return _("Payment link sent by email and SMS, valid until %(when)s.", when=when)
    if channels == ("email",):
        return _("Payment link sent by email, valid until %(when)s.", when=when)
    return _("Payment link sent by SMS, valid until %(when)s.", when=when)


def send_payment_link(number: str, *, actor=None, now: dt.datetime | None = None
                      ) -> PaymentLink:
    """Send a fresh payment link for order `number` to the order's own email and mobile
    number, in the order's language, and write it in the order's timeline. `actor`: the
    staff member sending it (MANAGE_ORDERS), or None for the customer asking from an
    expired link's page (or the system). Raises NotFound, Forbidden, and Conflict for an
    order that is paid, cancelled or not waiting for a PayHere payment."""
    require(actor, Permission.MANAGE_ORDERS)
    now = now or utcnow()
    with transaction():
        order = orders.find_by_number((number or "").strip().upper())
        if order is None:
            raise NotFound()
        refusal = _refusal(order)
        if refusal is not None:
            raise Conflict(refusal)
        if not (order.contact_email or order.contact_phone):
            raise Invalid(_l("Order %(number)s has no email or mobile number to send a "
                             "link to.", number=order.number))
        if payments.payment_for(order.number, checkout_flow.METHOD) is None:
            # An order that chose PayHere without opening its payment (one placed before the
            # ledger, or by a channel that opens it on first use): PayHere's notification
            # needs one to land on.
            payments.open_payment(order.number, checkout_flow.METHOD, order.due_cents)
        code = make_code(order, issued_at=now)
        url = url_for_code(code)
        expires_at = now.replace(microsecond=0) + dt.timedelta(hours=hours())
        # `short_link` as in the order messages: it is already short enough for an SMS.
        data = {"number": order.number, "name": order.contact_name, "link": url,
                "short_link": url,
                "total_cents": order.due_cents,
                # Numeric, so it reads the same in every language of the message.
                "expires": local_time(expires_at, "%Y-%m-%d %H:%M")}
        key = f"order:{order.number}:payment_link:{int(now.timestamp())}"
        queued = {}
        if order.contact_email:
            queued["email"] = notifications.queue_email(
                TEMPLATE, to=order.contact_email, locale=order.locale, user_id=order.user_id,
                dedupe_key=key, **data)
        if order.contact_phone:
            queued["sms"] = notifications.queue_sms(
                TEMPLATE, to=order.contact_phone, locale=order.locale, user_id=order.user_id,
                dedupe_key=f"{key}:sms", **data)
        channels = tuple(name for name, message in queued.items() if message is not None)
        if not channels:
            raise Invalid(_l("The customer does not take SMS and has no email: send the "
                             "link another way."))
        # A second press in the same second makes the same link, and the outbox sends it
        # once: the timeline and the audit log say so once too.
        if any(getattr(message, "queued_now", False) for message in queued.values()):
            orders.add_note(order.number, _note(channels, data["expires"]), actor=actor)
            audit.record("payments.link_sent", actor_id=actor.id if actor else None,
                         target_type="order", target_id=order.number,
                         channels=list(channels), by="staff" if actor else "customer")
    return PaymentLink(number=order.number, code=code, url=url, expires_at=expires_at,
                       channels=channels)


def resend_from_link(code: str, *, now: dt.datetime | None = None) -> PaymentLink:
    """The customer asks for a new link from an old one's page: it goes to the order's own
    email and phone, never anywhere typed on the page. Raises NotFound for a code we did
    not make, Conflict for an order that can no longer be paid."""
    view = open_link(code, now=now)
    return send_payment_link(view.order.number, actor=None, now=now)


# ---- what the page may show of the contact ---------------------------------------------------

def masked_phone(e164: str | None) -> str:
    """"+94771234567" -> "077 *** **67": enough to recognise, not to copy."""
    digits = "".join(c for c in (e164 or "") if c.isdigit())
    if len(digits) < 9:
        return ""
    local = "0" + digits[-9:]
    return f"{local[:3]} *** **{local[-2:]}"


def masked_email(address: str | None) -> str:
    """"sarah@example.lk" -> "s****@example.lk" (four stars whatever the name's length)."""
    name, at, domain = (address or "").partition("@")
    if not at or not name:
        return ""
    return name[0] + "****@" + domain
