"""The stored recommendation lists: written whole by the nightly job, read by pages (all the
lists a page needs in one query), trimmed when a customer orders.

A list is a row per (kind, owner) with its items as JSON, best first: writing 100 000
customers' lists is 200 000 rows, not ten million.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from typing import NamedTuple

from sqlalchemy import and_, delete, insert, or_, select

from app import db
from app.db import transaction
from app.recommendations.algorithms import MAX_N, Recommendation
from app.recommendations.models import PERSONAL_KINDS, StoredList

SHOP = "shop"  # the owner of the whole shop's "popular" list
WRITE_BATCH = 2_000


class Item(NamedTuple):
    product_id: int
    reason_id: int | None  # "because you bought <reason>"; None: no reason to give


def encode(recs: list[Recommendation]) -> str:
    """A list as stored: its best MAX_N as JSON."""
    return json.dumps([[int(r.item), None if r.reason_item is None else int(r.reason_item)]
                       for r in recs[:MAX_N]], separators=(",", ":"))


def decode(text: str) -> list[Item]:
    return [Item(int(product), None if reason is None else int(reason))
            for product, reason in json.loads(text)]


def replace_all(stored: Mapping[tuple[str, str], str], *, computed_at: dt.datetime) -> int:
    """Every list replaced by `stored` ({(kind, owner): encoded list}, see `encode`) in one
    transaction: a page sees last night's lists or tonight's, never half of each. Returns
    how many."""
    rows = ({"kind": kind, "owner": owner, "items": items, "computed_at": computed_at}
            for (kind, owner), items in stored.items())
    count = 0
    with transaction():
        db.session.execute(delete(StoredList))
        batch: list[dict] = []
        for row in rows:
            batch.append(row)
            if len(batch) == WRITE_BATCH:
                db.session.execute(insert(StoredList), batch)
                count, batch = count + len(batch), []
        if batch:
            db.session.execute(insert(StoredList), batch)
            count += len(batch)
    return count


def read(keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], list[Item]]:
    """The lists named by (kind, owner), in one query; a list not stored is absent."""
    keys = list(dict.fromkeys(keys))
    if not keys:
        return {}
    rows = db.session.execute(
        select(StoredList.kind, StoredList.owner, StoredList.items)
        .where(or_(*(and_(StoredList.kind == kind, StoredList.owner == owner)
                     for kind, owner in keys))))
    return {(kind, owner): decode(items) for kind, owner, items in rows}


def drop_bought(customer_id: int, product_ids: set[int]) -> None:
    """The cheap update when a customer orders: what they just bought leaves their "buy
    again" (it is not due now) and "for you" (it is no longer new to them) until tonight."""
    owner = str(customer_id)
    with transaction():
        for row in db.session.scalars(
                select(StoredList).where(StoredList.kind.in_(PERSONAL_KINDS),
                                         StoredList.owner == owner)
                .with_for_update()):
            kept = [item for item in decode(row.items) if item.product_id not in product_ids]
            row.items = json.dumps([list(item) for item in kept], separators=(",", ":"))
