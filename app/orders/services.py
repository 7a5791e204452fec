"""Orders after checkout: creating them from a priced cart, moving them through their
statuses, the timeline, customers' and staff's views of them, and expiry of unpaid ones.

Every status change goes through `_move`, which checks the transition, does what the new
status means for stock and bookings, writes a timeline event and publishes the domain event
("order.paid", ...), all in one transaction; the customer's mail and SMS are handlers of
those events (app/orders/handlers.py, after the commit). Customers reach only their own
orders: another customer's order is NotFound, never Forbidden, so numbers cannot be probed.
"""

from __future__ import annotations

import datetime as dt
import hmac
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature
from sqlalchemy import bindparam, case, func, or_, select, text, update
from sqlalchemy.orm import selectinload

from app import db, prepared
from app.accounts import addresses, services as accounts
from app.accounts.phones import normalise_phone
from app.audit import services as audit
from app.catalog import booking_slots
from app.db import transaction, utcnow
from app.errors import Conflict, Invalid, NotFound
from app.events import services as events
from app.inventory import services as inventory
from app.links import external_url, serializer
from app.notifications import services as notifications
from app.orders import short_links, signals, statuses
from app.orders.models import (
    CHANNELS,
    Order,
    OrderAdjustment,
    OrderEvent,
    OrderLine,
    ShipmentLine,
)
from app.security import characters
from app.security.roles import Permission, require

# The statuses, their labels and transitions are one table (app.orders.statuses); the
# pages, the staff back office and the API read the labels through here.
STATUS_LABELS = statuses.LABELS
status_label = statuses.label
RETURNABLE = statuses.RETURNABLE
REFUND_STATUSES = statuses.REFUND
UNSENT_STATUSES = statuses.UNSENT
MAX_NOTE = 1000
PER_PAGE = 20

# Payments sits above orders (it asks orders to record a payment or a refund), so orders
# never imports it (DESIGN rule 2, no cycle); payments names its methods here at create_app
# (app/payments/handlers.py), for the order page and its documents.
_payment_method_labels: dict[str, object] = {}


def name_payment_methods(labels: dict[str, object]) -> None:
    """`labels`: method code -> its (lazy) words."""
    _payment_method_labels.update(labels)


def payment_method_label(code: str | None):
    """The words for a payment method's code (a lazy string), None for an unknown code."""
    return _payment_method_labels.get(code or "")


# ---- creating (called by checkout) ----------------------------------------------------------

@dataclass
class LineDraft:
    product_id: int
    variant_id: int
    kind: str
    sku: str
    names: dict[str, str]
    options: str
    unit_cents: int
    quantity: int
    discount_cents: int
    total_cents: int
    slot_id: int | None = None
    slot_starts_at: dt.datetime | None = None
    service_location: str | None = None  # services: "address", "shop" or "online"
    translated_options: dict[str, str] = field(default_factory=dict)  # "si", "ta"


@dataclass
class AdjustmentDraft:
    """A discount as applied (a copy of the pricing's adjustment)."""

    kind: str  # line | order | delivery
    rule: str
    labels: dict[str, str]
    amount_cents: int
    line_index: int | None = None  # which of the draft's lines, for a line discount
    promotion_id: int | None = None
    voucher: str | None = None


@dataclass
class OrderDraft:
    """Everything an order is made of, already priced and checked by checkout."""

    user_id: int | None
    locale: str
    contact_name: str
    contact_email: str
    contact_phone: str
    payment_method: str
    status: str
    payment_due_at: dt.datetime | None
    subtotal_cents: int
    discount_cents: int
    delivery_fee_cents: int
    total_cents: int
    lines: list[LineDraft]
    credit_cents: int = 0  # paid from the customer's store credit (payments.credit)
    points_cents: int = 0  # paid with loyalty points (their value)
    address: dict | None = None  # recipient, phone, line1, line2, city, district, postal_code
    district: str | None = None
    delivery_code: str | None = None
    delivery_name: str | None = None
    delivery_names: dict[str, str | None] = field(default_factory=dict)  # "si", "ta"
    idempotency_key: str | None = None
    request_fingerprint: str | None = None
    notes: list[str] = field(default_factory=list)  # staff-only, on the timeline
    adjustments: list[AdjustmentDraft] = field(default_factory=list)
    channel: str = "web"  # one of models.CHANNELS
    # Who placed it: None for the customer themselves (or the system, on a renewal); the
    # staff member who took it on the phone.
    placed_by: object | None = None


