"""Staff-set rules for the payment methods, kept in one row: the largest order cash on
delivery may pay, and the districts where it is offered. With no row (a fresh shop), cash on
delivery is offered everywhere, for any amount."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app import db, memo, prepared
from app.accounts.districts import DISTRICTS, district_name
from app.audit import services as audit
from app.db import transaction, utcnow
from app.errors import Invalid
from app.i18n import current_language, format_lkr
from app.payments.models import PaymentSettings
from app.security.roles import Permission, require

ROW_ID = 1
MAX_LIMIT_CENTS = 10_000_000_00  # Rs. 10 million: more is a typing slip


@dataclass(frozen=True)
class CodLimits:
    max_cents: int | None  # None: no limit
    districts: frozenset[str] | None  # None: every district

    def refusal(self, total_cents: int, district: str | None):
        """None when cash on delivery can pay this order, else why not (a lazy string)."""
        if self.max_cents is not None and total_cents > self.max_cents:
            return _l("Cash on delivery is available for orders up to %(amount)s.",
                      amount=_Money(self.max_cents))
        if self.districts is not None and district not in self.districts:
            if district in DISTRICTS:
                return _l("Cash on delivery is not available in %(district)s.",
                          district=_District(district))
            return _l("Cash on delivery is not available in your district.")
        return None


class _Money:
    """An amount written in the language of whoever reads the message, when they read it."""

    def __init__(self, cents: int):
        self.cents = cents

    def __str__(self) -> str:
        return format_lkr(self.cents, current_language())


class _District:
    def __init__(self, code: str):
        self.code = code

    def __str__(self) -> str:
        return district_name(self.code)


def _row() -> PaymentSettings | None:
    return db.session.get(PaymentSettings, ROW_ID)


# Every checkout that may pay cash asks, and must see a staff change at once (not kept as
# reference data): two columns in a prebuilt statement.
_COD_LIMITS = select(PaymentSettings.cod_max_cents, PaymentSettings.cod_districts).where(
    PaymentSettings.id == ROW_ID)


def cod_limits() -> CodLimits:
    found = prepared.rows(_COD_LIMITS)
    if not found:
        return CodLimits(max_cents=None, districts=None)
    max_cents, listed = found[0]
    districts = None
    if listed is not None:
        districts = frozenset(code for code in listed.split(",") if code)
    return CodLimits(max_cents=max_cents, districts=districts)


def save_cod_limits(max_cents: int | None, districts: list[str] | None, *,
                    actor=None) -> CodLimits:
    """Staff set the limits. `districts` None (or all 25) offers cash on delivery
    everywhere; an empty list offers it nowhere. Raises Invalid."""
    require(actor, Permission.MANAGE_PAYMENTS)
    if max_cents is not None and not 0 < max_cents <= MAX_LIMIT_CENTS:
        raise Invalid(_l("Enter a limit above zero and up to Rs. 10,000,000.00, or leave it "
                         "empty for no limit."), field="cod_max")
    if districts is not None:
        unknown = [code for code in districts if code not in DISTRICTS]
        if unknown:
            raise Invalid(_l("Choose districts from the list."), field="cod_districts")
        chosen = sorted(set(districts))
        districts = None if len(chosen) == len(DISTRICTS) else chosen
    with transaction():
        row = _row()
        if row is None:
            row = PaymentSettings(id=ROW_ID)
            db.session.add(row)
        row.cod_max_cents = max_cents
        row.cod_districts = None if districts is None else ",".join(districts)
        row.updated_at = utcnow()
        row.updated_by = actor.id if actor else None
        audit.record("payments.cod_limits", actor_id=actor.id if actor else None,
                     target_type="settings", target_id="cod", max_cents=max_cents,
                     districts="all" if districts is None else ",".join(districts))
    # Product pages state the limits (the delivery promise, kept as reference data): they
    # show the new ones here at once.
    memo.forget_reference(current_app)
    return cod_limits()


def cod_refusal(total_cents: int, district: str | None):
    return cod_limits().refusal(total_cents, district)
