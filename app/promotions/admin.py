"""Promotions for staff (MANAGE_PROMOTIONS: marketing and administrators): the list with each
promotion's status, creating and changing one (every rule checked here, so the back office,
the API and a command line get the same answers), pausing, duplicating, voucher codes (one
named code, or thousands generated at once), the codes as CSV, and what a promotion did.

Services take plain values and the acting person first; each change is audited with what
changed, and tells the pricing engine to reload its rules.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import secrets
from collections import Counter
from collections.abc import Iterator, Mapping

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, insert, or_, select
from sqlalchemy.exc import IntegrityError

from app import csv_export, db
from app.accounts import districts as district_list, services as accounts
from app.audit import services as audit
from app.catalog import services as catalog
from app.db import transaction, utcnow
from app.digits import is_digits
from app.errors import Invalid, NotFound
from app.i18n import COLOMBO
from app.orders import services as orders
from app.promotions.models import BENEFITS, CLASSES, Promotion, Redemption, VoucherCode
from app.security.roles import Permission, require

STATUSES = ("scheduled", "running", "paused", "ended", "exhausted")
STATUS_LABELS = {
    "scheduled": _l("scheduled"),
    "running": _l("running"),
    "paused": _l("paused"),
    "ended": _l("ended"),
    "exhausted": _l("used up"),
}
BENEFIT_LABELS = {
    "line_percent": _l("Percent off qualifying items"),
    "line_fixed": _l("Amount off each qualifying item"),
    "buy_x_get_y": _l("Buy X, get Y"),
    "tiered": _l("Tiered: more bought, bigger percent"),
    "bundle": _l("Bundle: a set of items for one price"),
    "order_percent": _l("Percent off the order"),
    "order_fixed": _l("Amount off the order"),
    "delivery": _l("Delivery discount"),
    "cashback": _l("Cashback: a percent back as store credit when paid"),
}

NAME_MAX = 120
DESCRIPTION_MAX = 2000
MAX_IDS = 500  # products, variants, categories or customers one promotion names
MAX_COUNT = 2**31 - 1
CODE_PATTERN = re.compile(r"[A-Z0-9-]{3,32}")
PREFIX_PATTERN = re.compile(r"[A-Z0-9-]{0,16}")
# No 0/O, 1/I/L: a code read out on the phone or copied from a flyer is typed right.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
MAX_GENERATE = 10_000
CODE_LENGTHS = (6, 16)
CHUNK = 500
BATCH_MAX = 40

# What a promotion holds that staff set, with the value a new one starts from.
DEFAULTS: dict[str, object] = {
    "name_en": None, "name_si": None, "name_ta": None,
    "description_en": None, "description_si": None, "description_ta": None,
    "is_public": True, "starts_at": None, "ends_at": None,
    "priority": 0, "exclusive": False, "combines_with": [],
    "benefit": None, "percent": None, "amount_cents": None, "buy_quantity": None,
    "get_quantity": None, "tiers": [], "bundle_variant_ids": [],
    "product_ids": [], "variant_ids": [], "category_ids": [],
    "min_subtotal_cents": None, "min_quantity": None, "districts": [],
    "first_order_only": False, "signed_in_only": False, "segment_customer_ids": [],
    "max_uses": None, "max_uses_per_customer": None, "max_discount_cents": None,
}
FIELDS = tuple(DEFAULTS)


def _promotions_changed() -> None:
    """Tell the pricing engine its rules changed (it keeps them a few seconds), so this
    process prices with the change at once."""
    from app.promotions import engine

    engine.invalidate()


def _actor_id(actor) -> int | None:
    return actor.id if actor is not None else None


def get_promotion(actor, promotion_id: int) -> Promotion:
    """Raises Forbidden, NotFound."""
    require(actor, Permission.MANAGE_PROMOTIONS)
    promotion = (db.session.get(Promotion, promotion_id)
                 if isinstance(promotion_id, int) and 0 < promotion_id < 2**31 else None)
    if promotion is None:
        raise NotFound()
    return promotion


# ---- the list ---------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Listed:
    promotion: Promotion
    status: str
    code_count: int


def list_promotions(actor, status: str | None = None, q: str | None = None) -> list[Listed]:
    """Every promotion staff made, newest first, with its status now; only those in `status`
    when given, and those whose name (any language) or one of whose codes holds `q`. A
    personal voucher (app/promotions/personal.py) is listed only when `q` is its code.
    Raises Forbidden, Invalid (an unknown status)."""
    require(actor, Permission.MANAGE_PROMOTIONS)
    if status and status not in STATUSES:
        raise Invalid(_l("Pick a status from the list."), field="status")
    query = select(Promotion)
    q = (q or "").strip()[:100]
    if q:
        like = f"%{q}%"
        coded = select(VoucherCode.promotion_id).where(VoucherCode.code == q.upper())
        named = or_(Promotion.name_en.ilike(like), Promotion.name_si.ilike(like),
                    Promotion.name_ta.ilike(like))
        query = query.where(or_(and_(named, Promotion.personal.is_(False)),
                                Promotion.id.in_(coded)))
    else:
        query = query.where(Promotion.personal.is_(False))
    promotions = list(db.session.scalars(query.order_by(Promotion.created_at.desc(),
                                                        Promotion.id.desc())))
    counts = dict(db.session.execute(
        select(VoucherCode.promotion_id, func.count()).group_by(VoucherCode.promotion_id)).all())
    now = utcnow()
    rows = [Listed(p, p.status(now), counts.get(p.id, 0)) for p in promotions]
    return [row for row in rows if not status or row.status == status]


# ---- checking what staff entered --------------------------------------------------------------

def _text(data, name: str, limit: int, *, required: bool = False,
          message=None) -> str | None:
    value = data.get(name)
    value = value.strip() if isinstance(value, str) else value
    if not value:
        if required:
            raise Invalid(message or _l("This field is required."), field=name)
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise Invalid(_l("Keep it to %(max)d characters.", max=limit), field=name)
    return value


def _count(data, name: str, *, minimum: int = 1, maximum: int = MAX_COUNT,
           message=None) -> int | None:
    """A whole number of at least `minimum`, or None when not given."""
    value = data.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not (
            minimum <= value <= maximum):
        raise Invalid(message or _l("Enter a whole number from %(min)d.", min=minimum),
                      field=name)
    return value


def _flag(data, name: str, default: bool = False) -> bool:
    return bool(data.get(name, default))


def _ids(data, name: str) -> list[int]:
    value = data.get(name) or []
    if not isinstance(value, list | tuple | set):
        raise Invalid(_l("That list could not be read."), field=name)
    ids: list[int] = []
    for item in value:
        if isinstance(item, bool) or not isinstance(item, int) or not 0 < item < 2**31:
            raise Invalid(_l("That list could not be read."), field=name)
        if item not in ids:
            ids.append(item)
    if len(ids) > MAX_IDS:
        raise Invalid(_l("Name at most %(max)d.", max=MAX_IDS), field=name)
    return ids


def _existing(existing, ids: list[int], name: str, message) -> None:
    """`existing(ids)`: the set of those that exist (the owning domain's service)."""
    if not ids:
        return
    found = existing(ids)
    missing = [i for i in ids if i not in found]
    if missing:
        raise Invalid(message, field=name, missing=missing)


def _products(ids):
    return catalog.existing_ids("product", ids)


def _variants(ids):
    return catalog.existing_ids("variant", ids)


def _categories(ids):
    return catalog.existing_ids("category", ids)


def _window(data) -> tuple[dt.datetime | None, dt.datetime | None]:
    starts, ends = data.get("starts_at"), data.get("ends_at")
    for name, value in (("starts_at", starts), ("ends_at", ends)):
        if value is not None and (not isinstance(value, dt.datetime) or value.tzinfo is None):
            raise Invalid(_l("Enter a date and time."), field=name)
    if starts is not None and ends is not None and ends <= starts:
        raise Invalid(_l("The end must come after the start."), field="ends_at")
    return starts, ends


def _benefit(data, clean: dict) -> None:
    """The benefit and its own parameters; the others are cleared, so a promotion changed
    from one kind to another keeps nothing of the old one."""
    kind = data.get("benefit")
    if kind not in BENEFITS:
        raise Invalid(_l("Pick what the promotion gives."), field="benefit")
    clean.update(benefit=kind, percent=None, amount_cents=None, buy_quantity=None,
                 get_quantity=None, tiers=[], bundle_variant_ids=[])
    percent_message = _l("Enter a percent from 1 to 100.")
    amount_message = _l("Enter an amount above zero.")
    if kind in ("line_percent", "order_percent", "cashback"):
        clean["percent"] = _count(data, "percent", maximum=100, message=percent_message)
        if clean["percent"] is None:
            raise Invalid(percent_message, field="percent")
    elif kind in ("line_fixed", "order_fixed"):
        clean["amount_cents"] = _count(data, "amount_cents", message=amount_message)
        if clean["amount_cents"] is None:
            raise Invalid(amount_message, field="amount_cents")
    elif kind == "buy_x_get_y":
        for name in ("buy_quantity", "get_quantity"):
            clean[name] = _count(data, name, maximum=1000,
                                 message=_l("Enter a whole number from 1."))
            if clean[name] is None:
                raise Invalid(_l("Enter a whole number from 1."), field=name)
        percent = _count(data, "percent", maximum=100, message=percent_message)
        clean["percent"] = 100 if percent is None else percent
    elif kind == "tiered":
        clean["tiers"] = _tiers(data.get("tiers"))
    elif kind == "bundle":
        variant_ids = _ids(data, "bundle_variant_ids")
        if len(variant_ids) < 2:
            raise Invalid(_l("A bundle needs at least two different variants."),
                          field="bundle_variant_ids")
        _existing(_variants, variant_ids, "bundle_variant_ids",
                  _l("Some of those variants do not exist."))
        clean["bundle_variant_ids"] = variant_ids
        clean["amount_cents"] = _count(data, "amount_cents", message=amount_message)
        if clean["amount_cents"] is None:
            raise Invalid(_l("Enter the bundle's price, above zero."), field="amount_cents")
    elif kind == "delivery":
        percent = _count(data, "percent", maximum=100, message=percent_message)
        amount = _count(data, "amount_cents", message=amount_message)
        if (percent is None) == (amount is None):
            raise Invalid(_l("Enter a percent off the delivery fee (100 for free delivery) "
                             "or an amount off, not both."), field="percent")
        clean.update(percent=percent, amount_cents=amount)


def _tiers(value) -> list[list[int]]:
    message = _l("Each tier is a quantity from 2 and a percent from 1 to 100, "
                 "the quantities going up.")
    if not isinstance(value, list | tuple) or not value:
        raise Invalid(_l("Add at least one tier."), field="tiers")
    tiers: list[list[int]] = []
    for tier in value:
        if not isinstance(tier, list | tuple) or len(tier) != 2 or any(
                isinstance(n, bool) or not isinstance(n, int) for n in tier):
            raise Invalid(message, field="tiers")
        quantity, percent = tier
        if not (2 <= quantity <= 10_000 and 1 <= percent <= 100):
            raise Invalid(message, field="tiers")
        if tiers and quantity <= tiers[-1][0]:
            raise Invalid(_l("Put the tiers in order, each quantity bigger than the one "
                             "before."), field="tiers")
        tiers.append([quantity, percent])
    if len(tiers) > 20:
        raise Invalid(_l("Keep it to 20 tiers."), field="tiers")
    return tiers


def _checked(data: Mapping) -> dict:
    """What staff entered as the promotion's columns, or Invalid naming the field."""
    clean: dict = {}
    clean["name_en"] = _text(data, "name_en", NAME_MAX, required=True,
                             message=_l("Give the promotion an English name."))
    for name in ("name_si", "name_ta"):
        clean[name] = _text(data, name, NAME_MAX)
    for name in ("description_en", "description_si", "description_ta"):
        clean[name] = _text(data, name, DESCRIPTION_MAX)
    _benefit(data, clean)
    clean["starts_at"], clean["ends_at"] = _window(data)

    combines = data.get("combines_with") or []
    if not isinstance(combines, list | tuple | set) or any(c not in CLASSES for c in combines):
        raise Invalid(_l("Pick from items, order and delivery."), field="combines_with")
    clean["combines_with"] = [c for c in CLASSES if c in combines]
    priority = data.get("priority")
    if priority in (None, ""):
        priority = 0
    if isinstance(priority, bool) or not isinstance(priority, int) or not (
            -1000 <= priority <= 1000):
        raise Invalid(_l("Enter a whole number from -1000 to 1000."), field="priority")
    clean["priority"] = priority
    clean["exclusive"] = _flag(data, "exclusive")
    clean["is_public"] = _flag(data, "is_public", default=True)

    clean["min_subtotal_cents"] = _count(data, "min_subtotal_cents",
                                         message=_l("Enter an amount above zero."))
    clean["min_quantity"] = _count(data, "min_quantity", maximum=10_000)
    chosen = data.get("districts") or []
    if not isinstance(chosen, list | tuple | set) or any(
            not district_list.is_district(d) for d in chosen):
        raise Invalid(_l("Pick districts from the list."), field="districts")
    clean["districts"] = [d for d in district_list.DISTRICTS if d in chosen]
    clean["first_order_only"] = _flag(data, "first_order_only")
    clean["signed_in_only"] = _flag(data, "signed_in_only")
    for name, model, message in (
            ("product_ids", _products, _l("Some of those products do not exist.")),
            ("variant_ids", _variants, _l("Some of those variants do not exist.")),
            ("category_ids", _categories, _l("Some of those categories do not exist.")),
            ("segment_customer_ids", accounts.existing_user_ids,
             _l("Some of those customers do not exist."))):
        clean[name] = _ids(data, name)
        _existing(model, clean[name], name, message)

    limit_message = _l("Enter a whole number from 1, or leave it empty for no limit.")
    clean["max_uses"] = _count(data, "max_uses", message=limit_message)
    clean["max_uses_per_customer"] = _count(data, "max_uses_per_customer",
                                            message=limit_message)
    clean["max_discount_cents"] = _count(
        data, "max_discount_cents",
        message=_l("Enter an amount above zero, or leave it empty for no limit."))
    return clean


def _plain(value):
    """A value as the audit log's JSON keeps it."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


# ---- creating and changing ---------------------------------------------------------------------

def create_promotion(actor, data: Mapping) -> Promotion:
    """A new promotion from `data` (the column names of FIELDS; times aware UTC; money in
    cents). Raises Forbidden, Invalid(field=…)."""
    require(actor, Permission.MANAGE_PROMOTIONS)
    clean = _checked(data)
    with transaction():
        promotion = Promotion(**clean, paused=False, uses_count=0, discount_given_cents=0)
        db.session.add(promotion)
        db.session.flush()
        audit.record("promotions.create", actor_id=_actor_id(actor), target_type="promotion",
                     target_id=promotion.id,
                     values={k: _plain(v) for k, v in clean.items() if v not in (None, [])})
    _promotions_changed()
    return promotion


def update_promotion(actor, promotion_id: int, data: Mapping) -> Promotion:
    """Change a promotion to `data` (all of FIELDS, as for create). Counters, codes and the
    paused flag stay. Raises Forbidden, NotFound, Invalid(field=…)."""
    promotion = get_promotion(actor, promotion_id)
    clean = _checked(data)
    with transaction():
        changed = {}
        for name, value in clean.items():
            old = getattr(promotion, name)
            if old != value:
                changed[name] = [_plain(old), _plain(value)]
                setattr(promotion, name, value)
        if changed:
            promotion.updated_at = utcnow()
            audit.record("promotions.update", actor_id=_actor_id(actor),
                         target_type="promotion", target_id=promotion.id, changed=changed)
    if changed:
        _promotions_changed()
    return promotion


def data_of(promotion: Promotion) -> dict:
    """The promotion's values as create and update take them (a form starts from these)."""
    return {name: getattr(promotion, name) for name in FIELDS}


def _set_paused(actor, promotion_id: int, paused: bool) -> Promotion:
    promotion = get_promotion(actor, promotion_id)
    if promotion.paused == paused:
        return promotion
    with transaction():
        promotion.paused = paused
        promotion.updated_at = utcnow()
        audit.record("promotions.pause" if paused else "promotions.resume",
                     actor_id=_actor_id(actor), target_type="promotion",
                     target_id=promotion.id, changed={"paused": [not paused, paused]})
    _promotions_changed()
    return promotion


def pause(actor, promotion_id: int) -> Promotion:
    """Stop a promotion applying until it is resumed. Raises Forbidden, NotFound."""
    return _set_paused(actor, promotion_id, True)


def resume(actor, promotion_id: int) -> Promotion:
    """Raises Forbidden, NotFound."""
    return _set_paused(actor, promotion_id, False)


def duplicate(actor, promotion_id: int) -> Promotion:
    """A paused copy named "… (copy)", its counters at zero and without codes. It still
    requires a code when the original did, so it never applies to everyone by accident.
    Raises Forbidden, NotFound."""
    original = get_promotion(actor, promotion_id)
    values = data_of(original)
    suffix = " (copy)"
    values["name_en"] = values["name_en"][:NAME_MAX - len(suffix)] + suffix
    values = {k: list(v) if isinstance(v, list) else v for k, v in values.items()}
    with transaction():
        copy = Promotion(**values, paused=True, requires_code=original.requires_code,
                         uses_count=0, discount_given_cents=0)
        db.session.add(copy)
        db.session.flush()
        audit.record("promotions.duplicate", actor_id=_actor_id(actor),
                     target_type="promotion", target_id=copy.id, copied_from=original.id)
    _promotions_changed()
    return copy


# ---- voucher codes ---------------------------------------------------------------------------

def normalise_code(code: str | None) -> str:
    return (code or "").strip().upper()


def _max_uses(max_uses) -> int | None:
    return _count({"max_uses": max_uses}, "max_uses",
                  message=_l("Enter a whole number from 1, or leave it empty for no limit."))


def _taken(codes: list[str]) -> set[str]:
    if not codes:
        return set()
    return set(db.session.scalars(select(VoucherCode.code).where(VoucherCode.code.in_(codes))))


def add_code(actor, promotion_id: int, code: str, max_uses: int | None = None) -> VoucherCode:
    """One named code (WELCOME10): stored upper-case, 3–32 letters A–Z, digits and "-",
    unique across all promotions. The promotion then needs a code.
    Raises Forbidden, NotFound, Invalid(field="code" or "max_uses")."""
    promotion = get_promotion(actor, promotion_id)
    code = normalise_code(code)
    if not CODE_PATTERN.fullmatch(code):
        raise Invalid(_l("A code is 3 to 32 letters A–Z, digits and hyphens."), field="code")
    max_uses = _max_uses(max_uses)
    taken = _l("The code %(code)s is already in use. Choose another.", code=code)
    if _taken([code]):
        raise Invalid(taken, field="code")
    with transaction():
        voucher = VoucherCode(promotion_id=promotion.id, code=code, max_uses=max_uses,
                              uses_count=0)
        try:
            with db.session.begin_nested():
                db.session.add(voucher)
        except IntegrityError as exc:  # saved by someone else a moment ago
            raise Invalid(taken, field="code") from exc
        promotion.requires_code = True
        audit.record("promotions.code_add", actor_id=_actor_id(actor),
                     target_type="promotion", target_id=promotion.id, code=code,
                     max_uses=max_uses)
    _promotions_changed()
    return voucher


@dataclasses.dataclass(frozen=True)
class Generated:
    batch: str
    codes: list[str]


def _random_code(prefix: str, length: int) -> str:
    return prefix + "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def generate_codes(actor, promotion_id: int, count: int, max_uses: int | None = 1,
                   prefix: str = "", length: int = 8, batch: str | None = None) -> Generated:
    """`count` (up to 10,000) new random codes, each `prefix` + `length` characters from an
    alphabet without look-alikes, all labelled with one `batch`. Inserted a chunk at a time;
    a code that another promotion holds (or that someone saved meanwhile) is drawn again.
    Raises Forbidden, NotFound, Invalid(field="count", "prefix", "length", "max_uses")."""
    promotion = get_promotion(actor, promotion_id)
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_GENERATE:
        raise Invalid(_l("Make from 1 to %(max)d codes at a time.", max=MAX_GENERATE),
                      field="count")
    prefix = normalise_code(prefix)
    if not PREFIX_PATTERN.fullmatch(prefix):
        raise Invalid(_l("A prefix is up to 16 letters A–Z, digits and hyphens."),
                      field="prefix")
    low, high = CODE_LENGTHS
    if isinstance(length, bool) or not isinstance(length, int) or not low <= length <= high:
        raise Invalid(_l("Make the random part %(min)d to %(max)d characters long.",
                         min=low, max=high), field="length")
    if len(CODE_ALPHABET) ** length < count * 50:  # keep collisions rare
        raise Invalid(_l("That is too many codes for that length: make them longer."),
                      field="length")
    max_uses = _max_uses(max_uses)
    batch = (batch or "").strip()[:BATCH_MAX] or (
        f"{prefix.rstrip('-') or 'batch'}-{utcnow().astimezone(COLOMBO):%Y%m%d-%H%M%S}")[:BATCH_MAX]
    made: list[str] = []
    with transaction():
        attempts = 0
        while len(made) < count:
            attempts += 1
            if attempts > 50:  # cannot happen with the length check above; never loop on
                raise Invalid(_l("Could not draw enough unused codes: make them longer."),
                              field="length")
            wanted = min(CHUNK, count - len(made))
            drawn: set[str] = set()
            while len(drawn) < wanted:
                drawn.add(_random_code(prefix, length))
            fresh = sorted(drawn - _taken(sorted(drawn)) - set(made))
            if not fresh:
                continue
            try:
                with db.session.begin_nested():
                    db.session.execute(insert(VoucherCode), [
                        {"promotion_id": promotion.id, "code": code, "max_uses": max_uses,
                         "uses_count": 0, "batch": batch, "created_at": utcnow()}
                        for code in fresh])
            except IntegrityError:
                continue  # someone saved one of these a moment ago: draw this chunk again
            made.extend(fresh)
        promotion.requires_code = True
        audit.record("promotions.codes_generate", actor_id=_actor_id(actor),
                     target_type="promotion", target_id=promotion.id, count=count,
                     batch=batch, prefix=prefix, length=length, max_uses=max_uses)
    _promotions_changed()
    return Generated(batch, made)