def create_order(draft: OrderDraft) -> Order:
    """Write the order, hold its stock and booked places, and queue its confirmation, inside
    the caller's transaction. Raises OutOfStock (nothing held: the caller rolls back)."""
    with transaction():
        now = utcnow()
        address = draft.address or {}
        # The number is made from the id, so that numbers never collide and need no counter
        # row that every checkout locks. PostgreSQL gives the id first (its sequence), so the
        # order, its lines and events go in one flush; SQLite's id comes with the INSERT.
        order_id = _next_order_id()
        order = Order(
            id=order_id,
            number=(_number(now, order_id) if order_id is not None
                    else f"new-{now:%H%M%S%f}-{id(draft) % 10**6}"[:24]),  # unique till then
            user_id=draft.user_id, status=draft.status, payment_method=draft.payment_method,
            channel=_channel(draft.channel),
            locale=draft.locale, contact_name=draft.contact_name,
            contact_email=draft.contact_email, contact_phone=draft.contact_phone,
            ship_recipient=address.get("recipient"), ship_phone=address.get("phone"),
            ship_line1=address.get("line1"), ship_line2=address.get("line2"),
            ship_city=address.get("city"), district=draft.district,
            postal_code=address.get("postal_code"), delivery_code=draft.delivery_code,
            delivery_name=draft.delivery_name,
            delivery_name_si=draft.delivery_names.get("si") or None,
            delivery_name_ta=draft.delivery_names.get("ta") or None,
            subtotal_cents=draft.subtotal_cents,
            discount_cents=draft.discount_cents, delivery_fee_cents=draft.delivery_fee_cents,
            total_cents=draft.total_cents, credit_cents=draft.credit_cents,
            points_cents=draft.points_cents,
            payment_status="paid" if (draft.credit_cents + draft.points_cents
                                      == draft.total_cents > 0) else "unpaid",
            idempotency_key=draft.idempotency_key,
            request_fingerprint=draft.request_fingerprint,
            payment_due_at=draft.payment_due_at, placed_at=now, updated_at=now,
            contact_phone_index=(accounts.phone_index(draft.contact_phone)
                                 if draft.contact_phone else None),
            place_index=(addresses.place_index(address["line1"], address.get("city") or "",
                                               draft.district or "")
                         if address.get("line1") else None),
            # Known empty before the first flush: filled after it, they would each be read
            # from the database first (three SELECTs that can only find nothing).
            lines=[], events=[], adjustments=[])
        db.session.add(order)
        if order_id is None:
            db.session.flush()
            order.number = _number(now, order.id)
        for line in draft.lines:
            order.lines.append(OrderLine(
                product_id=line.product_id, variant_id=line.variant_id, kind=line.kind,
                sku=line.sku, name_en=line.names["en"], name_si=line.names.get("si"),
                name_ta=line.names.get("ta"), options=_column_text(line.options),
                options_si=_column_text(line.translated_options.get("si")),
                options_ta=_column_text(line.translated_options.get("ta")),
                slot_id=line.slot_id, slot_starts_at=line.slot_starts_at,
                service_location=line.service_location if line.kind == "service" else None,
                unit_cents=line.unit_cents, quantity=line.quantity,
                discount_cents=line.discount_cents, total_cents=line.total_cents))
        if draft.adjustments:
            db.session.flush()  # the lines' ids, for line discounts
        for adjustment in draft.adjustments:
            order.adjustments.append(OrderAdjustment(
                kind=adjustment.kind, rule=adjustment.rule[:40],
                line=(order.lines[adjustment.line_index]
                      if adjustment.line_index is not None else None),
                promotion_id=adjustment.promotion_id, voucher=adjustment.voucher,
                label_en=_column_text(adjustment.labels.get("en"), 160) or adjustment.rule,
                label_si=_column_text(adjustment.labels.get("si"), 160),
                label_ta=_column_text(adjustment.labels.get("ta"), 160),
                amount_cents=adjustment.amount_cents))
        if draft.placed_by is not None:
            actor_kind, actor_id = _actor_kind(draft.placed_by), draft.placed_by.id
        elif draft.channel == "subscription":
            actor_kind, actor_id = "system", None
        else:
            actor_kind = "customer" if draft.user_id else "guest"
            actor_id = draft.user_id
        # A new event has no shipment lines: said so, the answer need not read them.
        order.events.append(OrderEvent(kind="status", status=draft.status,
                                       actor_kind=actor_kind, actor_id=actor_id,
                                       shipment_lines=[]))
        for note in draft.notes:
            order.events.append(OrderEvent(kind="note", note=_clean_note(note), public=False,
                                           actor_kind=actor_kind, actor_id=actor_id,
                                           shipment_lines=[]))
        db.session.flush()
        wants: dict[int, int] = {}
        for line in draft.lines:
            if line.kind == "product":
                wants[line.variant_id] = wants.get(line.variant_id, 0) + line.quantity
        inventory.reserve(order.number, wants)
        for line in draft.lines:
            if line.slot_id and not booking_slots.book(line.slot_id, line.quantity):
                raise inventory.OutOfStock({line.variant_id: 0}, _l(
                    "The time you chose for %(name)s has just been taken. Choose another.",
                    name=line.names["en"]))
        events.publish("order.placed", key=_key(order), number=order.number,
                       user_id=order.user_id, status=order.status,
                       payment_method=order.payment_method, total_cents=order.total_cents,
                       credit_cents=order.credit_cents, points_cents=order.points_cents,
                       channel=order.channel)
    return order


def _number(placed_at: dt.datetime, order_id: int) -> str:
    return f"KD-{placed_at.year}-{order_id:06d}"


