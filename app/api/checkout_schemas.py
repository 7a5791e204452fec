"""Query strings, bodies and answers of the cart, delivery, checkout and order routes, as
pydantic models; the OpenAPI document is made from them.

No price is ever taken from a client: a cart line is a variant, a quantity and (for a
service) a slot, and every amount in an answer comes from the pricing pipeline or, for a
placed order, from the copy the order keeps. Bodies refuse unknown fields (a `unit_price`
sent along is a 422, not silently ignored), and numbers must be JSON integers: `"2"`, `2.5`
and `true` are not quantities.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    StringConstraints as Text,
    model_validator,
)

from app.accounts.districts import district_name
from app.api.catalog_schemas import Kind, Money, ServiceLocation
from app.api.pagination import Page
from app.api.schemas import (
    ID_MAX,
    NO_CONTROLS_PATTERN,
    AddressIn,
    Body,
    District,
    Id,
    Language,
    Output,
    Timestamp,
    _no_control_characters,
)
from app.checkout.cart import MAX_QUANTITY
from app.orders.models import CHANNELS
from app.orders.services import MAX_NOTE
from app.orders.statuses import STATUSES

IDEMPOTENCY_KEY_MAX = 100
MAX_CREDIT_CENTS = 10**12  # far above any wallet; keeps the number a 64-bit integer
IDEMPOTENCY_HEADER = "Idempotency-Key"

# In a body, ids and quantities are JSON integers and nothing else.
StrictId = Annotated[int, Strict(), Field(ge=1, le=ID_MAX)]
Quantity = Annotated[int, Strict(), Field(ge=1, le=MAX_QUANTITY,
                                          description=f"1 to {MAX_QUANTITY}.")]
DeliveryCode = Annotated[str, Text(pattern=r"^[a-z0-9_-]{1,32}$"),
                         Field(description="A delivery option's `code` from "
                                           "GET /delivery-options.",
                               examples=["island-wide"])]
OrderNumber = Annotated[str, Text(min_length=1, max_length=24),
                        AfterValidator(_no_control_characters),
                        Field(json_schema_extra={"pattern": NO_CONTROLS_PATTERN},
                              examples=["KD-2026-000123"])]
Status = Literal[STATUSES]
Channel = Literal[CHANNELS]
PaymentMethod = Literal["cod", "bank_transfer", "payhere"]


def _drop_null_defaults(schema: dict) -> None:
    # A parameter left out is simply not used; `null` is not a value to send.
    for prop in schema.get("properties", {}).values():
        if "default" in prop and prop["default"] is None:
            del prop["default"]


# Delivery options

class DeliveryOptionsQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    district: District = Field(description="One of the 25 district codes: where the goods "
                                           "go.")


class DeliveryOptionOut(Output):
    code: str = Field(description="What `delivery_option` names at checkout.")
    name: str = Field(description="In the language of Accept-Language, English fallback.")
    fee: Money = Field(description="The fee before the free-delivery threshold.")
    free_over: Money | None = Field(description="Goods worth at least this (after "
                                                "discounts) go free; null: never free.")
    min_days: int = Field(description="Working days to deliver, at the soonest.")
    max_days: int
    is_pickup: bool = Field(description="Collected from the shop: no delivery to the "
                                        "address.")

    @classmethod
    def of(cls, option, locale: str) -> DeliveryOptionOut:
        return cls(code=option.code, name=option.name(locale), fee=Money.of(option.fee_cents),
                   free_over=Money.of(option.free_over_cents), min_days=option.min_days,
                   max_days=option.max_days, is_pickup=option.is_pickup)


class DeliveryOptionList(Output):
    """The active options serving a district, cheapest first."""

    items: list[DeliveryOptionOut]


# The cart

class CartQuery(BaseModel):
    """Both or neither: the delivery option to price, for the district the goods go to."""

    model_config = ConfigDict(extra="ignore", json_schema_extra=_drop_null_defaults)

    district: District = Field(None, description="Where the goods go; needed with "
                                                 "`delivery_option`.")
    delivery_option: DeliveryCode = Field(None, description="Price delivery with this "
                                                            "option (it must serve "
                                                            "`district`).")


class CartItemIn(Body):
    variant_id: StrictId = Field(description="A variant's `id` from GET /products/{slug}.")
    quantity: Quantity = 1
    slot_id: StrictId | None = Field(None, description="Services: the booked time, an `id` "
                                                       "of the product's `next_slots`. "
                                                       "Products: leave out.")


class CartItemPatch(Body):
    quantity: Quantity = Field(description=f"The new quantity, 1 to {MAX_QUANTITY}; remove "
                                           "a line with DELETE.")


class CartItemPath(BaseModel):
    item_id: Id


class SlotRef(Output):
    id: int
    starts_at: Timestamp


class AdjustmentOut(Output):
    code: str = Field(description="The pricing rule (`promo:12` for promotion 12).")
    label: str = Field(description="Why the price changed, for the customer to read, in the "
                                   "language of Accept-Language.")
    amount: Money
    promotion_id: int | None = Field(None, description="The promotion that gave it, if one.")
    voucher: str | None = Field(None, description="The voucher code that unlocked it, if one.")

    @classmethod
    def of(cls, adjustment, locale: str) -> AdjustmentOut:
        return cls(code=adjustment.code, label=adjustment.label_in(locale),
                   amount=Money.of(adjustment.amount_cents),
                   promotion_id=adjustment.promotion_id, voucher=adjustment.voucher)


class VoucherOut(Output):
    """The code on my cart and what became of it."""

    code: str
    applied: bool = Field(description="It gives a discount on the cart as it is now.")
    message: str | None = Field(description="Why it does not apply (`applied` false), or what "
                                            "is still to be checked (the district, at "
                                            "checkout); null when applied.")

    @classmethod
    def of(cls, state) -> VoucherOut | None:
        if state is None:
            return None
        return cls(code=state.code, applied=state.applied,
                   message=None if state.applied else (state.refusal or state.note))


class VoucherIn(BaseModel):
    code: str = Field(min_length=1, max_length=40, examples=["WELCOME10"],
                      description="Any case; spaces are ignored.")


class CartItemOut(Output):
    """A cart line, priced now."""

    id: int = Field(description="The line's id, for PATCH and DELETE /cart/items/{id}.")
    variant_id: int
    sku: str
    product_slug: str
    name: str = Field(description="In the language of Accept-Language, English fallback.")
    options: str | None = Field(description="The variant's options as text "
                                            "(`weight: 500 g`), in the language of "
                                            "Accept-Language where staff translated them; "
                                            "null when it has none.")
    kind: Kind
    slot: SlotRef | None = Field(description="Services: the booked time.")
    service_location: ServiceLocation | None = Field(
        None, description="Services: where it happens (`address`: at my address, which "
        "must be in one of `service_districts`; `shop`; `online`); null for goods.")
    service_districts: list[str] = Field(
        default_factory=list, description="Services at my address: the district codes served.")
    quantity: int
    unit_price: Money
    discount: Money = Field(description="Line discounts, for all its units.")
    discounts: list[AdjustmentOut] = Field(default_factory=list,
                                           description="The line discounts one by one.")
    total: Money = Field(description="unit_price × quantity − discount.")
    problem: str | None = Field(description="Why the line cannot be bought as it is now "
                                            "(not enough in stock, the time is gone); null "
                                            "when it can.")

    @classmethod
    def of(cls, line, problem: str | None, locale: str) -> CartItemOut:
        item = line.item
        slot = (SlotRef(id=item.slot_id, starts_at=line.slot_starts_at)
                if item.slot_id and line.slot_starts_at else None)
        return cls(id=item.line_id, variant_id=item.variant_id, sku=line.sku,
                   product_slug=line.product_slug, name=line.name(locale),
                   options=line.options_text(locale) or None, kind=line.kind, slot=slot,
                   service_location=line.service_location,
                   service_districts=list(line.service_districts)
                   if line.at_customer_address else [],
                   quantity=line.quantity, unit_price=Money.of(line.unit_cents),
                   discount=Money.of(line.discount_cents),
                   discounts=[AdjustmentOut.of(a, locale) for a in line.discounts],
                   total=Money.of(line.total_cents), problem=problem)


class UnavailableItemOut(Output):
    """A line whose item is not on sale any more: not priced, and in the way of checkout
    until it is removed."""

    id: int
    variant_id: int
    quantity: int
    problem: str


class DeliveryRef(Output):
    code: str
    name: str


class CartOut(Output):
    """My open cart, priced by the pricing pipeline: unit prices, line discounts, order
    discounts, delivery fee, total."""

    items: list[CartItemOut] = Field(description="Oldest line first.")
    unavailable: list[UnavailableItemOut] = Field(description="Lines no longer on sale; "
                                                              "remove them to check out.")
    item_count: int = Field(description="Units over the priced lines.")
    needs_delivery: bool = Field(description="It holds goods (services need no delivery).")
    needs_address: bool = Field(
        False, description="Checkout needs an address: goods to deliver, or a service done "
        "at my address (its district must be one the service covers).")
    subtotal: Money = Field(description="The lines after their own discounts.")
    order_discounts: list[AdjustmentOut]
    discount: Money = Field(description="The order discounts together.")
    delivery: DeliveryRef | None = Field(description="The option priced, when one was asked "
                                                     "for and the cart needs delivery.")
    delivery_fee: Money | None = Field(description="Null until a delivery option (with "
                                                   "its district) is asked for; after its "
                                                   "`delivery_discounts`.")
    delivery_discounts: list[AdjustmentOut] = Field(default_factory=list)
    total: Money = Field(description="subtotal − discount + delivery fee.")
    savings: Money = Field(description="Everything discounts took off: lines, order and "
                                       "delivery.")
    voucher: VoucherOut | None = Field(None, description="The code entered with PUT "
                                                         "/cart/voucher, if any.")
    explanations: list[str] = Field(default_factory=list, description=(
        "Why promotions were left out (one could not be combined with a better one)."))
    nudges: list[str] = Field(default_factory=list, description=(
        "What a little more would earn (\"Add Rs. 1,250.00 more to get: free delivery.\")."))
    can_check_out: bool = Field(description="Something to buy, and no line with a problem "
                                            "or no longer on sale.")


# Checkout

class CheckoutHeaders(BaseModel):
    """The request's headers; only the idempotency key is read."""

    model_config = ConfigDict(extra="ignore")

    idempotency_key: Annotated[str, Text(min_length=1, max_length=IDEMPOTENCY_KEY_MAX,
                                         pattern=r"^[!-~]+$")] = Field(
        alias=IDEMPOTENCY_HEADER,
        description="A key the app makes once per order it means to place (a UUID), and "
                    "sends again when it retries: the same key with the same body answers "
                    "the first order, never a second one. 1 to 100 visible ASCII "
                    "characters.",
        examples=["5f1c3f0e-8a5e-4c1d-9a44-6f0f7f6d1b2a"])

    @model_validator(mode="before")
    @classmethod
    def _header_name(cls, data):
        # APIFlask hands headers over as `idempotency_key`; errors should name the header.
        if isinstance(data, dict) and "idempotency_key" in data:
            data = {**data, IDEMPOTENCY_HEADER: data["idempotency_key"]}
        return data


