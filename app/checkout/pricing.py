"""The pricing pipeline: one function from cart lines to a priced summary.

    unit prices -> line discounts -> order discounts -> delivery fee -> total

The cart page, checkout, the API and the stored order all call `price`, so a shopper never
sees one figure on the cart and pays another. Promotions and plan benefits plug in as
`PricingRule`s (`register_rule`); each rule proposes discounts, the pipeline clamps them so a
line or an order never goes below zero, and records each one with its label so the
customer sees why a price changed. Amounts are integer cents of LKR throughout.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Protocol

from app.catalog import services as catalog
from app.checkout.models import DeliveryOption


@dataclass(frozen=True)
class Item:
    """What is being priced: a variant, how many, and for a service the slot booked."""

    variant_id: int
    quantity: int
    slot_id: int | None = None
    line_id: int | None = None  # the cart line it came from, when it did


@dataclass(frozen=True)
class Adjustment:
    """A discount (positive `amount_cents` lowers the price), with why."""

    code: str
    label: str
    amount_cents: int


@dataclass
class PricedLine:
    item: Item
    product_id: int
    product_slug: str
    kind: str  # product | service
    sku: str
    names: dict[str, str]
    options: str
    unit_cents: int
    compare_at_cents: int | None
    image_key: str | None
    slot_starts_at: object | None = None
    discounts: list[Adjustment] = field(default_factory=list)
    # Services only: where it happens ("address", "shop", "online") and, at the customer's
    # address, the district codes served.
    service_location: str | None = None
    service_districts: tuple[str, ...] = ()

    # The options in Sinhala and Tamil ("si", "ta"); English is `options`.
    translated_options: dict[str, str] = field(default_factory=dict)

    @property
    def at_customer_address(self) -> bool:
        return self.service_location == "address"

    def options_text(self, locale: str = "en") -> str:
        return self.translated_options.get(locale) or self.options

    @property
    def quantity(self) -> int:
        return self.item.quantity

    @property
    def gross_cents(self) -> int:
        return self.unit_cents * self.quantity

    @property
    def discount_cents(self) -> int:
        return sum(d.amount_cents for d in self.discounts)

    @property
    def total_cents(self) -> int:
        return self.gross_cents - self.discount_cents

    def name(self, locale: str = "en") -> str:
        return self.names.get(locale) or self.names["en"]


@dataclass
class DeliveryQuote:
    code: str
    name: str
    fee_cents: int  # after the free-delivery threshold
    list_fee_cents: int
    free_over_cents: int | None


@dataclass
class PricedCart:
    lines: list[PricedLine]
    order_discounts: list[Adjustment]
    delivery: DeliveryQuote | None
    # Items no longer on sale (a product archived since it was added): shown, not charged.
    unavailable: list[Item]
    needs_delivery: bool
    district: str | None

    @property
    def subtotal_cents(self) -> int:
        """The lines after their own discounts."""
        return sum(line.total_cents for line in self.lines)

    @property
    def discount_cents(self) -> int:
        """Order discounts (vouchers, offers); line discounts are inside the subtotal."""
        return sum(d.amount_cents for d in self.order_discounts)

    @property
    def savings_cents(self) -> int:
        return sum(line.discount_cents for line in self.lines) + self.discount_cents

    @property
    def delivery_fee_cents(self) -> int:
        return self.delivery.fee_cents if self.delivery else 0

    @property
    def total_cents(self) -> int:
        return self.subtotal_cents - self.discount_cents + self.delivery_fee_cents

    @property
    def item_count(self) -> int:
        return sum(line.quantity for line in self.lines)

    @property
    def visits(self) -> list[PricedLine]:
        """Services done at the customer's address."""
        return [line for line in self.lines if line.at_customer_address]

    @property
    def needs_address(self) -> bool:
        """An address is asked for: goods to deliver, or a service at the customer's."""
        return self.needs_delivery or bool(self.visits)


@dataclass(frozen=True)
class Context:
    """What a rule may look at besides the lines."""

    customer_id: int | None
    district: str | None
    locale: str
    voucher: str | None = None


