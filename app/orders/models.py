"""Orders. An order keeps a copy of everything it was placed with (names, prices, the
address), so later changes to the catalog or the address book never rewrite history. Contact
and address fields are sealed like all personal data."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, EncryptedText, UTCDateTime, encrypted_str, utc_now, utcnow
from app.digits import is_digits

# Where an order came from: the storefront, the mobile app (the API), the shop's phone desk
# (staff took it), a plan's renewal (the system placed it).
CHANNELS = ("web", "app", "phone", "subscription")


class Order(Base):
    __tablename__ = "orders_order"
    __table_args__ = (
        UniqueConstraint("number"),
        UniqueConstraint("idempotency_key"),
        CheckConstraint("total_cents >= 0", name="total_not_negative"),
        CheckConstraint("credit_cents >= 0 AND points_cents >= 0 "
                        "AND credit_cents + points_cents <= total_cents",
                        name="prepaid_within_total"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(24))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts_user.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(String(24), default="pending_payment", index=True)
    payment_method: Mapped[str] = mapped_column(String(16), index=True)
    payment_status: Mapped[str] = mapped_column(String(16), default="unpaid")
    locale: Mapped[str] = mapped_column(String(5), default="en")
    channel: Mapped[str] = mapped_column(String(16), default="web", server_default="web",
                                         index=True)
    # Who to tell: the customer's details at the time, or a guest's.
    contact_name: Mapped[encrypted_str]
    contact_email: Mapped[encrypted_str]
    contact_phone: Mapped[encrypted_str]
    # Where it goes; empty for services only and for collection from the shop.
    ship_recipient: Mapped[encrypted_str | None]
    ship_phone: Mapped[encrypted_str | None]
    ship_line1: Mapped[encrypted_str | None]
    ship_line2: Mapped[encrypted_str | None]
    ship_city: Mapped[encrypted_str | None]
    district: Mapped[str | None] = mapped_column(String(32), index=True)
    # Blind indexes of the contact phone and of the delivery address (accounts.addresses
    # place_index): checkout counts a phone's or a place's unpaid orders by them.
    contact_phone_index: Mapped[str | None] = mapped_column(String(64), index=True)
    place_index: Mapped[str | None] = mapped_column(String(64), index=True)
    postal_code: Mapped[str | None] = mapped_column(String(5))
    delivery_code: Mapped[str | None] = mapped_column(String(32))
    # The delivery option's name as it was, in each language (its code can be renamed).
    delivery_name: Mapped[str | None] = mapped_column(String(80))
    delivery_name_si: Mapped[str | None] = mapped_column(String(80))
    delivery_name_ta: Mapped[str | None] = mapped_column(String(80))
    subtotal_cents: Mapped[int]
    discount_cents: Mapped[int] = mapped_column(default=0)
    delivery_fee_cents: Mapped[int] = mapped_column(default=0)
    total_cents: Mapped[int]
    # Paid from the customer's store credit at checkout (a tender of its own in the payment
    # ledger); the rest, `due_cents`, is what the order's payment method collects.
    credit_cents: Mapped[int] = mapped_column(default=0, server_default="0")
    # Paid with loyalty points (their value then), a tender of its own too.
    points_cents: Mapped[int] = mapped_column(default=0, server_default="0")
    currency: Mapped[str] = mapped_column(String(3), default="LKR")
    # "<scope>:<key>": a retried checkout finds the order the first attempt made.
    idempotency_key: Mapped[str | None] = mapped_column(String(160))
    request_fingerprint: Mapped[str | None] = mapped_column(String(64))
    payment_due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)
    # Part of a guest's signed link: raising it revokes every link sent before.
    link_version: Mapped[int] = mapped_column(default=0, server_default="0")
    # Indexed for reports, which read orders by the days they were placed.
    placed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[utc_now]

    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderLine.id")
    events: Mapped[list[OrderEvent]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderEvent.id")
    adjustments: Mapped[list[OrderAdjustment]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderAdjustment.id",
        lazy="selectin")

    @property
    def due_cents(self) -> int:
        """What the payment method collects: the total less the store credit and the
        points spent."""
        return self.total_cents - (self.credit_cents or 0) - (self.points_cents or 0)

    @property
    def paid_with_money_cents(self) -> int:
        """What the customer pays in money (loyalty points are earned on this)."""
        return self.due_cents

    def adjustments_of(self, kind: str) -> list[OrderAdjustment]:
        """The discounts of one class: "line", "order" or "delivery"."""
        return [a for a in self.adjustments if a.kind == kind]

    @property
    def delivery_discount_cents(self) -> int:
        """Taken off the delivery fee (already out of `delivery_fee_cents`)."""
        return sum(a.amount_cents for a in self.adjustments_of("delivery"))

    def paid_for_lines(self) -> dict[int, int]:
        """What the customer paid for each line (line id -> cents): its total after its own
        discounts, less its share of the order discounts (shared by value, the cents left by
        rounding to the largest remainders), so the lines add up to exactly what was paid
        for goods. A partial refund of a line gives back this, for its units."""
        totals = {line.id: line.total_cents for line in self.lines}
        whole = sum(totals.values())
        off = min(self.discount_cents, whole)
        if not off or not whole:
            return totals
        shares = {i: off * t // whole for i, t in totals.items()}
        left = off - sum(shares.values())
        for i in sorted(totals, key=lambda i: (-(off * totals[i] % whole), i))[:left]:
            shares[i] += 1
        return {i: totals[i] - shares[i] for i in totals}

    @property
    def savings_cents(self) -> int:
        # Cashback is a reward paid into store credit later, not a saving on this price.
        return sum(a.amount_cents for a in self.adjustments if a.kind != "cashback") or (
            sum(line.discount_cents for line in self.lines) + self.discount_cents)

    @property
    def cashback_cents(self) -> int:
        return sum(a.amount_cents for a in self.adjustments_of("cashback"))

    def delivery_name_in(self, locale: str = "en") -> str | None:
        """The delivery option's name in `locale`, English where it had no translation."""
        if locale in ("si", "ta"):
            return getattr(self, f"delivery_name_{locale}", None) or self.delivery_name
        return self.delivery_name

    @property
    def needs_shipping(self) -> bool:
        return any(line.kind == "product" for line in self.lines)

    @property
    def is_services_only(self) -> bool:
        return bool(self.lines) and all(line.kind == "service" for line in self.lines)

    @property
    def has_visit(self) -> bool:
        """A service is done at the order's address."""
        return any(line.service_location == "address" for line in self.lines)