class CheckoutIn(Body):
    address_id: StrictId | None = Field(None, description="One of my addresses (GET "
                                                          "/me/addresses) …")
    address: AddressIn | None = Field(None, description="… or a new address (not saved to "
                                                        "the address book). Not both.")
    delivery_option: DeliveryCode | None = Field(None, description="Needed when the cart "
                                                                   "holds goods; it must "
                                                                   "serve the address's "
                                                                   "district.")
    payment_method: PaymentMethod = Field(description="`cod` (cash on delivery: the order "
                                                      "is confirmed at once), "
                                                      "`bank_transfer` (the order waits "
                                                      "for the money until "
                                                      "`payment_due_at`) or `payhere` "
                                                      "(card, eZ Cash or online banking on "
                                                      "PayHere's hosted checkout: the "
                                                      "answer's `payment` is the form to "
                                                      "post; refused with a 422 when the "
                                                      "shop has no PayHere account).")
    locale: Language | None = Field(None, description="The language of the order's mails "
                                                      "and papers; Accept-Language's when "
                                                      "left out.")
    store_credit_cents: Annotated[int, Strict(), Field(ge=0, le=MAX_CREDIT_CENTS)] = Field(
        0, description="How much of my store credit (GET /me/wallet) to spend on it, in "
                       "cents; at most the total is spent. When it covers the total, the "
                       "order is paid (`payment_method` `store_credit`) and "
                       "`payment_method` here is not used. Refused with a 409 "
                       "(`not_enough_credit`) when I hold less.")
    points: Annotated[int, Strict(), Field(ge=0, le=MAX_CREDIT_CENTS)] = Field(
        0, description="How many of my loyalty points (GET /me/points) to spend on it; at "
                       "most the points whose value pays what store credit leaves. Refused "
                       "with a 409 (`not_enough_credit`, on `points`) when I hold fewer.")


