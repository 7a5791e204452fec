"""Personal vouchers: one customer's single-use code for one product, made by the system (the
recommender's personal offers), not by staff.

Each is a promotion of its own, hidden (not public, a code needed), limited to its customer
(`segment_customer_ids`), to one use, and to its window, and marked `personal`: the engine
checks it like any other once a cart carries its code, but never loads it with the running
promotions every cart and card is priced against (a shop sends thousands a night). Nothing
public changes, so the pages' badges and caches are left alone, and the staff's list of
promotions leaves them out (the personal offers' own report counts them).
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from sqlalchemy import select

from app import db
from app.db import transaction, utcnow
from app.orders import history
from app.promotions.admin import CODE_ALPHABET
from app.promotions.models import Promotion, Redemption, VoucherCode

CODE_LENGTH = 8
BATCH = "personal-offer"


@dataclass(frozen=True)
class PersonalVoucher:
    promotion_id: int
    code: str


def _fresh_code(prefix: str) -> str:
    while True:  # 31^8: a clash is one in a trillion; drawn again if it happens
        code = prefix + "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if db.session.scalar(select(VoucherCode.id).where(VoucherCode.code == code)) is None:
            return code


def make(*, customer_id: int, product_id: int, names: dict[str, str | None],
         percent: int | None = None, amount_cents: int | None = None, days: int,
         prefix: str = "FOR-", now: dt.datetime | None = None) -> PersonalVoucher:
    """A single-use voucher for `customer_id`: `percent` off `product_id`, or `amount_cents`
    off it (once, whatever the quantity), from now for `days`. `names` are the promotion's
    name per language (en, si, ta), as the customer sees it at checkout. Joins the caller's
    transaction."""
    if (percent is None) == (amount_cents is None):
        raise ValueError("give percent or amount_cents")
    now = now or utcnow()
    with transaction():
        promotion = Promotion(
            name_en=names["en"], name_si=names.get("si"), name_ta=names.get("ta"),
            is_public=False, paused=False, personal=True,
            starts_at=now, ends_at=now + dt.timedelta(days=days),
            priority=0, exclusive=False, combines_with=["order", "delivery"],
            benefit="line_percent" if percent is not None else "line_fixed",
            percent=percent, amount_cents=amount_cents,
            max_discount_cents=amount_cents,  # an amount off is off once, not per unit
            product_ids=[product_id], segment_customer_ids=[customer_id],
            requires_code=True, max_uses=1, max_uses_per_customer=1,
            uses_count=0, discount_given_cents=0)
        db.session.add(promotion)
        db.session.flush()
        code = _fresh_code(prefix)
        db.session.add(VoucherCode(promotion_id=promotion.id, code=code, max_uses=1,
                                   uses_count=0, batch=BATCH))
        db.session.flush()
    return PersonalVoucher(promotion.id, code)


def redeemed(promotion_ids: list[int]) -> set[int]:
    """Which of these personal vouchers' promotions were used (and not given back)."""
    if not promotion_ids:
        return set()
    return set(db.session.scalars(
        select(Redemption.promotion_id).where(Redemption.promotion_id.in_(promotion_ids),
                                              Redemption.released_at.is_(None))))


def used_with_revenue(promotion_ids: list[int]) -> tuple[int, int]:
    """How many of these personal vouchers were used (not given back), and what the orders
    that used them came to."""
    if not promotion_ids:
        return 0, 0
    numbers = list(db.session.scalars(
        select(Redemption.order_number).where(Redemption.promotion_id.in_(promotion_ids),
                                              Redemption.released_at.is_(None))))
    return len(numbers), history.total_of(numbers)