class PricingRule(Protocol):
    """A promotion or plan benefit. Both methods return proposed discounts; return [] when
    the rule does not apply."""

    def line_discounts(self, context: Context, line: PricedLine) -> list[Adjustment]: ...

    def order_discounts(self, context: Context, cart: PricedCart) -> list[Adjustment]: ...


_rules: list[PricingRule] = []


def register_rule(rule: PricingRule) -> None:
    """Add a rule to every price computed from now on (promotions and plans call this when
    the app starts)."""
    if rule not in _rules:
        _rules.append(rule)


@contextlib.contextmanager
def rule_applied(rule: PricingRule):
    """A rule for the length of a block (tests, previews)."""
    register_rule(rule)
    try:
        yield rule
    finally:
        _rules.remove(rule)


def _clamped(proposed: list[Adjustment], room_cents: int) -> list[Adjustment]:
    """Keep discounts within what is left to discount, in the order proposed."""
    kept = []
    for adjustment in proposed:
        if adjustment.amount_cents <= 0 or room_cents <= 0:
            continue
        amount = min(adjustment.amount_cents, room_cents)
        kept.append(Adjustment(adjustment.code, adjustment.label, amount))
        room_cents -= amount
    return kept


def quote_delivery(option: DeliveryOption | None, district: str | None, goods_cents: int,
                   locale: str = "en") -> DeliveryQuote | None:
    if option is None or not option.is_active or not option.serves(district):
        return None
    free = option.free_over_cents is not None and goods_cents >= option.free_over_cents
    return DeliveryQuote(option.code, option.name(locale), 0 if free else option.fee_cents,
                         option.fee_cents, option.free_over_cents)


def price(items: list[Item], *, district: str | None = None,
          delivery: DeliveryOption | None = None, customer_id: int | None = None,
          voucher: str | None = None, locale: str = "en") -> PricedCart:
    """Price `items`. Items whose variant is not on sale are returned in `unavailable`.
    The delivery fee is charged only when goods need delivering and `delivery` serves
    `district`; `delivery` None leaves it unpriced (the cart page before checkout)."""
    variants = catalog.variants_for_sale([item.variant_id for item in items])
    slots = catalog.slots_by_id([item.slot_id for item in items if item.slot_id])
    context = Context(customer_id, district, locale, voucher)
    lines, unavailable = [], []
    for item in items:
        variant = variants.get(item.variant_id)
        if variant is None or item.quantity <= 0:
            unavailable.append(item)
            continue
        product = variant.product
        image = next((i.key for i in product.images if i.variant_id in (None, variant.id)),
                     None)
        slot = slots.get(item.slot_id) if item.slot_id else None
        lines.append(PricedLine(
            item=item, product_id=product.id, product_slug=product.slug, kind=product.kind,
            sku=variant.sku,
            names={lang: product.text("name", lang) for lang in ("en", "si", "ta")},
            options=variant.options_text("en"),
            translated_options={lang: text for lang in ("si", "ta")
                                if (text := variant.options_text(lang)) != variant.options_text()},
            unit_cents=variant.price_cents,
            compare_at_cents=variant.compare_at_cents, image_key=image,
            slot_starts_at=slot.starts_at if slot else None,
            service_location=(product.service_location or "shop") if product.is_service
            else None,
            service_districts=tuple(product.service_districts or ())))
    for line in lines:
        proposed = [a for rule in _rules for a in rule.line_discounts(context, line)]
        line.discounts = _clamped(proposed, line.gross_cents)
    cart = PricedCart(lines, [], None, unavailable,
                      needs_delivery=any(line.kind == "product" for line in lines),
                      district=district)
    proposed = [a for rule in _rules for a in rule.order_discounts(context, cart)]
    cart.order_discounts = _clamped(proposed, cart.subtotal_cents)
    if cart.needs_delivery:
        cart.delivery = quote_delivery(delivery, district,
                                       cart.subtotal_cents - cart.discount_cents, locale)
    return cart
