"""Promotions test data: rows written directly (the staff services have their own tests),
then the engine's memory cleared, as a staff change does."""

from __future__ import annotations

from app import db
from app.db import transaction
from app.promotions import offers
from app.promotions.models import Promotion, VoucherCode


def make_promotion(name: str = "Avurudu sale", *, benefit: str = "line_percent",
                   code: str | None = None, code_uses: int | None = None, **fields
                   ) -> Promotion:
    """A running promotion. `code` adds a voucher code (and makes the code required);
    `code_uses` limits that code's uses (1: single use)."""
    fields.setdefault("combines_with", ["line", "order", "delivery"])
    if benefit in ("line_percent", "order_percent") and "percent" not in fields:
        fields["percent"] = 10
    with transaction():
        promotion = Promotion(name_en=name, name_si=fields.pop("name_si", None),
                              name_ta=fields.pop("name_ta", None), benefit=benefit,
                              requires_code=code is not None, **fields)
        if code is not None:
            promotion.codes.append(VoucherCode(code=code.upper(), max_uses=code_uses))
        db.session.add(promotion)
    offers.invalidate()
    return promotion