def codes(actor, promotion_id: int, *, limit: int | None = None) -> list[VoucherCode]:
    """The promotion's codes, oldest first (the first `limit` when given)."""
    promotion = get_promotion(actor, promotion_id)
    query = select(VoucherCode).where(VoucherCode.promotion_id == promotion.id).order_by(
        VoucherCode.id)
    if limit is not None:
        query = query.limit(limit)
    return list(db.session.scalars(query))


def code_count(actor, promotion_id: int) -> int:
    promotion = get_promotion(actor, promotion_id)
    return db.session.scalar(select(func.count()).select_from(VoucherCode).where(
        VoucherCode.promotion_id == promotion.id)) or 0


CSV_COLUMNS = ["code", "max_uses", "uses", "batch", "created_colombo"]


def export_codes(actor, promotion_id: int, chunk: int = 1000) -> Iterator[bytes]:
    """The promotion's codes as CSV text (code, max uses, uses, batch, created in Colombo
    time), a chunk at a time; UTF-8 with a byte-order mark for Excel, and no cell a
    spreadsheet would run as a formula. The export is audited (codes are worth money).
    Raises Forbidden, NotFound (at once, before the first line)."""
    promotion = get_promotion(actor, promotion_id)
    audit.record("promotions.codes_export", actor_id=_actor_id(actor),
                 target_type="promotion", target_id=promotion.id)
    return _code_lines(promotion.id, chunk)