# The next id of orders_order's own sequence (a SERIAL): taken, as an INSERT would take it.
_NEXT_ORDER_ID = text("SELECT nextval(pg_get_serial_sequence('orders_order', 'id'))")


def _next_order_id() -> int | None:
    """The new order's id before its INSERT, on PostgreSQL; None on SQLite (no sequence)."""
    if db.session.connection().dialect.name != "postgresql":
        return None
    return prepared.rows(_NEXT_ORDER_ID)[0][0]


def _channel(channel: str) -> str:
    if channel not in CHANNELS:
        raise ValueError(f"unknown order channel {channel!r}")
    return channel


def _key(order: Order) -> str:
    """The events of one order share this key: their handlers see them in order."""
    return f"order:{order.number}"


def _column_text(text: str | None, limit: int = 200) -> str | None:
    """Options text as an order line keeps it: five long pairs can outgrow the column, and a
    shortened text beats a refused order."""
    if not text:
        return None
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _theirs(user_id: int | None, phone: str | None):
    """Orders of this customer (by account) or of this mobile number (any guest's, too)."""
    who = []
    if user_id is not None:
        who.append(Order.user_id == user_id)
    if phone:
        who.append(Order.contact_phone_index == accounts.phone_index(phone))
    return or_(*who) if who else None


@dataclass(frozen=True)
class PayerOrders:
    """What checkout's limits count of a payer's orders, before it writes one."""

    placed: int  # by this customer or mobile number since the time asked
    first_placed_at: dt.datetime | None  # the first of those
    waiting: int  # theirs waiting for payment
    waiting_at_place: int  # waiting for payment, to the same place


def payer_orders(*, user_id: int | None, phone: str | None, place: dict | None,
                 since: dt.datetime) -> PayerOrders:
    """A payer's orders as checkout's pace and unpaid-order limits count them, in one
    statement: this customer's (by account) or this mobile number's (any guest's too)
    placed since `since` and waiting for payment, and those waiting for payment to `place`
    (an address as orders keep it: line1, city, district; None: no delivery)."""
    place_index = (addresses.place_index(place["line1"], place.get("city") or "",
                                         place.get("district") or "")
                   if place and place.get("line1") else None)
    if user_id is None and not phone and place_index is None:
        return PayerOrders(0, None, 0, 0)  # nothing to know them by
    e164 = normalise_phone(phone) if phone else None
    (row,) = prepared.rows(_PAYER_ORDERS, {
        "user": user_id, "phone": accounts.phone_index(e164) if e164 else None,
        "place": place_index, "since": since})
    return PayerOrders(*row)


# Built once (every checkout asks): a value that is None matches no order, so one statement
# serves a guest, a customer with or without a phone, and an order with or without a place.
_theirs_bound = or_(Order.user_id == bindparam("user", type_=Order.user_id.type),
                    Order.contact_phone_index == bindparam(
                        "phone", type_=Order.contact_phone_index.type))
_at_place = Order.place_index == bindparam("place", type_=Order.place_index.type)
_recent = Order.placed_at >= bindparam("since", type_=Order.placed_at.type)
_waiting = Order.status == "pending_payment"
_PAYER_ORDERS = select(
    func.count().filter(_theirs_bound & _recent),
    func.min(Order.placed_at).filter(_theirs_bound & _recent),
    func.count().filter(_theirs_bound & _waiting),
    func.count().filter(_at_place & _waiting),
).select_from(Order.__table__).where(_theirs_bound | _at_place)


def orders_before(*, user_id: int | None, phone: str | None,
                  excluding: str | None = None) -> int:
    """Orders this customer or mobile number placed and did not cancel (a "first order
    only" offer asks), other than order `excluding` (the one being placed)."""
    theirs = _theirs(user_id, phone)
    if theirs is None:
        return 0
    return db.session.scalar(select(func.count()).select_from(Order).where(
        theirs, Order.status != "cancelled", Order.number != (excluding or "")))


_BY_IDEMPOTENCY_KEY = select(Order.id).where(Order.idempotency_key == bindparam("key"))


def find_by_idempotency_key(key: str) -> Order | None:
    """The order an earlier request with this key placed. Nearly every key is new: a plain
    row says so, and only an order found is loaded."""
    found = prepared.rows(_BY_IDEMPOTENCY_KEY, {"key": key})
    return db.session.get(Order, found[0][0]) if found else None


def _existing(number: str) -> Order:
    order = find_by_number(number)
    if order is None:
        raise NotFound()
    return order


def find_by_number(number: str) -> Order | None:
    # No order number holds a control character, and PostgreSQL would refuse a NUL in the
    # query (an error, not "no order"): a form field may bring one before it is validated.
    if not number or len(number) > 24 or characters.has_forbidden_characters(number):
        return None
    return db.session.scalar(select(Order).where(Order.number == number)
                             .options(selectinload(Order.lines), selectinload(Order.events)))


def find_by_id(order_id: int) -> Order | None:
    """The order with this id (None if there is none): for links that carry the id."""
    return db.session.get(Order, order_id)


