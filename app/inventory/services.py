"""Stock: what can be sold, and every change to it.

Reads (`available`, `has_stock`) serve listings in one query. Writes keep three things in
step inside the caller's transaction: the level row (what concurrent checkouts race on), the
movement ledger (on hand) and the reservations (reserved). `ledger_problems` checks that they
agree; `rebuild_levels` makes the levels agree with the books again.

Never oversell: `reserve` adds to `reserved` with one conditional UPDATE per level
(`WHERE on_hand - reserved >= :q`) and checks the row count. The database applies it
atomically on SQLite and PostgreSQL alike, so no read-then-write window exists.

`actor` None is the system (checkout, jobs, the demo loader); a person needs
MANAGE_INVENTORY.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, bindparam, case, exists, func, literal, select, update

from app import db, prepared
from app.audit import services as audit
from app.db import transaction, utcnow
from app.errors import Conflict, Invalid, NotFound
from app.inventory.models import Reservation, StockLevel, StockMovement, Warehouse
from app.request_memo import RequestMemo
from app.security.roles import Permission, require

MAX_UNITS = 1_000_000  # one receipt or adjustment; a bigger number is a typing slip
# Shops show the units available only when this few are left ("Only 3 left"; above it, no
# number): the catalog's pages use it (catalog.views.LOW_STOCK_UNITS), and a level's
# `low_changed_at` follows only the changes at or under it (`_few_left_changed`).
FEW_UNITS = 5


class OutOfStock(Conflict):
    """Some units asked for are not available. `short` maps variant id -> units available."""

    code = "out_of_stock"
    default_message = _l("Sorry, not enough of this is in stock.")

    def __init__(self, short: dict[int, int], message=None):
        super().__init__(message, short=short)
        self.short = short


# ---- the catalog's names for variants ----------------------------------------------------------

# Inventory sits below the catalog (the catalog asks it for stock), so it never imports the
# catalog (DESIGN rule 2, no cycle). The catalog hands it, at create_app, its select of
# (variant_id, sku, product_name, product_slug), one row per variant (app/catalog/handlers.py):
# what checks a variant id and names the staff's stock rows.
_variant_labels: Callable[[], Select] | None = None


def name_variants_with(labels: Callable[[], Select]) -> None:
    global _variant_labels
    _variant_labels = labels


def _labels():
    if _variant_labels is None:
        raise RuntimeError("the catalog has not told inventory how to name variants "
                           "(app.catalog.handlers, imported by create_app)")
    return _variant_labels().subquery("variant_label")


# ---- reads -----------------------------------------------------------------------------------

# Units available, read once a request (available); a write of stock forgets them.
_available = RequestMemo("stock_available", (StockLevel, Reservation))


def available(variant_ids: list[int]) -> dict[int, int]:
    """Units available to sell per variant, over every warehouse (0 for unknown ids).
    One query for the whole list, so a listing page asks once; within a request each
    variant's is read once (app/request_memo.py: adding to the cart checks the variant,
    then answers with the cart's stock) until the request writes stock."""
    if not variant_ids:
        return {}
    found = _available.many(variant_ids, _read_available)
    return {variant_id: found.get(variant_id, 0) for variant_id in variant_ids}


# Built once (every checkout request reads stock): only the ids change.
_AVAILABLE = (select(StockLevel.variant_id, func.sum(StockLevel.on_hand - StockLevel.reserved))
              .where(StockLevel.variant_id.in_(bindparam("ids", expanding=True)))
              .group_by(StockLevel.variant_id))


def _read_available(variant_ids: list[int]) -> dict[int, int]:
    rows = prepared.rows(_AVAILABLE, {"ids": variant_ids})
    found = {variant_id: int(units or 0) for variant_id, units in rows}
    return {variant_id: found.get(variant_id, 0) for variant_id in variant_ids}


def units_available(variant_id_column):
    """An SQL expression for other domains' queries: the units of the variant available to
    sell over every warehouse, as `available` counts them (0 when it has no stock row), so a
    listing reads its cards' prices and stock in one query."""
    level = StockLevel.__table__.c  # Core columns: a Core statement stays one (cheaper)
    return (select(func.coalesce(func.sum(level.on_hand - level.reserved), 0))
            .where(level.variant_id == variant_id_column)
            .correlate_except(StockLevel.__table__).scalar_subquery())