def _code_lines(promotion_id: int, chunk: int) -> Iterator[bytes]:
    return csv_export.stream(CSV_COLUMNS, _code_rows(promotion_id, chunk), rows_per_chunk=chunk)


def _code_rows(promotion_id: int, chunk: int) -> Iterator[tuple]:
    last_id = 0
    while True:
        rows = list(db.session.scalars(
            select(VoucherCode).where(VoucherCode.promotion_id == promotion_id,
                                      VoucherCode.id > last_id)
            .order_by(VoucherCode.id).limit(chunk)))
        if not rows:
            return
        for row in rows:
            yield (row.code, row.max_uses, row.uses_count, row.batch,
                   row.created_at.astimezone(COLOMBO).strftime("%Y-%m-%d %H:%M"))
        last_id = rows[-1].id


# ---- what it did -----------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class DayUses:
    day: dt.date  # in Colombo
    uses: int
    discount_cents: int


@dataclasses.dataclass(frozen=True)
class Report:
    orders: int
    discount_cents: int
    revenue_cents: int
    by_day: list[DayUses]
    top_codes: list[tuple[str, int]]


def report(actor, promotion_id: int, *, top: int = 10) -> Report:
    """What the promotion did, from its redemptions not released (a cancelled order gave
    its use back): how many orders used it, the discount given, those orders' totals, uses
    by Colombo day (oldest first) and the most used codes. Raises Forbidden, NotFound."""
    promotion = get_promotion(actor, promotion_id)
    rows = list(db.session.execute(
        select(Redemption.order_number, Redemption.amount_cents, Redemption.created_at,
               VoucherCode.code)
        .outerjoin(VoucherCode, VoucherCode.id == Redemption.code_id)
        .where(Redemption.promotion_id == promotion.id, Redemption.released_at.is_(None))
        .order_by(Redemption.created_at, Redemption.id)))
    numbers = sorted({row.order_number for row in rows})
    days: dict[dt.date, list[int]] = {}
    for row in rows:
        day = days.setdefault(row.created_at.astimezone(COLOMBO).date(), [0, 0])
        day[0] += 1
        day[1] += row.amount_cents
    codes_used = Counter(row.code for row in rows if row.code)
    return Report(
        orders=len(numbers),
        discount_cents=sum(row.amount_cents for row in rows),
        revenue_cents=orders.total_of(numbers),
        by_day=[DayUses(day, uses, cents) for day, (uses, cents) in sorted(days.items())],
        top_codes=sorted(codes_used.items(), key=lambda kv: (-kv[1], kv[0]))[:top])


