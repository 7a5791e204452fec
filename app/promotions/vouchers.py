"""Voucher codes and redemptions: finding a code, counting a customer's uses, and recording
an order's promotions in the order's own transaction.

Limits hold under concurrent checkouts because every count is a conditional update
(`... SET uses_count = uses_count + 1 WHERE uses_count < max_uses`, row count checked): of
fifty checkouts racing for a single-use code, one update matches and the others roll their
orders back with the reason. A cancelled order gives its uses and its discount back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select, update

from app import db
from app.accounts import services as accounts
from app.audit import services as audit
from app.db import transaction, utcnow
from app.errors import Invalid
from app.orders import services as orders
from app.promotions.models import Promotion, Redemption, VoucherCode
from app.promotions.offers import Offer, offer_with_sub_categories
from app.security.roles import Permission, require

CODE_PATTERN = re.compile(r"^[A-Z0-9-]{3,32}$")


class PromotionUnavailable(Invalid):
    """A promotion or code used by the cart ran out between pricing and placing."""

    code = "promotion_unavailable"


def normalise(code: str | None) -> str:
    """A code as stored: upper-case, without spaces around or inside."""
    return re.sub(r"\s+", "", code or "").upper()


@dataclass(frozen=True)
class CodeInfo:
    id: int
    code: str
    promotion_id: int
    max_uses: int | None
    uses_count: int

    @property
    def used_up(self) -> bool:
        return self.max_uses is not None and self.uses_count >= self.max_uses


def look_up(code: str | None) -> CodeInfo | None:
    code = normalise(code)
    if not CODE_PATTERN.match(code):
        return None
    row = db.session.execute(select(
        VoucherCode.id, VoucherCode.code, VoucherCode.promotion_id, VoucherCode.max_uses,
        VoucherCode.uses_count).where(VoucherCode.code == code)).first()
    return CodeInfo(*row) if row else None


def offer_of_code(code: CodeInfo) -> Offer | None:
    """The promotion behind a code, whatever its state (to say why it does not apply)."""
    promotion = db.session.get(Promotion, code.promotion_id)
    if promotion is None:
        return None
    return offer_with_sub_categories(promotion)


def _customer_match(user_id: int | None, phone: str | None, email: str | None):
    """Redemptions by this customer: the account, or the phone or email of any order."""
    who = []
    if user_id is not None:
        who.append(Redemption.user_id == user_id)
    if phone:
        who.append(Redemption.phone_index == accounts.phone_index(phone))
    if email:
        who.append(Redemption.email_index == accounts.email_index(email))
    return or_(*who) if who else None


def uses_by(promotion_id: int, user_id: int | None, phone: str | None,
            email: str | None) -> int:
    match = _customer_match(user_id, phone, email)
    if match is None:
        return 0
    return db.session.scalar(select(func.count()).select_from(Redemption).where(
        Redemption.promotion_id == promotion_id, Redemption.released_at.is_(None), match))


class Usage:
    """How often the customer of one pricing has used each promotion (asked only for
    promotions with a per-customer limit; one query each, remembered for the pricing)."""

    def __init__(self, context):
        self.context = context
        self._known: dict[int, int] = {}

    def __call__(self, offer: Offer) -> int:
        if offer.id not in self._known:
            c = self.context
            self._known[offer.id] = uses_by(offer.id, c.customer_id, c.phone, c.email)
        return self._known[offer.id]


LIMIT_REACHED = _l("An offer in your cart has just reached its limit. Your cart has been "
                   "priced again: check the total and place the order again.")
CODE_USED = _l("This code has just been used. Remove it to continue.")
ALREADY_USED = _l("You have already used this offer.")
FIRST_ORDER_ONLY = _l("This offer is for a first order only.")


def redeem(cart, order_number: str) -> None:
    """Count the promotions `cart` used for order `order_number`, inside the caller's
    transaction. Raises PromotionUnavailable (the caller rolls the order back)."""
    given: dict[int, int] = {}
    codes: dict[int, str] = {}
    for _, _line, adjustment in cart.adjustments:
        if adjustment.promotion_id is None:
            continue
        given[adjustment.promotion_id] = (given.get(adjustment.promotion_id, 0)
                                          + adjustment.amount_cents)
        if adjustment.voucher:
            codes[adjustment.promotion_id] = adjustment.voucher
    if not given:
        return
    context = cart.context
    with transaction():
        for promotion_id in sorted(given):  # one order of locks for every checkout
            amount = given[promotion_id]
            counted = db.session.execute(
                update(Promotion).where(
                    Promotion.id == promotion_id,
                    or_(Promotion.max_uses.is_(None), Promotion.uses_count < Promotion.max_uses),
                    or_(Promotion.max_discount_cents.is_(None),
                        Promotion.discount_given_cents + amount <= Promotion.max_discount_cents))
                .values(uses_count=Promotion.uses_count + 1,
                        discount_given_cents=Promotion.discount_given_cents + amount)
                .execution_options(synchronize_session=False)).rowcount
            if counted != 1:
                raise PromotionUnavailable(LIMIT_REACHED, field="voucher")
            code_id = None
            if promotion_id in codes:
                code_id = db.session.scalar(select(VoucherCode.id).where(
                    VoucherCode.code == codes[promotion_id]))
                taken = db.session.execute(
                    update(VoucherCode).where(
                        VoucherCode.id == code_id,
                        or_(VoucherCode.max_uses.is_(None),
                            VoucherCode.uses_count < VoucherCode.max_uses))
                    .values(uses_count=VoucherCode.uses_count + 1)
                    .execution_options(synchronize_session=False)).rowcount
                if taken != 1:
                    raise PromotionUnavailable(CODE_USED, field="voucher")
            per_customer, first_only = db.session.execute(select(
                Promotion.max_uses_per_customer, Promotion.first_order_only).where(
                Promotion.id == promotion_id)).one()
            if per_customer is not None and uses_by(
                    promotion_id, context.customer_id, context.phone,
                    context.email) >= per_customer:
                raise PromotionUnavailable(ALREADY_USED, field="voucher")
            # Counted again here: the cart was priced before this shopper's other checkouts
            # committed (checkout makes them wait for each other only from its transaction).
            if first_only and orders.orders_before(
                    user_id=context.customer_id, phone=context.phone,
                    excluding=order_number) > 0:
                raise PromotionUnavailable(FIRST_ORDER_ONLY, field="voucher")
            db.session.add(Redemption(
                promotion_id=promotion_id, code_id=code_id, order_number=order_number,
                user_id=context.customer_id,
                phone_index=accounts.phone_index(context.phone) if context.phone else None,
                email_index=accounts.email_index(context.email) if context.email else None,
                amount_cents=amount))
        db.session.flush()


def release(order_number: str) -> int:
    """Give back what order `order_number` used (it was cancelled, or refunded in full
    before it was sent): its uses, its codes' uses and its discount return to the
    promotions' limits. Returns how many promotions."""
    with transaction():
        found = db.session.scalars(select(Redemption).where(
            Redemption.order_number == order_number, Redemption.released_at.is_(None))
            .with_for_update()).all()
        for redemption in found:
            redemption.released_at = utcnow()
            db.session.execute(update(Promotion).where(Promotion.id == redemption.promotion_id)
                               .values(uses_count=Promotion.uses_count - 1,
                                       discount_given_cents=Promotion.discount_given_cents
                                       - redemption.amount_cents)
                               .execution_options(synchronize_session=False))
            if redemption.code_id is not None:
                db.session.execute(update(VoucherCode).where(
                    VoucherCode.id == redemption.code_id)
                    .values(uses_count=VoucherCode.uses_count - 1)
                    .execution_options(synchronize_session=False))
        db.session.flush()
    return len(found)


def redemptions_of(order_number: str) -> list[Redemption]:
    """The promotions an order used (released ones too), oldest first."""
    return list(db.session.scalars(select(Redemption).where(
        Redemption.order_number == order_number).order_by(Redemption.id)))


def give_back(order_number: str, *, actor) -> int:
    """Staff return a refunded order's uses to its promotions (a refund keeps them unless
    staff choose: a customer refunded in full may deserve the code again). Audited.
    Returns how many promotions got a use back."""
    require(actor, Permission.MANAGE_ORDERS)
    with transaction():
        count = release(order_number)
        if count:
            audit.record("promotions.uses_given_back", actor_id=actor.id if actor else None,
                         target_type="order", target_id=order_number, promotions=count)
    return count