# Orders

class OrderPath(BaseModel):
    number: OrderNumber


class CancelIn(Body):
    reason: Annotated[str, Text(strip_whitespace=True, max_length=MAX_NOTE),
                      AfterValidator(_no_control_characters),
                      Field(json_schema_extra={"pattern": NO_CONTROLS_PATTERN})] | None = \
        Field(None, description="Why, in a few words (optional). Send `{}` for none.")


class OrderLineOut(Output):
    id: int
    variant_id: int | None
    sku: str
    name: str = Field(description="As ordered, in the language of Accept-Language.")
    options: str | None = Field(description="As ordered (`Size: L`), in the language of "
                                            "Accept-Language where it had a translation.")
    kind: Kind
    slot_starts_at: Timestamp | None = Field(description="Services: the booked time.")
    service_location: ServiceLocation | None = Field(
        None, description="Services: where it happens (`address`: at the order's `address`; "
        "`shop`; `online`); null for goods.")
    quantity: int
    fulfilled_quantity: int = Field(description="Units sent so far.")
    unit_price: Money
    discount: Money
    total: Money


class OrderAdjustmentOut(Output):
    kind: Literal["line", "order", "delivery", "cashback"] = Field(
        description="`cashback` is not off the price: it comes to my store credit once the "
                    "order is paid.")
    line_id: int | None = Field(description="The line it came off (`lines[].id`), for a line "
                                            "discount.")
    label: str = Field(description="In the language of Accept-Language, as it read then.")
    amount: Money
    promotion_id: int | None
    voucher: str | None


