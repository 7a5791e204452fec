"""Delivery options: which exist, which serve a district, and staff setting their fees.
Staff with MANAGE_ORDERS (order managers, admins) change them; every change is audited."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, select

from app import db, memo, prepared
from app.accounts.districts import is_district
from app.audit import services as audit
from app.checkout.models import DeliveryOption
from app.db import transaction, utcnow
from app.errors import Conflict, Invalid, NotFound
from app.security.roles import Permission, require

MAX_FEE_CENTS = 10_000_000  # Rs. 100,000: anything above is a typing slip


def options_for(district: str | None) -> list[DeliveryOption]:
    """Active options serving `district`, cheapest first (all of them for None)."""
    options = db.session.scalars(
        select(DeliveryOption).where(DeliveryOption.is_active)
        .order_by(DeliveryOption.position, DeliveryOption.fee_cents, DeliveryOption.id))
    return [o for o in options if district is None or o.serves(district)]


def free_delivery_from(district: str | None = None) -> int | None:
    """The least the goods must come to for free delivery: over the options that charge and
    serve `district` (with no district, those that serve the whole island). None if no
    option is ever free."""
    thresholds = [o.free_over_cents for o in options_for(district)
                  if not o.is_pickup and o.fee_cents and o.free_over_cents is not None
                  and (district is not None or not o.districts)]
    return min(thresholds) if thresholds else None


# Asked when a cart is priced with its delivery and at every checkout: built once, and the
# option made from its row (prepared.adopt), as the bearer token's customer is.
_OPTION = prepared.entity(DeliveryOption)
_ACTIVE_OPTION = select(*_OPTION.columns).where(DeliveryOption.code == bindparam("code"),
                                                DeliveryOption.is_active)


def get_option(code: str, district: str | None = None) -> DeliveryOption:
    """An active option by code that serves `district`. Raises Invalid (for the field)."""
    found = prepared.rows(_ACTIVE_OPTION, {"code": (code or "")[:32]})
    option = prepared.adopt(_OPTION, found[0]) if found else None
    if option is None or (district is not None and not option.serves(district)):
        raise Invalid(_l("Choose a delivery option for your district."),
                      field="delivery_option")
    return option


def all_options(*, actor=None) -> list[DeliveryOption]:
    require(actor, Permission.MANAGE_ORDERS)
    return list(db.session.scalars(
        select(DeliveryOption).order_by(DeliveryOption.position, DeliveryOption.id)))


@dataclass(frozen=True)
class DeliveryOptionInput:
    code: str
    name_en: str
    fee_cents: int
    districts: tuple[str, ...] = ()
    free_over_cents: int | None = None
    name_si: str | None = None
    name_ta: str | None = None
    min_days: int = 0
    max_days: int = 0
    is_pickup: bool = False
    is_active: bool = True
    position: int = 0


def _checked(data: DeliveryOptionInput) -> DeliveryOptionInput:
    code = (data.code or "").strip().lower()
    if not code or len(code) > 32 or not all(c.isalnum() or c in "-_" for c in code):
        raise Invalid(_l("Use letters, digits, - and _ for the code (up to 32)."), field="code")
    if not (data.name_en or "").strip() or len(data.name_en) > 80:
        raise Invalid(_l("Enter a name of up to 80 characters."), field="name_en")
    if not 0 <= data.fee_cents <= MAX_FEE_CENTS:
        raise Invalid(_l("Enter a fee from Rs. 0 to Rs. 100,000."), field="fee_cents")
    if data.free_over_cents is not None and not 0 <= data.free_over_cents <= 10**11:
        raise Invalid(_l("Enter a threshold of Rs. 0 or more."), field="free_over_cents")
    bad = [d for d in data.districts if not is_district(d)]
    if bad:
        raise Invalid(_l("Choose districts from the list."), field="districts")
    if not 0 <= data.min_days <= data.max_days <= 60:
        raise Invalid(_l("Enter delivery days from 0 to 60, the first no more than the last."),
                      field="min_days")
    return DeliveryOptionInput(**{**data.__dict__, "code": code,
                                  "name_en": data.name_en.strip(),
                                  "districts": tuple(sorted(set(data.districts)))})


def save_option(data: DeliveryOptionInput, *, option_id: int | None = None,
                actor=None) -> DeliveryOption:
    """Create an option, or change the one with `option_id`."""
    require(actor, Permission.MANAGE_ORDERS)
    data = _checked(data)
    with transaction():
        clash = db.session.scalar(select(DeliveryOption).where(
            DeliveryOption.code == data.code))
        if clash is not None and clash.id != option_id:
            raise Conflict(_l("Another delivery option uses that code."), field="code")
        if option_id is None:
            option = DeliveryOption()
            db.session.add(option)
        else:
            option = db.session.get(DeliveryOption, option_id) if 0 < option_id < 2**31 else None
            if option is None:
                raise NotFound()
            option.updated_at = utcnow()
        for name, value in data.__dict__.items():
            setattr(option, name, list(value) if name == "districts" else value)
        db.session.flush()
        audit.record("checkout.delivery_option_save", actor_id=actor.id if actor else None,
                     target_type="delivery_option", target_id=option.id, code=option.code,
                     fee_cents=option.fee_cents, free_over_cents=option.free_over_cents)
    memo.forget_reference(current_app)  # the promise pages state: anew, here at once
    return option


# The options a new shop starts with (the demo loader and a fresh install); staff change them.
STARTER_OPTIONS = (
    DeliveryOptionInput(code="colombo-same-day", name_en="Colombo same-day",
                        name_si="කොළඹ එදිනම", name_ta="கொழும்பு அதே நாள்",
                        fee_cents=45_000, free_over_cents=1_500_000,
                        districts=("colombo",), min_days=0, max_days=0, position=1),
    DeliveryOptionInput(code="island-wide", name_en="Island-wide standard",
                        name_si="දිවයින පුරා සාමාන්‍ය", name_ta="தீவு முழுவதும் சாதாரண",
                        fee_cents=35_000, free_over_cents=2_000_000, min_days=2,
                        max_days=4, position=2),
    DeliveryOptionInput(code="pickup", name_en="Collect from our Colombo shop",
                        name_si="අපගේ කොළඹ සාප්පුවෙන් ලබා ගන්න",
                        name_ta="எங்கள் கொழும்பு கடையில் பெற்றுக்கொள்ளுங்கள்",
                        fee_cents=0, is_pickup=True, min_days=0, max_days=1, position=3),
)


def ensure_starter_options() -> None:
    """Create the starter options that do not exist yet (by code); never changes staff's."""
    with transaction():
        existing = set(db.session.scalars(select(DeliveryOption.code)))
        for data in STARTER_OPTIONS:
            if data.code not in existing:
                save_option(data)


