"""Low-stock alerts: the staff who look after stock hear, by mail, once per shortage.

A level whose available units fall to its threshold or below is listed by
`inventory.levels_to_alert()` until it is marked alerted; it is listed again only after it
rose above the threshold (a receipt clears the mark) and fell again. One run sends one mail
per staff member, listing every level that ran low since the last run.
"""

from __future__ import annotations

import hashlib
import logging

from sqlalchemy.exc import IntegrityError
from werkzeug.routing import BuildError

from app import db
from app.accounts import staff
from app.db import transaction
from app.events import services as events
from app.inventory import services as inventory
from app.links import external_url
from app.notifications import services as notifications
from app.security.roles import Permission

log = logging.getLogger(__name__)

TEMPLATE = "low_stock"


def alert_low_stock() -> int:
    """Tell every active staff member who manages inventory about the levels that ran low
    and were not reported yet, then mark those levels alerted. Returns how many levels were
    reported (0: nothing new). Safe to run twice or in two workers at once: the mail's
    dedupe key is made of the levels and their state, so a rerun queues nothing new."""
    try:
        with transaction():
            levels = inventory.levels_to_alert()
            if not levels:
                return 0
            items = _items(levels)
            recipients = staff.active_staff_with(Permission.MANAGE_INVENTORY)
            digest = _digest(levels)
            link = _stock_link()
            for user in recipients:
                notifications.queue_email(
                    TEMPLATE, to=user.email, locale="en", user_id=user.id,
                    dedupe_key=f"{TEMPLATE}:{user.id}:{digest}", items=items,
                    count=len(items), link=link)
            inventory.mark_alerted([level.id for level in levels])
            for level in levels:
                events.publish("stock.low", key=f"variant:{level.variant_id}",
                               variant_id=level.variant_id, warehouse_id=level.warehouse_id,
                               available=level.available,
                               threshold=level.low_stock_threshold)
    except IntegrityError:
        # Another worker queued the same alert a moment ago (same dedupe key) and marked
        # the levels: nothing is left to do.
        db.session.rollback()
        log.info("low_stock_alert_raced")
        return 0
    log.info("low_stock_alerted", extra={"levels": len(levels), "recipients": len(recipients)})
    return len(levels)


def _items(levels) -> list[dict]:
    """What the mail lists per level: SKU, product, warehouse, available, threshold."""
    wanted = {(level.variant_id, level.warehouse_id) for level in levels}
    codes = {warehouse.id: warehouse.code for warehouse in inventory.warehouses()}
    by_place = {}
    rows, _total = inventory.stock_rows(low_only=True, actor=None)
    ids = {code: warehouse_id for warehouse_id, code in codes.items()}
    for row in rows:
        place = (row.variant_id, ids.get(row.warehouse_code))
        if place in wanted:
            by_place[place] = row
    items = []
    for level in levels:
        row = by_place.get((level.variant_id, level.warehouse_id))
        items.append({
            "sku": row.sku if row else f"#{level.variant_id}",
            "product": row.product_name if row else "",
            "warehouse": codes.get(level.warehouse_id, ""),
            "available": level.available,
            "threshold": level.low_stock_threshold,
        })
    return items


def _digest(levels) -> str:
    """The same levels in the same state give the same key; a level that recovered and ran
    low again (its stock moved) or got a new threshold gives a new one."""
    state = ";".join(
        f"{level.id}:{level.available}:{level.low_stock_threshold}:"
        f"{level.updated_at.isoformat() if level.updated_at else ''}"
        for level in sorted(levels, key=lambda level: level.id))
    return hashlib.sha256(state.encode()).hexdigest()[:32]


def _stock_link() -> str | None:
    try:
        return external_url("staff.stock_list", low="y")
    except BuildError:  # the back office is not part of this app (a worker without it)
        return None