# ---- mail and links --------------------------------------------------------------------------

# A guest's link opens their order this long after it was sent (returns, a warranty
# question); a new link can always be asked for (`resend_link`).
GUEST_LINK_DAYS = 180
TOKEN_MAX = 200  # longer than any token we sign: refused before any work


def guest_token(order: Order | str) -> str:
    """The signed token of a guest's order link, at the order's current link version (so
    `revoke_links` ends it). Takes the order or its number (a number no order has gets a
    token that opens nothing)."""
    if isinstance(order, Order):
        number, version = order.number, order.link_version
    else:
        found = find_by_number(order)
        number, version = order, (found.link_version if found is not None else 0)
    # "<number>~<version>", and the bare number at version 0 (as links were before they
    # had versions): short, since the link must fit in one SMS.
    return serializer("order").dumps(f"{number}~{version}" if version else number)


def _link_claim(token: str) -> tuple[str, int] | None:
    """(number, link version) from a well-signed, unexpired link token; None otherwise."""
    if not token or len(token) > TOKEN_MAX:
        return None
    try:
        claim = serializer("order").loads(token, max_age=GUEST_LINK_DAYS * 86400)
    except BadSignature:
        return None
    if not isinstance(claim, str):
        return None
    number, _, version = claim.partition("~")
    if not version:
        return number, 0
    return (number, int(version)) if version.isascii() and version.isdigit() else None


def guest_order(number: str, token: str) -> Order:
    """A guest's order through the signed link in their mail. NotFound for a wrong, expired
    or revoked link, and for a registered customer's order: that opens only for its
    customer, signed in, so a link that leaks (a forwarded mail, a shared screen, a
    payment page's logs) gives nobody their account's order."""
    claim = _link_claim(token or "")
    if claim is None or claim[0] != number:
        raise NotFound()
    order = find_by_number(number)
    if order is None or order.user_id is not None or order.link_version != claim[1]:
        raise NotFound()
    return order


def number_from_guest_token(token: str) -> str | None:
    """The number of the order this link token opens now (None: none)."""
    claim = _link_claim(token or "")
    if claim is None:
        return None
    try:
        return guest_order(claim[0], token).number
    except NotFound:
        return None


def revoke_links(order: Order) -> None:
    """End every link sent for this order so far (inside the caller's transaction)."""
    db.session.execute(update(Order).where(Order.id == order.id)
                       .values(link_version=Order.link_version + 1)
                       .execution_options(synchronize_session=False))
    db.session.refresh(order)


def _contact_channel(order: Order, contact: str) -> str | None:
    """"email" or "sms" when `contact` is the order's own email or phone, else None."""
    contact = (contact or "").strip()
    if "@" in contact:
        return "email" if _same(contact.lower(), (order.contact_email or "").strip().lower()) \
            else None
    phone = normalise_phone(contact, mobile_only=False)
    return "sms" if phone and _same(phone, order.contact_phone or "") else None


def _same(given: str, ours: str) -> bool:
    return bool(ours) and hmac.compare_digest(given.encode(), ours.encode())


def _send_link(order: Order, channels: set[str]) -> None:
    """Queue the order's link (a guest's fresh one, or the account's page) on `channels`."""
    # One message per link version; a customer's account link does not change, so its
    # resends are told apart by the hour (the view's limits keep them few anyway).
    stamp = f"v{order.link_version}" if order.user_id is None else f"{utcnow():%Y%m%d%H}"
    data = {"number": order.number, "name": order.contact_name, "link": order_link(order),
            "short_link": short_link(order),
            "status": order.status, "total_cents": order.total_cents,
            "payment_method": order.payment_method, "account": order.user_id is not None}
    key = f"order:{order.number}:link:{stamp}"
    if "email" in channels and order.contact_email:
        notifications.queue_email("order_link", to=order.contact_email, locale=order.locale,
                                  user_id=order.user_id, dedupe_key=key, **data)
    if "sms" in channels and order.contact_phone:
        notifications.queue_sms("order_link", to=order.contact_phone, locale=order.locale,
                                user_id=order.user_id, dedupe_key=f"{key}:sms", **data)


def resend_link(number: str, contact: str) -> None:
    """A guest lost their order link: when `contact` is the order's email or phone, older
    links are revoked and a fresh one goes to that address (a registered customer's order
    gets its account page's address instead: it opens only when signed in). Says nothing
    either way, so that nobody learns which numbers exist or whose they are."""
    order = find_by_number((number or "").strip().upper())
    channel = _contact_channel(order, contact) if order is not None else None
    if channel is None:
        return
    with transaction():
        if order.user_id is None:
            revoke_links(order)
        _send_link(order, {channel})
        audit.record("orders.link_resent", actor_id=None, target_type="order",
                     target_id=order.number, channel=channel)