# ---- what a product page promises -----------------------------------------------------------

@dataclass(frozen=True)
class Promise:
    """The delivery and payment facts a product page states, the same for every product
    (the page keeps them briefly: app.memo)."""

    min_days: int
    max_days: int
    same_day: tuple[str, ...]  # districts with same-day delivery, when the rest take longer
    cod_offered: bool  # somewhere, for some amount
    cod_everywhere: bool
    cod_max_cents: int | None


def promise() -> Promise | None:
    """The days the active delivery options take (the island-wide ones when there are some,
    else all that deliver) and where cash on delivery is offered. None when nothing is
    delivered (only collection, or no option). Every product page states it: kept with the
    shop's reference data (app.memo.reference, REFERENCE_CACHE_SECONDS), so a page reads
    neither the options nor the cash-on-delivery limits; a save of an option here forgets it
    at once, a change of the limits shows within that time."""
    # In a tuple: memo keeps no None, and "nothing is delivered" is worth keeping too.
    return memo.reference(("delivery_promise",), lambda: (_worked_out_promise(),))[0]


def _worked_out_promise() -> Promise | None:
    from app.payments import settings as payment_settings

    delivered = [o for o in options_for(None) if not o.is_pickup]
    if not delivered:
        return None
    island = [o for o in delivered if not o.districts] or delivered
    low, high = min(o.min_days for o in island), max(o.max_days for o in island)
    same_day = tuple(sorted({d for o in delivered if o.districts and o.max_days == 0
                             for d in o.districts})) if high > 0 else ()
    cod = payment_settings.cod_limits()
    return Promise(min_days=low, max_days=high, same_day=same_day,
                   cod_offered=cod.districts is None or bool(cod.districts),
                   cod_everywhere=cod.districts is None, cod_max_cents=cod.max_cents)