class OrderLine(Base):
    __tablename__ = "orders_order_line"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("fulfilled_quantity >= 0 AND fulfilled_quantity <= quantity",
                        name="fulfilled_within_quantity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders_order.id", ondelete="CASCADE"),
                                          index=True)
    # Kept as plain ids: the catalog may archive a product; the order keeps its copy.
    product_id: Mapped[int | None]
    variant_id: Mapped[int | None] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(String(10), default="product")
    sku: Mapped[str] = mapped_column(String(64))
    name_en: Mapped[str] = mapped_column(String(200))
    name_si: Mapped[str | None] = mapped_column(String(200))
    name_ta: Mapped[str | None] = mapped_column(String(200))
    # The variant's options as text at the time, in each language: "Size: L, Colour: Red".
    options: Mapped[str | None] = mapped_column(String(200))
    options_si: Mapped[str | None] = mapped_column(String(200))
    options_ta: Mapped[str | None] = mapped_column(String(200))
    slot_id: Mapped[int | None]
    # A service's place, copied from the catalog when ordered: "address" (at the order's
    # address), "shop" or "online"; None for products.
    service_location: Mapped[str | None] = mapped_column(String(10))
    slot_starts_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    unit_cents: Mapped[int]
    quantity: Mapped[int]
    discount_cents: Mapped[int] = mapped_column(default=0)
    total_cents: Mapped[int]
    fulfilled_quantity: Mapped[int] = mapped_column(default=0)

    order: Mapped[Order] = relationship(back_populates="lines")

    def name(self, locale: str = "en") -> str:
        return getattr(self, f"name_{locale}", None) or self.name_en

    def options_text(self, locale: str = "en") -> str:
        """The options as they read when the order was placed, in `locale` (English where
        the variant had no translation)."""
        if locale in ("si", "ta"):
            return getattr(self, f"options_{locale}", None) or self.options or ""
        return self.options or ""