def staff_resend_link(number: str, *, actor=None) -> Order:
    """Staff revoke a guest's order links and send a fresh one to the order's email and
    phone (for a caller who lost theirs, or a link that went astray)."""
    require(actor, Permission.MANAGE_ORDERS)
    with transaction():
        order = _existing(number)
        if order.user_id is not None:
            raise Conflict(_l("This order belongs to an account: its customer sees it after "
                              "signing in, and it has no link to send."))
        revoke_links(order)
        _send_link(order, {"email", "sms"})
        audit.record("orders.link_resent", actor_id=actor.id if actor else None,
                     target_type="order", target_id=order.number, channel="all")
    return order


def short_link(order: Order) -> str:
    """The order's short link for an SMS (/o/<code>): it opens `order_link`, and ends with
    it when the links are revoked."""
    return short_links.short_link(order)


def order_by_short_code(code: str) -> Order:
    """The order a short link opens. Raises NotFound for a wrong, expired or revoked code."""
    order = short_links.order_for_code(code, max_days=GUEST_LINK_DAYS)
    if order is None:
        raise NotFound()
    return order


def order_link(order: Order) -> str:
    if order.user_id:
        return external_url("orders.detail", number=order.number)
    return external_url("orders.guest_detail", number=order.number,
                        t=guest_token(order.number))


def mail_customer(order: Order, template: str, *, status: str | None = None) -> None:
    """Tell the customer by mail and, if they want it, by SMS, in the order's language
    (inside the caller's transaction). `status`: the one the message is about (the order
    may have moved on by the time an event's handler sends it). The dedupe key makes a
    second call for the same message queue nothing."""
    extra = {}
    if template == "order_shipped":
        # What is in the parcel, named in the customer's language (never a SKU).
        extra["items"] = [{"name": line.name(order.locale), "quantity": line.quantity}
                          for line in order.lines if line.kind == "product"]
    notifications.notify(
        template, email=order.contact_email, phone=order.contact_phone, locale=order.locale,
        user_id=order.user_id, dedupe_key=f"order:{order.number}:{template}",
        number=order.number, name=order.contact_name, link=order_link(order),
        short_link=short_link(order), status=status or order.status,
        total_cents=order.total_cents, credit_cents=order.credit_cents,
        points_cents=order.points_cents,
        payment_method=order.payment_method, services_only=order.is_services_only, **extra)


# ---- moving through statuses -----------------------------------------------------------------

def _actor_kind(actor) -> str:
    if actor is None:
        return "system"
    return "staff" if actor.role else "customer"


def allowed_next(order: Order) -> frozenset[str]:
    """Where this order may go from its status (the table in app.orders.statuses), without
    the shipment steps for an order that is only services."""
    return statuses.next_of(order.status, services_only=order.is_services_only)


def _withdraw(order: Order) -> None:
    """The order will never be carried out (cancelled, or refunded in full before it was
    sent): what it holds goes back. Its stock and booked times here; a plan's visits and a
    promotion's uses through signals.order_withdrawn."""
    inventory.release(order.number)
    for line in order.lines:
        if line.slot_id:
            booking_slots.unbook(line.slot_id, line.quantity)
    signals.order_withdrawn.send(order.number)


def _move(order: Order, status: str, *, actor=None, note: str | None = None) -> Order:
    """Change the status and do what it means. The caller holds a transaction."""
    if status not in statuses.BY_CODE or status not in allowed_next(order):
        raise Conflict(_l("An order that is %(now)s cannot become %(next)s.",
                          now=statuses.LABELS[order.status],
                          next=statuses.LABELS.get(status, status)), field="status")
    # Claim the change with a conditional update: two staff (or staff and the expiry job)
    # changing one order at once make one change, not two.
    claimed = db.session.execute(
        update(Order).where(Order.id == order.id, Order.status == order.status)
        .values(status=status, updated_at=utcnow())
        .execution_options(synchronize_session=False)).rowcount
    if claimed != 1:
        raise Conflict(_l("This order changed a moment ago. Look again and retry."))
    previous = order.status
    db.session.refresh(order)
    sent_now: list[ShipmentLine] = []
    if status == "cancelled":
        _withdraw(order)
        signals.order_cancelled.send(order.number)
    elif status in ("shipped", "ready_for_collection", "completed") and (
            previous in statuses.UNSENT):
        inventory.sell(order.number)  # whatever is still held leaves with this shipment
        for line in order.lines:
            if line.kind == "product" and line.fulfilled_quantity < line.quantity:
                sent_now.append(ShipmentLine(line=line,
                                             quantity=line.quantity - line.fulfilled_quantity))
            line.fulfilled_quantity = line.quantity
    if status == "paid":
        order.payment_status = "paid"
        order.payment_due_at = None
    order.events.append(OrderEvent(kind="status", status=status, note=note,
                                   actor_kind=_actor_kind(actor),
                                   actor_id=actor.id if actor else None,
                                   shipment_lines=sent_now))
    if status not in ("refunded", "partially_refunded"):  # refund_recorded tells those
        events.publish(f"order.{status}", key=_key(order), number=order.number,
                       status=status, previous=previous)
    return order


def _clean_note(note: str | None) -> str | None:
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise Invalid(_l("Keep the note under %(n)d characters.", n=MAX_NOTE), field="note")
    return note or None