class OrderAddressOut(Output):
    recipient: str
    phone: str
    line1: str
    line2: str | None
    city: str
    district: District
    district_name: str = Field(description="In the language of Accept-Language.")
    postal_code: str | None


class ShippedItemOut(Output):
    line_id: int = Field(description="The order line (`lines[].id`).")
    name: str = Field(description="In the language of Accept-Language.")
    quantity: int = Field(description="Units sent with this event.")


class TimelineEventOut(Output):
    kind: Literal["status", "note", "shipment", "return_request"]
    status: Status | None = Field(description="The status reached (`kind` status).")
    status_label: str | None = Field(description="The status as the customer reads it, in "
                                                 "the language of Accept-Language.")
    note: str | None
    items: list[ShippedItemOut] = Field(
        default_factory=list, description="What left the shop with this event (a shipment, "
                                          "or the status that sent the rest).")
    at: Timestamp


class _OrderFields(Output):
    number: str = Field(examples=["KD-2026-000123"])
    status: Status
    status_label: str = Field(description="In the language of Accept-Language "
                                          "(`processing` reads Confirmed).")
    payment_method: str = Field(examples=["cod", "bank_transfer"])
    payment_status: str = Field(examples=["unpaid", "paid"])
    channel: Channel = Field(
        description="Where the order came from: the web shop, the app (this API), a phone "
                    "order staff took, a plan's renewal.")
    placed_at: Timestamp
    total: Money
    store_credit: Money = Field(description="Paid from my store credit.")
    points_value: Money = Field(description="Paid with my loyalty points (their value).")
    due: Money = Field(description="What the payment method collects: `total` less "
                                   "`store_credit` and `points_value`.")
    can_cancel: bool = Field(description="POST /orders/{number}/cancel would succeed.")