class OrderEvent(Base):
    """One line of an order's timeline: a status change or a note, by whom and when.
    `public` events are shown to the customer; staff notes are not."""

    __tablename__ = "orders_order_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders_order.id", ondelete="CASCADE"),
                                          index=True)
    kind: Mapped[str] = mapped_column(String(24))  # status | note | shipment | return_request
    status: Mapped[str | None] = mapped_column(String(24))
    # The customer's words (a cancellation reason, a return request) or staff's: sealed.
    note: Mapped[str | None] = mapped_column(EncryptedText)
    actor_kind: Mapped[str] = mapped_column(String(10))  # customer | staff | system
    actor_id: Mapped[int | None]
    public: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[utc_now]

    order: Mapped[Order] = relationship(back_populates="events")
    # What went in a shipment: which lines, how many of each. Shipment events written
    # before these were stored kept the list as text ("TEA-1 × 2") in `note`.
    # Loaded with the events in one query (a timeline asks every event), not one per event.
    shipment_lines: Mapped[list[ShipmentLine]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="ShipmentLine.id",
        lazy="selectin")

    def shipped_items(self) -> list[tuple[OrderLine, int]]:
        """(order line, units) sent with this event. For an old shipment, read from its
        "SKU × n, ..." note when every SKU in it is one of the order's."""
        if self.shipment_lines:
            return [(s.line, s.quantity) for s in self.shipment_lines]
        if self.kind != "shipment" or not self.note:
            return []
        return _items_from_note(self.note, self.order.lines)

    @property
    def shown_note(self) -> str | None:
        """The note as people should read it: an old shipment's list of SKUs is shown as
        its items instead (see `shipped_items`)."""
        if self.kind == "shipment" and not self.shipment_lines and self.shipped_items():
            return None
        return self.note


class ShipmentLine(Base):
    """Units of one order line sent with one shipment (an order event)."""

    __tablename__ = "orders_shipment_line"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(
        ForeignKey("orders_order_event.id", ondelete="CASCADE"), index=True)
    order_line_id: Mapped[int] = mapped_column(
        ForeignKey("orders_order_line.id", ondelete="CASCADE"), index=True)
    quantity: Mapped[int]

    event: Mapped[OrderEvent] = relationship(back_populates="shipment_lines")
    line: Mapped[OrderLine] = relationship()


def _items_from_note(note: str, lines: list[OrderLine]) -> list[tuple[OrderLine, int]]:
    by_sku = {line.sku: line for line in lines}
    items = []
    for part in note.split(", "):
        sku, sep, units = part.rpartition(" × ")
        if not sep or sku not in by_sku or not is_digits(units):
            return []  # a tracking note staff typed, not a list of SKUs
        items.append((by_sku[sku], int(units)))
    return items


class OrderAdjustment(Base):
    """A discount as it was applied when the order was placed: which promotion and code, its
    label in each language and the amount. Invoices, the order page and refunds read these,
    never today's promotions. `line_id` is set for a line discount."""

    __tablename__ = "orders_order_adjustment"
    __table_args__ = (CheckConstraint("amount_cents > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders_order.id", ondelete="CASCADE"),
                                          index=True)
    line_id: Mapped[int | None] = mapped_column(
        ForeignKey("orders_order_line.id", ondelete="CASCADE"))
    # line | order | delivery, or cashback: paid into store credit later, not off the price
    kind: Mapped[str] = mapped_column(String(10))
    # Plain ids and copies: the promotion may be edited or deleted later.
    promotion_id: Mapped[int | None]
    rule: Mapped[str] = mapped_column(String(40))  # the pricing rule's code, e.g. "promo:12"
    voucher: Mapped[str | None] = mapped_column(String(32))
    label_en: Mapped[str] = mapped_column(String(160))
    label_si: Mapped[str | None] = mapped_column(String(160))
    label_ta: Mapped[str | None] = mapped_column(String(160))
    amount_cents: Mapped[int]

    order: Mapped[Order] = relationship(back_populates="adjustments")
    line: Mapped[OrderLine | None] = relationship()

    def label(self, locale: str = "en") -> str:
        return getattr(self, f"label_{locale}", None) or self.label_en