def change_status(number: str, status: str, *, note: str | None = None, actor=None) -> Order:
    """Staff move an order on (or the system, with actor None). Paid and the refund
    statuses are set by the payments only: they must match money actually received or paid
    back."""
    require(actor, Permission.MANAGE_ORDERS)
    note = _clean_note(note)
    if status in statuses.REFUND:
        raise Conflict(_l("Refund an order from its payment, so the money and the status "
                          "agree."), field="status")
    if status == "paid":
        # Paid means the money is in the ledger: set by the payment that received it.
        raise Conflict(_l("Record the money on the order's payment (cash collected, or the "
                          "bank transfer received): the order becomes paid with it, so the "
                          "money and the status agree."), field="status")
    with transaction():
        order = _existing(number)
        _move(order, status, actor=actor, note=note)
        audit.record("orders.status", actor_id=actor.id if actor else None,
                     target_type="order", target_id=order.number, status=status)
    return order


def add_note(number: str, note: str, *, public: bool = False, actor=None) -> OrderEvent:
    require(actor, Permission.MANAGE_ORDERS)
    note = _clean_note(note)
    if not note:
        raise Invalid(_l("Write a note."), field="note")
    with transaction():
        order = _existing(number)
        event = OrderEvent(kind="note", note=note, public=public,
                           actor_kind=_actor_kind(actor), actor_id=actor.id if actor else None)
        order.events.append(event)
        audit.record("orders.note", actor_id=actor.id if actor else None,
                     target_type="order", target_id=order.number, public=public)
    return event


def fulfil(number: str, quantities: dict[int, int], *, note: str | None = None,
           actor=None) -> Order:
    """Ship part of an order: `quantities` maps order line id -> units sent now. Those
    units are sold from stock; when nothing is left to send the order becomes shipped (or
    ready for collection)."""
    require(actor, Permission.MANAGE_ORDERS)
    note = _clean_note(note)
    with transaction():
        order = _existing(number)
        if order.status not in statuses.UNSENT:
            raise Conflict(_l("Only a confirmed order can be shipped."), field="status")
        lines = {line.id: line for line in order.lines if line.kind == "product"}
        sending: dict[int, int] = {}
        shipped: list[ShipmentLine] = []
        for line_id, units in quantities.items():
            line = lines.get(line_id)
            if line is None:
                raise Invalid(_l("That item is not in this order."), field="quantities")
            if units < 0 or units > line.quantity - line.fulfilled_quantity:
                raise Invalid(_l("Send from 0 to %(n)d of %(name)s.",
                                 n=line.quantity - line.fulfilled_quantity,
                                 name=line.name_en), field="quantities")
            if units:
                sending[line.variant_id] = sending.get(line.variant_id, 0) + units
                line.fulfilled_quantity += units
                shipped.append(ShipmentLine(line=line, quantity=units))
        if not sending:
            raise Invalid(_l("Choose at least one item to send."), field="quantities")
        inventory.sell(order.number, sending)
        # The lines are stored as such, so every page and message names them in its
        # reader's language; the note is only what staff typed (a tracking number).
        order.events.append(OrderEvent(
            kind="shipment", public=True, actor_kind=_actor_kind(actor),
            actor_id=actor.id if actor else None, note=note, shipment_lines=shipped))
        audit.record("orders.fulfil", actor_id=actor.id if actor else None,
                     target_type="order", target_id=order.number,
                     units=sum(sending.values()))
        if all(line.fulfilled_quantity == line.quantity for line in lines.values()):
            target = "ready_for_collection" if _is_pickup(order) else "shipped"
            _move(order, target, actor=actor, note=note)
    return order


def _is_pickup(order: Order) -> bool:
    return bool(order.needs_shipping and not order.ship_line1)


# ---- customers -------------------------------------------------------------------------------

def customer_orders(user_id: int, *, page: int = 1,
                    per_page: int = PER_PAGE) -> tuple[list[Order], int]:
    """A customer's orders, newest first, and how many there are."""
    base = select(Order).where(Order.user_id == user_id)
    total = db.session.scalar(select(func.count()).select_from(base.subquery()))
    page, per_page = max(1, min(page, 100_000)), max(1, min(per_page, 100))
    orders = list(db.session.scalars(
        base.order_by(Order.id.desc()).limit(per_page).offset((page - 1) * per_page)
        .options(selectinload(Order.lines))))
    return orders, total


def customer_order(number: str, user_id: int) -> Order:
    order = find_by_number(number)
    if order is None or order.user_id is None or order.user_id != user_id:
        raise NotFound()
    return order


def public_events(order: Order) -> list[OrderEvent]:
    return [event for event in order.events if event.public]


def can_cancel(order: Order) -> bool:
    return order.status in statuses.CUSTOMER_CANCELLABLE and not any(
        line.fulfilled_quantity for line in order.lines)


