"""Routes of my orders: /orders, /orders/{number} and /orders/{number}/cancel. Another
customer's order answers 404, as an unknown number does, so numbers cannot be probed.

An order answers with the copy it keeps of what was bought (names, prices, the address) and
the public part of its timeline; staff notes stay in the back office.
"""

from __future__ import annotations

from flask_babel import force_locale

from app.api.auth import auth, current_customer
from app.api.blueprint import bp
from app.api.catalog_schemas import Money
from app.api.checkout_schemas import (
    CancelIn,
    DeliveryRef,
    OrderAdjustmentOut,
    OrderLineOut,
    OrderOut,
    OrderPage,
    OrderPath,
    OrderSummary,
    ShippedItemOut,
    TimelineEventOut,
    order_address,
)
from app.api.languages import api_locale
from app.api.openapi import error_responses
from app.api.pagination import PageQuery
from app.orders import services as orders


def _label(status: str | None) -> str | None:
    return orders.status_label(status)


def _common(order) -> dict:
    return {"number": order.number, "status": order.status,
            "status_label": _label(order.status), "payment_method": order.payment_method,
            "payment_status": order.payment_status, "channel": order.channel,
            "placed_at": order.placed_at,
            "total": Money.of(order.total_cents), "store_credit": Money.of(order.credit_cents),
            "points_value": Money.of(order.points_cents),
            "due": Money.of(order.due_cents), "can_cancel": orders.can_cancel(order)}


def order_out(order, locale: str) -> OrderOut:
    """One order as the API tells it (call inside `force_locale(locale)`)."""
    return OrderOut(
        **_common(order), payment_due_at=order.payment_due_at,
        lines=[OrderLineOut(id=line.id, variant_id=line.variant_id, sku=line.sku,
                            name=line.name(locale),
                            options=line.options_text(locale) or None, kind=line.kind,
                            slot_starts_at=line.slot_starts_at,
                            service_location=line.service_location, quantity=line.quantity,
                            fulfilled_quantity=line.fulfilled_quantity,
                            unit_price=Money.of(line.unit_cents),
                            discount=Money.of(line.discount_cents),
                            total=Money.of(line.total_cents))
               for line in order.lines],
        subtotal=Money.of(order.subtotal_cents), discount=Money.of(order.discount_cents),
        delivery_fee=Money.of(order.delivery_fee_cents),
        adjustments=[OrderAdjustmentOut(kind=a.kind, line_id=a.line_id, label=a.label(locale),
                                        amount=Money.of(a.amount_cents),
                                        promotion_id=a.promotion_id, voucher=a.voucher)
                     for a in order.adjustments],
        delivery=(DeliveryRef(code=order.delivery_code,
                              name=order.delivery_name_in(locale) or "")
                  if order.delivery_code else None),
        address=order_address(order, locale),
        timeline=[TimelineEventOut(kind=event.kind, status=event.status,
                                   status_label=_label(event.status), note=event.shown_note,
                                   items=[ShippedItemOut(line_id=line.id,
                                                         name=line.name(locale),
                                                         quantity=units)
                                          for line, units in event.shipped_items()],
                                   at=event.created_at)
                  for event in orders.public_events(order)])


def _summary(order) -> OrderSummary:
    return OrderSummary(**_common(order),
                        item_count=sum(line.quantity for line in order.lines))


@bp.get("/orders")
@bp.auth_required(auth)
@bp.input(PageQuery, location="query", arg_name="query")
@bp.output(OrderPage)
@bp.doc(tags=["Orders"], responses=error_responses(401, 422))
def list_orders(query: PageQuery):
    """My orders

    Newest first. `status_label` is in the language of Accept-Language.
    """
    found, total = orders.customer_orders(current_customer().id, page=query.page,
                                          per_page=query.per_page)
    with force_locale(api_locale()):
        return OrderPage(items=[_summary(order) for order in found], page=query.page,
                         per_page=query.per_page, total=total)


@bp.get("/orders/<number>")
@bp.auth_required(auth)
@bp.input(OrderPath, location="path", arg_name="path")
@bp.output(OrderOut)
@bp.doc(tags=["Orders"], responses=error_responses(401, 404, 422, when={
    404: "No order of mine has this number (also: another customer's order).",
    422: "The number is longer than 24 characters or holds control characters.",
}))
def get_order(number: str, path: OrderPath):
    """One of my orders, with its timeline

    Lines, prices and the address are as the order was placed. The timeline lists status
    changes and messages for me, oldest first.
    """
    locale = api_locale()
    order = orders.customer_order(path.number, current_customer().id)
    with force_locale(locale):
        return order_out(order, locale)


@bp.post("/orders/<number>/cancel")
@bp.auth_required(auth)
@bp.input(OrderPath, location="path", arg_name="path")
@bp.input(CancelIn, arg_name="body")
@bp.output(OrderOut, description="The order, cancelled.")
@bp.doc(tags=["Orders"], responses=error_responses(400, 401, 404, 409, 422, when={
    404: "No order of mine has this number (also: another customer's order).",
    409: "The order can no longer be cancelled (sent, or already cancelled): "
         "`can_cancel` was false.",
}))
def cancel_order(number: str, path: OrderPath, body: CancelIn):
    """Cancel one of my orders

    While it is waiting for payment, paid or confirmed, and nothing has been sent yet
    (`can_cancel`). Its stock and booked times are released and a mail confirms it. The
    body is a JSON object, `{}` or `{"reason": "…"}`.
    """
    locale = api_locale()
    order = orders.customer_order(path.number, current_customer().id)
    order = orders.cancel_by_customer(order, reason=body.reason)
    with force_locale(locale):
        return order_out(order, locale)
