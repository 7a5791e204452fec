"""Writing a service's booking slots (the times customers can book) and listing the ones still
to come for the staff. Each write checks the actor's role and writes an audit entry; `actor` None
is the system itself (demo loader, tests' factories).
"""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from app import db
from app.accounts.services import User  # the type of `actor`
from app.audit import services as audit
from app.catalog.editing import _actor_id, _get, _require
from app.catalog.inputs import MAX_CAPACITY
from app.catalog.models import Product, ServiceSlot
from app.db import transaction, utcnow
from app.errors import Invalid, NotFound

# ---- booking slots ---------------------------------------------------------------------------

def add_slot(product_id: int, starts_at: dt.datetime, *, capacity: int = 1,
             actor: User | None = None) -> ServiceSlot:
    """A bookable time for a service, lasting the service's duration. Raises Invalid (a time
    in the past, a capacity out of range), NotFound (no such service), Forbidden."""
    _require(actor)
    if not 1 <= capacity <= MAX_CAPACITY:
        raise Invalid(_l("Enter a capacity from 1 to %(max)d.", max=MAX_CAPACITY),
                      field="capacity")
    if starts_at <= utcnow():
        raise Invalid(_l("Choose a time in the future."), field="starts_at")
    with transaction():
        product = _get(Product, product_id)
        if product is None or not product.is_service:
            raise NotFound()
        slot = ServiceSlot(product_id=product_id, starts_at=starts_at, capacity=capacity,
                           ends_at=starts_at + dt.timedelta(minutes=product.duration_minutes))
        db.session.add(slot)
        db.session.flush()
        audit.record("catalog.slot_add", actor_id=_actor_id(actor), target_type="product",
                     target_id=product_id, slot_id=slot.id)
    return slot


def upcoming_slots(product_id: int, *, limit: int = 50,
                   actor: User | None = None) -> list[ServiceSlot]:
    """Slots still to come, full ones too (staff see the bookings)."""
    _require(actor)
    return list(db.session.scalars(
        select(ServiceSlot).where(ServiceSlot.product_id == product_id,
                                  ServiceSlot.starts_at > utcnow())
        .order_by(ServiceSlot.starts_at).limit(limit)))



# ---- bookings (checkout, orders) -------------------------------------------------------------

def book(slot_id: int, places: int = 1) -> bool:
    """Take `places` in a slot still to come, inside the caller's transaction. A conditional
    update, so two checkouts never overbook the last place. False when it is full or past."""
    return db.session.execute(
        update(ServiceSlot)
        .where(ServiceSlot.id == slot_id, ServiceSlot.starts_at > utcnow(),
               ServiceSlot.booked + places <= ServiceSlot.capacity)
        .values(booked=ServiceSlot.booked + places)
        .execution_options(synchronize_session=False)).rowcount == 1


def unbook(slot_id: int, places: int = 1) -> None:
    """Give places back (an order cancelled). Never below zero."""
    db.session.execute(
        update(ServiceSlot)
        .where(ServiceSlot.id == slot_id, ServiceSlot.booked >= places)
        .values(booked=ServiceSlot.booked - places)
        .execution_options(synchronize_session=False))