def cancel_by_customer(order: Order, *, actor=None, reason: str | None = None) -> Order:
    """The customer (or a guest through their link) cancels an order not yet sent.
    The caller has already checked the order is theirs."""
    reason = _clean_note(reason)
    with transaction():
        db.session.refresh(order)
        if not can_cancel(order):
            raise Conflict(_l("This order can no longer be cancelled. Contact us for help."))
        _move(order, "cancelled", note=reason, actor=None)
        order.events[-1].actor_kind = "customer"
        order.events[-1].actor_id = order.user_id
    return order


def request_return(order: Order, reason: str) -> OrderEvent:
    """Ask to send back a delivered order. Staff see it in the timeline and reply."""
    reason = _clean_note(reason)
    if not reason:
        raise Invalid(_l("Tell us why you are returning it."), field="reason")
    with transaction():
        if order.is_services_only:
            raise Conflict(_l("A service cannot be returned. If something went wrong, "
                              "please contact us."))
        if order.status not in statuses.RETURNABLE:
            raise Conflict(_l("You can ask for a return once your order is delivered."))
        if any(event.kind == "return_request" for event in order.events):
            raise Conflict(_l("You have already asked to return this order."))
        event = OrderEvent(kind="return_request", note=reason, actor_kind="customer",
                           actor_id=order.user_id)
        order.events.append(event)
    return event


# ---- staff -----------------------------------------------------------------------------------

CHANNEL_LABELS = {
    "web": _l("Web shop"),
    "app": _l("App"),
    "phone": _l("Phone order"),
    "subscription": _l("Plan renewal"),
}


@dataclass(frozen=True)
class OrderFilter:
    status: str | None = None
    payment_method: str | None = None
    district: str | None = None
    placed_from: dt.date | None = None  # Colombo dates, inclusive
    placed_to: dt.date | None = None
    number: str | None = None
    channel: str | None = None


def _colombo_midnight(day: dt.date) -> dt.datetime:
    from zoneinfo import ZoneInfo

    return dt.datetime.combine(day, dt.time(), ZoneInfo("Asia/Colombo")).astimezone(dt.UTC)


def _filtered(filters: OrderFilter):
    query = select(Order)
    if filters.status:
        query = query.where(Order.status == filters.status)
    if filters.payment_method:
        query = query.where(Order.payment_method == filters.payment_method)
    if filters.channel:
        query = query.where(Order.channel == filters.channel)
    if filters.district:
        query = query.where(Order.district == filters.district)
    if filters.placed_from:
        query = query.where(Order.placed_at >= _colombo_midnight(filters.placed_from))
    if filters.placed_to:
        query = query.where(Order.placed_at < _colombo_midnight(
            filters.placed_to + dt.timedelta(days=1)))
    if filters.number:
        query = query.where(Order.number.like(f"%{filters.number.strip().upper()[:24]}%"))
    return query


def staff_orders(filters: OrderFilter = OrderFilter(), *, page: int = 1, per_page: int = 50,
                 actor=None) -> tuple[list[Order], int]:
    require(actor, Permission.MANAGE_ORDERS)
    query = _filtered(filters)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    page = max(1, min(page, 100_000))
    return list(db.session.scalars(
        query.order_by(Order.id.desc()).limit(per_page).offset((page - 1) * per_page))), total


_GOODS = func.sum(case((OrderLine.kind == "service", 0), else_=1))


def services_only_ids(order_ids) -> set[int]:
    """Which of these orders are only services (Order.is_services_only), in one query for
    the lot: a list of orders need not load every order's lines to say so."""
    if not order_ids:
        return set()
    return set(db.session.scalars(
        select(OrderLine.order_id).where(OrderLine.order_id.in_(list(order_ids)))
        .group_by(OrderLine.order_id).having(_GOODS == 0)))


def services_only_numbers(numbers) -> set[str]:
    """The same by order number (payments know their order by number), in one query."""
    if not numbers:
        return set()
    return set(db.session.scalars(
        select(Order.number).join(OrderLine, OrderLine.order_id == Order.id)
        .where(Order.number.in_(list(numbers))).group_by(Order.number)
        .having(_GOODS == 0)))


def total_of(numbers) -> int:
    """The sum of the totals of the orders with these numbers, in cents (a number that is no
    order counts nothing). Read-only; a promotion's report asks it of its orders."""
    numbers = sorted(set(numbers))
    total = 0
    for start in range(0, len(numbers), 500):
        total += db.session.scalar(select(func.coalesce(func.sum(Order.total_cents), 0))
                                   .where(Order.number.in_(numbers[start:start + 500]))) or 0
    return int(total)


def staff_orders_all(filters: OrderFilter = OrderFilter(), *, actor=None):
    """Every matching order, oldest first, streamed in batches (the CSV export)."""
    require(actor, Permission.MANAGE_ORDERS)
    yield from db.session.scalars(
        _filtered(filters).order_by(Order.id).options(selectinload(Order.lines))
        .execution_options(yield_per=500))


def staff_order(number: str, *, actor=None) -> Order:
    require(actor, Permission.MANAGE_ORDERS)
    return _existing(number)