class OrderSummary(_OrderFields):
    """An order as my list shows it."""

    item_count: int = Field(description="Units over its lines.")


class OrderPage(Page[OrderSummary]):
    """One page of my orders, newest first."""


class OrderOut(_OrderFields):
    """One of my orders, with its lines, totals as charged and its timeline."""

    payment_due_at: Timestamp | None = Field(description="Bank transfer: when an unpaid "
                                                          "order is cancelled.")
    lines: list[OrderLineOut]
    subtotal: Money
    discount: Money = Field(description="The order discounts together (line discounts are "
                                        "in each line's total).")
    delivery_fee: Money = Field(description="As charged, after delivery discounts.")
    adjustments: list[OrderAdjustmentOut] = Field(
        default_factory=list, description="Every discount as it was applied when the order "
                                          "was placed.")
    delivery: DeliveryRef | None = Field(description="How it is delivered, named as when "
                                                     "it was placed (English); null for "
                                                     "services only.")
    address: OrderAddressOut | None = Field(description="Where it goes, or where a service "
                                                        "is done at my address; null for "
                                                        "services at the shop or online only "
                                                        "and collection from the shop.")
    timeline: list[TimelineEventOut] = Field(description="What happened, oldest first.")


def order_address(order, locale: str) -> OrderAddressOut | None:
    if not order.ship_line1:
        return None
    return OrderAddressOut(recipient=order.ship_recipient or "", phone=order.ship_phone or "",
                           line1=order.ship_line1, line2=order.ship_line2,
                           city=order.ship_city or "", district=order.district,
                           district_name=district_name(order.district, locale),
                           postal_code=order.postal_code)


class HostedCheckoutOut(Output):
    """PayHere's hosted checkout for the order: POST `fields` to `action` as an HTML form
    (application/x-www-form-urlencoded) in a browser or web view. PayHere sends the shopper
    back to `fields.return_url` (or `cancel_url`), pages of the shop that show what the
    shop has heard from PayHere; the order becomes `paid` only when PayHere's own
    notification reaches the shop, so read GET /orders/{number} afterwards."""

    action: str = Field(description="Where to post the form: PayHere's checkout (live or "
                                    "sandbox), or, on a development server, the shop's "
                                    "built-in sandbox.",
                        examples=["https://sandbox.payhere.lk/pay/checkout"])
    fields: dict[str, str] = Field(
        description="PayHere's form fields, in PayHere's names, to send unchanged: "
                    "merchant_id, return_url, cancel_url, notify_url, first_name, last_name, "
                    "email, phone, address, city, country, order_id, items, currency, amount "
                    "(two decimals) and hash (PayHere's checksum over the merchant, order, "
                    "amount and currency: change any of them and PayHere refuses the form).",
        examples=[{"merchant_id": "1211149", "order_id": "KD-2026-000123",
                   "amount": "1250.00", "currency": "LKR",
                   "hash": "FBF0F0A444397D232515C97D50D705CE"}])


class CheckoutOut(OrderOut):
    """The order placed, and for `payhere` the form that pays it."""

    payment: HostedCheckoutOut | None = Field(
        description="`payhere` while the order waits for payment: the hosted-checkout form "
                    "to post. Null for the other methods (and for a retry answering an "
                    "order paid meanwhile).")