# ---- what staff type for products and a sample cart -----------------------------------------

def _lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def variant_ids_for(text: str | None, field: str) -> list[int]:
    """One SKU a line (any case) → variant ids, in the order given.
    Raises Invalid(field=`field`) naming the SKUs that are no variant's."""
    ids, unknown = [], []
    for sku in _lines(text):
        variant = catalog.variant_by_sku(sku)
        if variant is None:
            unknown.append(sku)
        elif variant.id not in ids:
            ids.append(variant.id)
    if unknown:
        raise Invalid(_l("No variant has the SKU %(skus)s.", skus=", ".join(unknown[:5])),
                      field=field)
    return ids


def product_ids_for(text: str | None, field: str) -> list[int]:
    """One product a line, named by its slug or by the SKU of any of its variants →
    product ids. Raises Invalid(field=`field`) naming those not found."""
    ids, unknown = [], []
    for ref in _lines(text):
        found = catalog.product_id_by_slug(ref.lower())
        if found is None:
            variant = catalog.variant_by_sku(ref)
            found = variant.product_id if variant is not None else None
        if found is None:
            unknown.append(ref)
        elif found not in ids:
            ids.append(found)
    if unknown:
        raise Invalid(_l("No product has the slug or SKU %(refs)s.",
                         refs=", ".join(unknown[:5])), field=field)
    return ids