def next_statuses(order: Order) -> list[str]:
    """What staff may choose next, in the order of the list of statuses."""
    return [s for s in statuses.STATUSES if s in allowed_next(order)
            and s not in statuses.REFUND and s != "paid"]


# ---- payments ---------------------------------------------------------------------------------

def payment_received(number: str, *, actor=None) -> bool:
    """The payment ledger says the money arrived (inside its transaction). An order waiting
    for payment becomes paid; one already on its way is only marked paid. False when the
    order was cancelled meanwhile: the money must go back. `actor`: the staff member who
    recorded the money (cash, a transfer, a slip); None for a provider's word ("system")."""
    with transaction():
        order = _existing(number)
        if order.status == "cancelled":
            return False
        if order.status == "pending_payment":
            _move(order, "paid", actor=actor)
        elif order.payment_status != "paid":
            order.payment_status = "paid"
            order.events.append(OrderEvent(kind="note", note="payment received",
                                           actor_kind=_actor_kind(actor),
                                           actor_id=actor.id if actor else None,
                                           public=False))
            # Paid, though its status stays (cash on delivery, say): no "paid" message.
            events.publish("order.paid", key=_key(order), number=order.number,
                           status=order.status, previous=order.status)
    return True


# ---- expiry ----------------------------------------------------------------------------------

def expire_unpaid(now: dt.datetime | None = None) -> list[str]:
    """Cancel orders still waiting for payment past their time, giving their stock back and
    telling the customer. Safe to run twice or in two workers at once. Returns numbers."""
    now = now or utcnow()
    numbers = list(db.session.scalars(
        select(Order.number).where(Order.status == "pending_payment",
                                   Order.payment_due_at.is_not(None),
                                   Order.payment_due_at < now).order_by(Order.id)))
    expired = []
    for number in numbers:
        try:
            with transaction():
                order = find_by_number(number)
                _move(order, "cancelled",
                      note=str(_l("Cancelled: payment did not arrive in time.")))
            expired.append(number)
        except Conflict:
            db.session.rollback()  # paid or cancelled a moment ago: nothing to do
    return expired


def unpaid_hours() -> int:
    return int(current_app.config.get("UNPAID_ORDER_HOURS", 72))


# ---- refunds (payments) ----------------------------------------------------------------------

# The payment ledger refunds an order wherever it stands once paid: all of it ends the order
# ("refunded"), part of it marks a finished order "partially refunded" (statuses'
# is_partly_refundable). Only `refund_recorded` takes these steps (next_statuses leaves both
# out of what staff may choose).


def _refund_note(order: Order, amount_cents: int, fully: bool) -> str:
    """What the customer reads in the timeline, in the order's language."""
    from flask_babel import force_locale, gettext

    from app.i18n import format_lkr

    with force_locale(order.locale):
        amount = format_lkr(amount_cents, order.locale)
        if fully:
            return gettext("%(amount)s refunded: everything you paid.", amount=amount)
        return gettext("%(amount)s refunded.", amount=amount)


_REFUND_NOTES = (_l("%(amount)s refunded: everything you paid."), _l("%(amount)s refunded."))


def refund_recorded(number: str, *, amount_cents: int, fully: bool,
                    restock: dict[int, int] | None = None, actor=None,
                    refund_id: int | None = None) -> Order:
    """The payment ledger gave `amount_cents` back (inside its transaction). Puts `restock`
    (order line id -> units that were sent and came back) on the shelf, moves the order to
    refunded (`fully`) or partially refunded, writes the timeline and publishes
    order.refunded (with the ledger's `refund_id`). Raises Invalid for a line not in this
    order or more units than were sent."""
    require(actor, Permission.MANAGE_PAYMENTS)
    with transaction():
        order = _existing(number)
        lines = {line.id: line for line in order.lines}
        for line_id, units in sorted((restock or {}).items()):
            line = lines.get(line_id)
            if line is None or line.kind != "product" or line.variant_id is None:
                raise Invalid(_l("That item is not in this order."), field="lines")
            if not 0 <= units <= line.fulfilled_quantity:
                raise Invalid(_l("Only units that were sent can go back to stock."),
                              field="lines")
            if units:
                inventory.restock(line.variant_id, units, reference=order.number, actor=actor)
        note = _refund_note(order, amount_cents, fully)
        previous = order.status
        if fully and "refunded" in statuses.next_of(previous):
            _move(order, "refunded", actor=actor, note=note)
            if previous in statuses.UNSENT:
                _withdraw(order)  # never to be sent now
        elif not fully and previous in statuses.PARTLY_REFUNDABLE:
            _move(order, "partially_refunded", actor=actor, note=note)
        else:
            # Cancelled (the money came after), still on its way, or refunded in part again.
            order.events.append(OrderEvent(kind="note", note=note, public=True,
                                           actor_kind=_actor_kind(actor),
                                           actor_id=actor.id if actor else None))
        order.updated_at = utcnow()
        events.publish("order.refunded", key=_key(order), number=order.number,
                       amount_cents=amount_cents, fully=bool(fully), status=order.status,
                       previous=previous, refund_id=refund_id)
    return order
