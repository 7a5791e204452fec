"""The pricing pipeline: one function from cart lines to a priced summary.

    unit prices -> line discounts -> order discounts -> delivery fee -> delivery discounts
    -> total

The cart page, checkout, the API and the stored order all call `price`, so a shopper never
sees one figure on the cart and pays another. Promotions and plan benefits plug in as
`PricingRule`s (`register_rule`); each rule proposes discounts of three classes (line, order,
delivery), the pipeline clamps them so a line, an order or a fee never goes below zero, and
records each one with its label so the customer sees why a price changed. Rules run in the
order registered, each seeing the cart as the rules before it left it. VAT is worked out
from the total the customer pays, so it is always on the discounted price. Amounts are
integer cents of LKR throughout.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Protocol

from flask_babel import lazy_gettext as _l

from app.catalog import services as catalog
from app.checkout.models import DeliveryOption
from app.db import utcnow


@dataclass(frozen=True)
class Item:
    """What is being priced: a variant, how many, and for a service the slot booked."""

    variant_id: int
    quantity: int
    slot_id: int | None = None
    line_id: int | None = None  # the cart line it came from, when it did


@dataclass(frozen=True)
class Adjustment:
    """A discount (positive `amount_cents` lowers the price), with why. `labels` keeps the
    label in every language (en, si, ta) so an order can freeze it; `promotion_id` and
    `voucher` say where it came from."""

    code: str
    label: str
    amount_cents: int
    labels: dict = field(default_factory=dict, compare=False, hash=False)
    promotion_id: int | None = None
    voucher: str | None = None

    def label_in(self, locale: str) -> str:
        return self.labels.get(locale) or self.labels.get("en") or self.label

    def with_amount(self, amount_cents: int) -> Adjustment:
        return replace(self, amount_cents=amount_cents)


@dataclass
class PricedLine:
    item: Item
    product_id: int
    product_slug: str
    kind: str  # product | service
    sku: str
    category_id: int | None
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

    @property
    def at_customer_address(self) -> bool:
        return self.service_location == "address"

    # The options in Sinhala and Tamil ("si", "ta"); English is `options`.
    translated_options: dict[str, str] = field(default_factory=dict)

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
    base_fee_cents: int  # after the free-delivery threshold, before promotions
    list_fee_cents: int
    free_over_cents: int | None
    discounts: list[Adjustment] = field(default_factory=list)

    @property
    def discount_cents(self) -> int:
        return sum(d.amount_cents for d in self.discounts)

    @property
    def fee_cents(self) -> int:
        """What the customer pays for delivery."""
        return self.base_fee_cents - self.discount_cents


@dataclass(frozen=True)
class VoucherState:
    """What became of the code the shopper entered. `refusal` says why it does not apply
    (shown to the shopper); `note` says what is still to be checked (a district not chosen
    yet). Neither, and `applied` False: it applies but gives nothing on this cart yet."""

    code: str
    applied: bool = False
    refusal: str | None = None
    note: str | None = None


@dataclass
class PricedCart:
    lines: list[PricedLine]
    order_discounts: list[Adjustment]
    delivery: DeliveryQuote | None
    # Items no longer on sale (a product archived since it was added): shown, not charged.
    unavailable: list[Item]
    needs_delivery: bool
    district: str | None
    context: Context | None = None
    # The delivery option being priced (None on the cart page): rules that plan a delivery
    # discount read it through `quote_for`.
    delivery_option: DeliveryOption | None = None
    voucher: VoucherState | None = None
    # Why the discounts are what they are ("X was not combined with Y: Y saves more").
    explanations: list[str] = field(default_factory=list)
    nudges: list[str] = field(default_factory=list)
    # Given once the order is paid, not taken off the price (cashback to store credit).
    rewards: list[Adjustment] = field(default_factory=list)
    # Every delivery discount the rules proposed, as proposed: each re-quote keeps them
    # within the fee it finds, so one proposed while delivery was free (over the threshold)
    # still holds when a later discount brings the goods under it and the fee back.
    delivery_proposed: list[Adjustment] = field(default_factory=list)

    def quote_for(self, goods_cents: int) -> DeliveryQuote | None:
        """The delivery quote if the goods came to `goods_cents` (free over a threshold)."""
        if not self.needs_delivery:
            return None
        return quote_delivery(self.delivery_option, self.district, goods_cents,
                              self.context.locale if self.context else "en")

    @property
    def goods_cents(self) -> int:
        """The lines after line and order discounts: what the delivery threshold looks at."""
        return self.subtotal_cents - self.discount_cents

    @property
    def subtotal_cents(self) -> int:
        """The lines after their own discounts."""
        return sum(line.total_cents for line in self.lines)

    @property
    def discount_cents(self) -> int:
        """Order discounts (vouchers, offers); line discounts are inside the subtotal."""
        return sum(d.amount_cents for d in self.order_discounts)

    @property
    def delivery_discount_cents(self) -> int:
        return self.delivery.discount_cents if self.delivery else 0

    @property
    def savings_cents(self) -> int:
        """Everything promotions took off: lines, order and delivery."""
        return (sum(line.discount_cents for line in self.lines) + self.discount_cents
                + self.delivery_discount_cents)

    @property
    def adjustments(self) -> list[tuple[str, PricedLine | None, Adjustment]]:
        """Every discount as (class, line or None, adjustment), in the order applied."""
        found: list[tuple[str, PricedLine | None, Adjustment]] = [
            ("line", line, a) for line in self.lines for a in line.discounts]
        found += [("order", None, a) for a in self.order_discounts]
        found += [("delivery", None, a) for a in (self.delivery.discounts
                                                 if self.delivery else [])]
        found += [("cashback", None, a) for a in self.rewards]
        return found

    @property
    def cashback_cents(self) -> int:
        return sum(a.amount_cents for a in self.rewards)

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
    """What a rule may look at besides the lines. `phone` and `email` are known at checkout
    (a guest's contact, a customer's account); `orders_before` counts the customer's earlier
    orders, asked only by a rule that needs it (it costs a query)."""

    customer_id: int | None
    district: str | None
    locale: str
    voucher: str | None = None
    phone: str | None = None
    email: str | None = None
    orders_before: Callable[[], int] | None = field(default=None, compare=False)
    now: dt.datetime | None = None

    @property
    def moment(self) -> dt.datetime:
        return self.now or utcnow()


@dataclass
class Discounts:
    """What one rule proposes for a cart: line discounts by line index, order discounts,
    delivery discounts, and why (shown to the shopper and to staff)."""

    lines: dict[int, list[Adjustment]] = field(default_factory=dict)
    order: list[Adjustment] = field(default_factory=list)
    delivery: list[Adjustment] = field(default_factory=list)
    explanations: list[str] = field(default_factory=list)
    voucher: VoucherState | None = None
    # What the shopper could still get ("Add Rs. 1,250.00 more to get: free delivery").
    nudges: list[str] = field(default_factory=list)
    # Not discounts: given after the order is paid (cashback to store credit).
    rewards: list[Adjustment] = field(default_factory=list)


class PricingRule(Protocol):
    """A promotion engine or a plan benefit. Either `discounts(context, cart)` (the whole
    cart at once, so a rule can weigh lines together: buy 2 get 1, bundles), or the simpler
    `line_discounts(context, line)` and `order_discounts(context, cart)`. Return nothing
    when the rule does not apply. A rule may also offer `redeem(cart, order_number)` (called
    in the order's transaction; raise to refuse) and `knows_voucher(code)`."""

    def discounts(self, context: Context, cart: PricedCart) -> Discounts: ...


_rules: list = []


def register_rule(rule) -> None:
    """Add a rule to every price computed from now on (promotions and plans call this when
    the app starts)."""
    if rule not in _rules:
        _rules.append(rule)


def unregister_rule(rule) -> None:
    if rule in _rules:
        _rules.remove(rule)


@contextlib.contextmanager
def rule_applied(rule):
    """A rule for the length of a block (tests, previews)."""
    register_rule(rule)
    try:
        yield rule
    finally:
        unregister_rule(rule)


def _clamped(proposed: list[Adjustment], room_cents: int) -> list[Adjustment]:
    """Keep discounts within what is left to discount, in the order proposed."""
    kept = []
    for adjustment in proposed:
        if adjustment.amount_cents <= 0 or room_cents <= 0:
            continue
        amount = min(adjustment.amount_cents, room_cents)
        kept.append(adjustment if amount == adjustment.amount_cents
                    else adjustment.with_amount(amount))
        room_cents -= amount
    return kept


def quote_delivery(option: DeliveryOption | None, district: str | None, goods_cents: int,
                   locale: str = "en") -> DeliveryQuote | None:
    if option is None or not option.is_active or not option.serves(district):
        return None
    free = option.free_over_cents is not None and goods_cents >= option.free_over_cents
    return DeliveryQuote(option.code, option.name(locale), 0 if free else option.fee_cents,
                         option.fee_cents, option.free_over_cents)


def _requote(cart: PricedCart) -> None:
    """Price delivery again after discounts changed the goods' value (the free threshold),
    keeping the delivery discounts proposed so far within the new fee."""
    cart.delivery = cart.quote_for(cart.goods_cents)
    if cart.delivery is not None:
        cart.delivery.discounts = _clamped(cart.delivery_proposed,
                                           cart.delivery.base_fee_cents)


def _legacy(rule, context: Context, cart: PricedCart) -> Discounts:
    """A rule with per-line and per-order hooks, as one proposal."""
    found = Discounts()
    if hasattr(rule, "line_discounts"):
        for index, line in enumerate(cart.lines):
            found.lines[index] = rule.line_discounts(context, line)
    return found


def _apply(rule, context: Context, cart: PricedCart) -> None:
    proposal = (rule.discounts(context, cart) if hasattr(rule, "discounts")
                else _legacy(rule, context, cart))
    for index, proposed in proposal.lines.items():
        line = cart.lines[index]
        line.discounts = line.discounts + _clamped(proposed,
                                                   line.gross_cents - line.discount_cents)
    order = proposal.order
    if not hasattr(rule, "discounts") and hasattr(rule, "order_discounts"):
        order = rule.order_discounts(context, cart)
    cart.order_discounts = cart.order_discounts + _clamped(
        order, cart.subtotal_cents - cart.discount_cents)
    cart.delivery_proposed = cart.delivery_proposed + proposal.delivery
    _requote(cart)
    cart.explanations += proposal.explanations
    cart.nudges += proposal.nudges
    cart.rewards += [r for r in proposal.rewards if r.amount_cents > 0]
    if proposal.voucher is not None:
        cart.voucher = proposal.voucher


def price(items: list[Item], *, district: str | None = None,
          delivery: DeliveryOption | None = None, customer_id: int | None = None,
          voucher: str | None = None, locale: str = "en", phone: str | None = None,
          email: str | None = None, orders_before: Callable[[], int] | None = None,
          now: dt.datetime | None = None, rules: list | None = None,
          extra_rules: tuple = ()) -> PricedCart:
    """Price `items`. Items whose variant is not on sale are returned in `unavailable`.
    The delivery fee is charged only when goods need delivering and `delivery` serves
    `district`; `delivery` None leaves it unpriced (the cart page before checkout).
    `voucher` is the code the shopper entered: `PricedCart.voucher` says whether it applied
    and, if not, why. `rules` replaces the registered rules (a staff preview);
    `extra_rules` apply after them, to this cart only (a discount staff give by hand)."""
    variants = catalog.variants_for_sale([item.variant_id for item in items])
    slots = catalog.slots_by_id([item.slot_id for item in items if item.slot_id])
    voucher = (voucher or "").strip().upper() or None
    context = Context(customer_id, district, locale, voucher, phone, email, orders_before, now)
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
            sku=variant.sku, category_id=product.category_id,
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
    cart = PricedCart(lines, [], None, unavailable,
                      needs_delivery=any(line.kind == "product" for line in lines),
                      district=district, context=context, delivery_option=delivery)
    return apply_rules(cart, [*(_rules if rules is None else rules), *extra_rules])


def apply_rules(cart: PricedCart, rules: list) -> PricedCart:
    """Discount `cart` (lines priced, nothing applied yet) with `rules`, in order."""
    _requote(cart)
    for rule in list(rules):
        _apply(rule, cart.context, cart)
    voucher = cart.context.voucher if cart.context else None
    if voucher and cart.voucher is None:
        cart.voucher = VoucherState(voucher, refusal=str(UNKNOWN_CODE))
    return cart


UNKNOWN_CODE = _l("This code is not valid. Check it and try again.")


def redeem(cart: PricedCart, order_number: str) -> None:
    """Tell each rule that `cart` became order `order_number`, inside the order's
    transaction: a rule counts its uses there and raises to refuse (a code used up a moment
    ago), which rolls the order back."""
    for rule in list(_rules):
        if hasattr(rule, "redeem"):
            rule.redeem(cart, order_number)