def skus_of(variant_ids: list[int]) -> list[str]:
    """The SKUs of these variants, in the same order (for a form to show)."""
    found = catalog.skus_by_id(variant_ids)
    return [found[i] for i in variant_ids if i in found]


def slugs_of(product_ids: list[int]) -> list[str]:
    found = catalog.slugs_by_id(product_ids)
    return [found[i] for i in product_ids if i in found]


def category_choices() -> list[tuple[int, str]]:
    """Every category as (id, name), children under their parent and indented."""
    rows = catalog.category_rows_in_order()
    children: dict[int | None, list] = {}
    for row in rows:
        children.setdefault(row.parent_id, []).append(row)
    known = {row.id for row in rows}
    out: list[tuple[int, str]] = []

    def walk(parent, depth):
        for row in children.get(parent, []):
            if len(out) > len(rows):  # a loop in bad data
                return
            out.append((row.id, "\u2003" * depth + row.name_en))
            walk(row.id, depth + 1)

    walk(None, 0)
    for row in rows:  # orphans (a parent that is gone) still show
        if row.parent_id is not None and row.parent_id not in known:
            out.append((row.id, row.name_en))
    return out


MAX_SAMPLE_LINES = 50


def sample_items(text: str | None, field: str = "sample") -> list:
    """A sample cart typed as lines of "SKU quantity" (quantity 1 when left out) → pricing
    Items. Raises Invalid(field=`field`)."""
    from app.checkout.pricing import Item

    items: list = []
    lines = _lines(text)
    if not lines:
        raise Invalid(_l("Enter at least one line: a SKU, a space and a quantity."),
                      field=field)
    if len(lines) > MAX_SAMPLE_LINES:
        raise Invalid(_l("Keep the sample to %(max)d lines.", max=MAX_SAMPLE_LINES),
                      field=field)
    for line in lines:
        parts = line.split()
        sku, quantity = parts[0], parts[1] if len(parts) > 1 else "1"
        if len(parts) > 2 or not is_digits(quantity) or not 1 <= int(quantity) <= 999:
            raise Invalid(_l("Write each line as a SKU, a space and a quantity from 1 to "
                             "999: %(line)s", line=line[:60]), field=field)
        variant = catalog.variant_by_sku(sku)
        if variant is None:
            raise Invalid(_l("No variant has the SKU %(skus)s.", skus=sku[:64]), field=field)
        items.append(Item(variant_id=variant.id, quantity=int(quantity)))
    return items