def has_stock(variant_id_column):
    """An SQL condition for other domains' queries: the variant has a unit available."""
    level = StockLevel.__table__.c
    return exists().where(level.variant_id == variant_id_column,
                          level.on_hand - level.reserved > 0)


def few_left_clock():
    """An SQL expression: when the units available of any level last changed with FEW_UNITS
    or fewer left (NULL: never). Read from an index, so a page can ask it every time."""
    return select(func.max(StockLevel.__table__.c.low_changed_at)).scalar_subquery()


def default_warehouse() -> Warehouse:
    with transaction():
        warehouse = db.session.scalar(select(Warehouse).where(Warehouse.is_default))
        if warehouse is None:
            warehouse = Warehouse(code="MAIN", name="Main warehouse", is_default=True)
            db.session.add(warehouse)
            db.session.flush()
    return warehouse


def warehouses() -> list[Warehouse]:
    return list(db.session.scalars(
        select(Warehouse).order_by(Warehouse.is_default.desc(), Warehouse.id)))


def add_warehouse(code: str, name: str, *, actor=None) -> Warehouse:
    require(actor, Permission.MANAGE_INVENTORY)
    code, name = code.strip().upper(), name.strip()
    if not code or len(code) > 20 or not name or len(name) > 80:
        raise Invalid(_l("Enter a code of up to 20 characters and a name of up to 80."),
                      field="code")
    with transaction():
        if db.session.scalar(select(Warehouse.id).where(Warehouse.code == code)):
            raise Conflict(_l("A warehouse with code %(code)s exists.", code=code),
                           field="code")
        warehouse = Warehouse(code=code, name=name,
                              is_default=not db.session.scalar(select(Warehouse.id)))
        db.session.add(warehouse)
        db.session.flush()
        audit.record("inventory.warehouse_add", actor_id=_actor_id(actor),
                     target_type="warehouse", target_id=warehouse.id, code=code)
    return warehouse


# ---- the books -------------------------------------------------------------------------------

def _actor_id(actor) -> int | None:
    return actor.id if actor is not None else None


def _level(variant_id: int, warehouse_id: int, *, create: bool = True) -> StockLevel | None:
    level = db.session.scalar(select(StockLevel).where(
        StockLevel.variant_id == variant_id, StockLevel.warehouse_id == warehouse_id))
    if level is None and create:
        level = StockLevel(variant_id=variant_id, warehouse_id=warehouse_id, on_hand=0,
                           reserved=0)
        db.session.add(level)
        db.session.flush()
    return level


def _warehouse_id(warehouse_id: int | None) -> int:
    if warehouse_id is None:
        return default_warehouse().id
    if db.session.get(Warehouse, warehouse_id) is None:
        raise NotFound(_l("No such warehouse."), field="warehouse_id")
    return warehouse_id


def _few_left_changed(delta, now=None):
    """`low_changed_at` in an UPDATE that changes the units available by `delta` (a number,
    or an SQL expression for a statement built once): `now` (by default this moment; a bound
    value for a statement built once) when FEW_UNITS or fewer are available before or after
    (what a product card shows may change), else as it was. Both sides of SET read the row
    as it was, so this is decided in the same statement, whatever other checkouts do at the
    same time.

    A product's card shows the sum over its levels, and no level is below zero: if the sum
    is at or under FEW_UNITS before or after, so is the changed level."""
    before = StockLevel.on_hand - StockLevel.reserved
    if now is None:
        now = literal(utcnow(), StockLevel.low_changed_at.type)  # stored as the column stores
    return case(((before <= FEW_UNITS) | (before + delta <= FEW_UNITS), now),
                else_=StockLevel.low_changed_at)