def preview(actor, data: Mapping, items: list, *, promotion_id: int | None = None,
            district: str | None = None, delivery_code: str | None = None,
            locale: str = "en"):
    """The sample cart priced with only the promotion as `data` describes it (saved or not:
    nothing is written or counted), as if running and with its code entered; delivered by
    the option `delivery_code` when given. Returns a PricedCart.
    Raises Forbidden, NotFound, Invalid(field=…: a promotion field, "preview_district" or
    "preview_delivery")."""
    from app.checkout import delivery as delivery_options
    from app.promotions import engine

    require(actor, Permission.MANAGE_PROMOTIONS)
    if promotion_id is not None:
        get_promotion(actor, promotion_id)
    if district is not None and not district_list.is_district(district):
        raise Invalid(_l("Pick districts from the list."), field="preview_district")
    option = None
    if delivery_code:
        try:
            option = delivery_options.get_option(delivery_code, district)
        except Invalid as exc:
            raise Invalid(exc.message, field="preview_delivery") from exc
    clean = _checked(data)
    # Never added to the session: a promotion in memory only, the saved one untouched.
    draft = Promotion(**clean, id=promotion_id, paused=False, requires_code=False,
                      uses_count=0, discount_given_cents=0)
    return engine.preview(draft, items, district=district, locale=locale, delivery=option)


def delivery_choices() -> list[tuple[str, str]]:
    """The active delivery options as (code, English name), for the preview."""
    from app.checkout import delivery as delivery_options

    return [(o.code, o.name_en) for o in delivery_options.options_for(None)]