def _move(variant_id: int, warehouse_id: int, kind: str, quantity: int, *,
          reason: str | None = None, reference: str | None = None, actor=None) -> StockLevel:
    """Change on hand by `quantity` (signed) and write the ledger line, in one statement
    that also refuses to go below the reserved units."""
    _level(variant_id, warehouse_id)
    changed = db.session.execute(
        update(StockLevel)
        .where(StockLevel.variant_id == variant_id, StockLevel.warehouse_id == warehouse_id,
               StockLevel.on_hand + quantity >= StockLevel.reserved)
        .values(on_hand=StockLevel.on_hand + quantity, updated_at=utcnow(),
                low_changed_at=_few_left_changed(quantity))
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        raise Invalid(_l("That would leave fewer units on hand than are reserved for orders."),
                      field="quantity")
    db.session.add(StockMovement(variant_id=variant_id, warehouse_id=warehouse_id, kind=kind,
                                 quantity=quantity, reason=reason, reference=reference,
                                 actor_id=_actor_id(actor)))
    level = _level(variant_id, warehouse_id)
    db.session.refresh(level)
    return level


def _check_units(quantity: int, *, allow_negative: bool = False) -> None:
    if quantity == 0 or abs(quantity) > MAX_UNITS or (quantity < 0 and not allow_negative):
        raise Invalid(_l("Enter a number of units from 1 to %(max)s.", max=f"{MAX_UNITS:,}"),
                      field="quantity")


def _variant_exists(variant_id: int) -> None:
    if not 0 < variant_id < 2**31:
        raise NotFound(_l("No such product variant."), field="variant_id")
    labels = _labels()
    if db.session.scalar(select(labels.c.variant_id)
                         .where(labels.c.variant_id == variant_id)) is None:
        raise NotFound(_l("No such product variant."), field="variant_id")


def receive(variant_id: int, quantity: int, *, warehouse_id: int | None = None,
            reference: str | None = None, actor=None) -> StockLevel:
    """Goods arrived: on hand goes up."""
    require(actor, Permission.MANAGE_INVENTORY)
    _check_units(quantity)
    with transaction():
        _variant_exists(variant_id)
        warehouse_id = _warehouse_id(warehouse_id)
        level = _move(variant_id, warehouse_id, "receipt", quantity,
                      reference=(reference or "").strip()[:64] or None, actor=actor)
        audit.record("inventory.receipt", actor_id=_actor_id(actor), target_type="variant",
                     target_id=variant_id, quantity=quantity, warehouse_id=warehouse_id)
        _note_level(level)
    return level


def adjust(variant_id: int, delta: int, *, reason: str, warehouse_id: int | None = None,
           actor=None) -> StockLevel:
    """A correction (a count, breakage, loss), always with a reason."""
    require(actor, Permission.MANAGE_INVENTORY)
    _check_units(delta, allow_negative=True)
    reason = (reason or "").strip()
    if not reason or len(reason) > 200:
        raise Invalid(_l("Say why the stock changes (up to 200 characters)."), field="reason")
    with transaction():
        _variant_exists(variant_id)
        warehouse_id = _warehouse_id(warehouse_id)
        level = _move(variant_id, warehouse_id, "adjustment", delta, reason=reason,
                      actor=actor)
        audit.record("inventory.adjustment", actor_id=_actor_id(actor), target_type="variant",
                     target_id=variant_id, delta=delta, warehouse_id=warehouse_id)
        _note_level(level)
    return level


def transfer(variant_id: int, quantity: int, *, from_warehouse_id: int, to_warehouse_id: int,
             actor=None) -> None:
    """Move units between warehouses: two ledger lines sharing one reference."""
    require(actor, Permission.MANAGE_INVENTORY)
    _check_units(quantity)
    if from_warehouse_id == to_warehouse_id:
        raise Invalid(_l("Choose two different warehouses."), field="to_warehouse_id")
    with transaction():
        _variant_exists(variant_id)
        source, target = _warehouse_id(from_warehouse_id), _warehouse_id(to_warehouse_id)
        reference = f"TR-{utcnow():%Y%m%d%H%M%S%f}"
        level = _level(variant_id, source)
        if level.on_hand - level.reserved < quantity:
            raise Invalid(_l("Only %(n)d units can be moved from there.",
                             n=max(0, level.on_hand - level.reserved)), field="quantity")
        _move(variant_id, source, "transfer_out", -quantity, reference=reference, actor=actor)
        _move(variant_id, target, "transfer_in", quantity, reference=reference, actor=actor)
        audit.record("inventory.transfer", actor_id=_actor_id(actor), target_type="variant",
                     target_id=variant_id, quantity=quantity, source=source, target=target)


def restock(variant_id: int, quantity: int, *, reference: str, actor=None) -> StockLevel:
    """Returned goods back on the shelf of the default warehouse."""
    require(actor, Permission.MANAGE_INVENTORY)
    _check_units(quantity)
    with transaction():
        level = _move(variant_id, default_warehouse().id, "return", quantity,
                      reference=reference, actor=actor)
        _note_level(level)
    return level


def set_on_hand(variant_id: int, units: int, *, actor=None) -> StockLevel:
    """Set the units on hand in the default warehouse (demo data, imports, a stock count),
    through an adjustment so the ledger still adds up. Never below the units reserved."""
    require(actor, Permission.MANAGE_INVENTORY)
    with transaction():
        warehouse_id = default_warehouse().id
        level = _level(variant_id, warehouse_id)
        delta = max(units, level.reserved) - level.on_hand
        if delta:
            level = _move(variant_id, warehouse_id, "adjustment", delta,
                          reason="stock count", actor=actor)
            _note_level(level)
    return level


def set_threshold(variant_id: int, threshold: int | None, *, warehouse_id: int | None = None,
                  actor=None) -> StockLevel:
    """Below this many available units, staff are told (once per shortage)."""
    require(actor, Permission.MANAGE_INVENTORY)
    if threshold is not None and not 0 <= threshold <= MAX_UNITS:
        raise Invalid(_l("Enter a threshold from 0 to %(max)s.", max=f"{MAX_UNITS:,}"),
                      field="threshold")
    with transaction():
        _variant_exists(variant_id)
        level = _level(variant_id, _warehouse_id(warehouse_id))
        level.low_stock_threshold = threshold
        level.low_stock_alerted_at = None
        audit.record("inventory.threshold", actor_id=_actor_id(actor), target_type="variant",
                     target_id=variant_id, threshold=threshold)
    return level


def _note_level(level: StockLevel) -> None:
    """A level that rose above its threshold may alert again next time it runs low."""
    if (level.low_stock_alerted_at is not None and level.low_stock_threshold is not None
            and level.available > level.low_stock_threshold):
        level.low_stock_alerted_at = None


# ---- reservations (checkout, orders) ---------------------------------------------------------

def reserve(reference: str, wants: dict[int, int]) -> None:
    """Hold `wants` (variant id -> units) for an order, inside the caller's transaction.
    Each variant is taken whole from one warehouse (the default first). Raises OutOfStock
    naming every variant that falls short; the caller's transaction then rolls back, so
    nothing is held."""
    if not wants:
        return
    short: list[int] = []
    with transaction():
        for quantity in wants.values():
            if quantity <= 0:
                raise Invalid(_l("Enter a quantity of at least 1."), field="quantity")
        where = _warehouses_holding(list(wants))
        held = []
        # Variant order is fixed so two checkouts lock level rows in the same order.
        for variant_id in sorted(wants):
            warehouse_id = _hold(variant_id, wants[variant_id], where.get(variant_id, []))
            if warehouse_id is None:
                short.append(variant_id)
            else:
                held.append({"reference": reference, "variant_id": variant_id,
                             "warehouse_id": warehouse_id, "quantity": wants[variant_id],
                             "created_at": utcnow()})
        if short:
            raise OutOfStock(available(short))  # what is left of each, read at once
        # One INSERT for them all, as rows: nothing in the order's request reads them back,
        # and the ORM's unit of work cost more CPU than the statement (every order).
        db.session.execute(_RESERVE, held)


_RESERVE = Reservation.__table__.insert()

_WAREHOUSES_HOLDING = (
    select(StockLevel.variant_id, StockLevel.warehouse_id)
    .join(Warehouse, Warehouse.id == StockLevel.warehouse_id)
    .where(StockLevel.variant_id.in_(bindparam("ids", expanding=True)))
    .order_by(StockLevel.variant_id, Warehouse.is_default.desc(), Warehouse.id))


def _warehouses_holding(variant_ids: list[int]) -> dict[int, list[int]]:
    """The warehouses with a stock row for each variant, the default first."""
    rows = prepared.rows(_WAREHOUSES_HOLDING, {"ids": variant_ids})
    where: dict[int, list[int]] = {}
    for variant_id, warehouse_id in rows:
        where.setdefault(variant_id, []).append(warehouse_id)
    return where


def _hold(variant_id: int, quantity: int, warehouses: list[int]) -> int | None:
    """Take `quantity` units whole from the first of `warehouses` that has them; the
    warehouse, or None. A conditional UPDATE: two checkouts never take the same unit."""
    for warehouse_id in warehouses:
        taken = db.session.execute(_HOLD, {
            "variant": variant_id, "warehouse": warehouse_id, "quantity": quantity,
            "now": utcnow()}).rowcount
        if taken == 1:
            return warehouse_id
    return None


# Built once (every order runs it for each variant it holds): only the values change.
# (Bound names other than the columns': an UPDATE keeps those for its SET.)
_quantity, _now = bindparam("quantity"), bindparam("now", type_=StockLevel.updated_at.type)
_HOLD = (
    update(StockLevel)
    .where(StockLevel.variant_id == bindparam("variant"),
           StockLevel.warehouse_id == bindparam("warehouse"),
           StockLevel.on_hand - StockLevel.reserved >= _quantity)
    .values(reserved=StockLevel.reserved + _quantity, updated_at=_now,
            low_changed_at=_few_left_changed(-_quantity, _now))
    .execution_options(synchronize_session=False))


def _close(reservation_id: int, state: str) -> bool:
    """Move a held reservation to `state`; False if another process closed it first."""
    return db.session.execute(
        update(Reservation)
        .where(Reservation.id == reservation_id, Reservation.state == "held")
        .values(state=state, closed_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount == 1


def _unreserve(reservation: Reservation) -> None:
    db.session.execute(
        update(StockLevel)
        .where(StockLevel.variant_id == reservation.variant_id,
               StockLevel.warehouse_id == reservation.warehouse_id)
        .values(reserved=StockLevel.reserved - reservation.quantity, updated_at=utcnow(),
                low_changed_at=_few_left_changed(reservation.quantity))
        .execution_options(synchronize_session=False))


def _held(reference: str, variant_id: int | None = None) -> list[Reservation]:
    query = select(Reservation).where(Reservation.reference == reference,
                                      Reservation.state == "held")
    if variant_id is not None:
        query = query.where(Reservation.variant_id == variant_id)
    return list(db.session.scalars(query.order_by(Reservation.variant_id, Reservation.id)))


def release(reference: str) -> int:
    """Give back every unit still held for an order (cancelled, expired). Safe to call
    twice or from two processes at once. Returns the units released."""
    released = 0
    with transaction():
        for reservation in _held(reference):
            if _close(reservation.id, "released"):
                _unreserve(reservation)
                released += reservation.quantity
    return released


def sell(reference: str, quantities: dict[int, int] | None = None) -> int:
    """The goods left the shop: held units become a sale (on hand and reserved both go
    down, one `sale` line in the ledger). `quantities` (variant id -> units) sells part of
    an order (partial fulfilment); None sells everything still held. Returns units sold."""
    remaining = None if quantities is None else dict(quantities)
    sold = 0
    with transaction():
        for reservation in _held(reference):
            wanted = reservation.quantity
            if remaining is not None:
                wanted = min(remaining.get(reservation.variant_id, 0), reservation.quantity)
            if wanted <= 0:
                continue
            if wanted < reservation.quantity:
                # Split: the rest stays held for the next shipment.
                reservation.quantity -= wanted
                unit = Reservation(reference=reference, variant_id=reservation.variant_id,
                                   warehouse_id=reservation.warehouse_id, quantity=wanted,
                                   state="sold", closed_at=utcnow())
                db.session.add(unit)
            elif _close(reservation.id, "sold"):
                unit = reservation
            else:
                continue  # another process sold or released it a moment ago
            _unreserve(unit)
            _move(unit.variant_id, unit.warehouse_id, "sale", -unit.quantity,
                  reference=reference)
            if remaining is not None:
                remaining[unit.variant_id] -= unit.quantity
            sold += unit.quantity
    return sold


def held_units(reference: str) -> dict[int, int]:
    """Units still held for an order, per variant."""
    rows = db.session.execute(
        select(Reservation.variant_id, func.sum(Reservation.quantity))
        .where(Reservation.reference == reference, Reservation.state == "held")
        .group_by(Reservation.variant_id)).all()
    return {variant_id: int(units) for variant_id, units in rows}


# ---- checking and rebuilding ----------------------------------------------------------------

def _book_sums():
    moved = (select(StockMovement.variant_id, StockMovement.warehouse_id,
                    func.sum(StockMovement.quantity).label("units"))
             .group_by(StockMovement.variant_id, StockMovement.warehouse_id).subquery())
    held = (select(Reservation.variant_id, Reservation.warehouse_id,
                   func.sum(Reservation.quantity).label("units"))
            .where(Reservation.state == "held")
            .group_by(Reservation.variant_id, Reservation.warehouse_id).subquery())
    return (select(StockLevel,
                   func.coalesce(moved.c.units, 0), func.coalesce(held.c.units, 0))
            .outerjoin(moved, (moved.c.variant_id == StockLevel.variant_id)
                       & (moved.c.warehouse_id == StockLevel.warehouse_id))
            .outerjoin(held, (held.c.variant_id == StockLevel.variant_id)
                       & (held.c.warehouse_id == StockLevel.warehouse_id)))


def ledger_problems() -> list[str]:
    """Levels whose on hand or reserved units differ from the books (empty: all agree)."""
    problems = []
    for level, moved, held in db.session.execute(_book_sums()).all():
        if level.on_hand != moved or level.reserved != held:
            problems.append(
                f"variant {level.variant_id} in warehouse {level.warehouse_id}: on hand "
                f"{level.on_hand} vs ledger {moved}, reserved {level.reserved} vs held {held}")
    return problems


def rebuild_levels(*, actor=None) -> int:
    """Set every level from the books. Returns how many levels changed."""
    require(actor, Permission.MANAGE_INVENTORY)
    changed = 0
    with transaction():
        for level, moved, held in db.session.execute(_book_sums()).all():
            if (level.on_hand, level.reserved) != (moved, held):
                level.on_hand, level.reserved = int(moved), int(held)
                level.updated_at = level.low_changed_at = utcnow()
                changed += 1
        if changed:
            audit.record("inventory.rebuild", actor_id=_actor_id(actor), levels=changed)
    return changed


# ---- staff views -----------------------------------------------------------------------------

@dataclass(frozen=True)
class StockRow:
    variant_id: int
    sku: str
    product_name: str
    product_slug: str
    warehouse_code: str
    on_hand: int
    reserved: int
    available: int
    threshold: int | None

    @property
    def is_low(self) -> bool:
        return self.threshold is not None and self.available <= self.threshold


def stock_rows(*, query: str = "", low_only: bool = False, warehouse_id: int | None = None,
               limit: int | None = None, offset: int = 0, actor=None) -> tuple[list[StockRow], int]:
    """Stock levels with their product, for the back office and the CSV export.
    Returns (rows, total)."""
    require(actor, Permission.MANAGE_INVENTORY)
    labels = _labels()
    label = labels.c
    base = (select(StockLevel, label.sku, label.product_name, label.product_slug, Warehouse.code)
            .join(labels, label.variant_id == StockLevel.variant_id)
            .join(Warehouse, Warehouse.id == StockLevel.warehouse_id))
    query = query.strip()[:100]
    if query:
        like = f"%{query.lower()}%"
        base = base.where(func.lower(label.sku).like(like)
                          | func.lower(label.product_name).like(like))
    if low_only:
        base = base.where(StockLevel.low_stock_threshold.is_not(None),
                          StockLevel.on_hand - StockLevel.reserved
                          <= StockLevel.low_stock_threshold)
    if warehouse_id is not None:
        base = base.where(StockLevel.warehouse_id == warehouse_id)
    total = db.session.scalar(select(func.count()).select_from(base.subquery()))
    ordered = base.order_by(
        case((StockLevel.on_hand - StockLevel.reserved <= 0, 0), else_=1),
        label.product_name, label.sku, Warehouse.code).offset(offset)
    if limit is not None:
        ordered = ordered.limit(limit)
    rows = [StockRow(level.variant_id, sku, name, slug, code, level.on_hand, level.reserved,
                     level.available, level.low_stock_threshold)
            for level, sku, name, slug, code in db.session.execute(ordered).all()]
    return rows, total


def movements(variant_id: int, *, limit: int = 50, actor=None) -> list[StockMovement]:
    require(actor, Permission.MANAGE_INVENTORY)
    return list(db.session.scalars(
        select(StockMovement).where(StockMovement.variant_id == variant_id)
        .order_by(StockMovement.id.desc()).limit(limit)))


def levels_to_alert() -> list[StockLevel]:
    """Levels at or below their threshold that staff have not been told about yet."""
    return list(db.session.scalars(
        select(StockLevel).where(
            StockLevel.low_stock_threshold.is_not(None),
            StockLevel.low_stock_alerted_at.is_(None),
            StockLevel.on_hand - StockLevel.reserved <= StockLevel.low_stock_threshold)
        .order_by(StockLevel.id)))


def mark_alerted(level_ids: list[int]) -> None:
    with transaction():
        db.session.execute(update(StockLevel).where(StockLevel.id.in_(level_ids))
                           .values(low_stock_alerted_at=utcnow())
                           .execution_options(synchronize_session=False))
