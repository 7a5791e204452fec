"""Recording what shoppers do, cheaply: a request never writes an event to the database.

`record(...)` adds the event to a buffer and returns; a job (`flush`, every minute) moves the
buffer into the database in one insert. With REDIS_URL the buffer is a Redis list shared by
every web process and emptied by whichever worker runs the job; each process sends its
events there in batches (one RPUSH per 100 events or 2 seconds, and at exit). Without it (the
embedded default: one process) it is a list in this process, which the local schedule empties.
When Redis does not answer, events are dropped for a while instead of making pages wait: they
feed recommendations, and a few lost views change nothing a shopper would notice, whereas a
page that hangs does. Nothing here ever raises into the page.

Who: a signed-in customer is their id (unless they said no to personalisation: then nothing
is recorded); a signed-out visitor is a random first-party id, joined to the customer when
they sign in (`join_visitor`). A search's words are kept only when they cannot be a person's
details: no digits run of 5 or more (a phone or NIC number), no "@" (an e-mail address), at
most 64 characters, lower-cased.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import threading
import time

from flask import current_app
from redis.exceptions import RedisError
from sqlalchemy import bindparam, delete, insert, select, update

from app import db, prepared
from app.db import transaction, utcnow
from app.recommendations.models import (
    KINDS,
    PERSONAL_KINDS,
    PersonalisationChoice,
    ShopperEvent,
    StoredList,
)
from app.redis_client import redis_for
from app.request_memo import RequestMemo

log = logging.getLogger(__name__)

REDIS_KEY = "kade:shopper-events"
BATCH = 5_000  # events moved to the database in one insert
LOCAL_LIMIT = 50_000  # the in-process buffer's size: beyond it new events are dropped
QUIET_SECONDS = 30  # after a Redis error, events are dropped this long without asking again
PUSH_BATCH = 100  # events sent to Redis in one RPUSH...
PUSH_SECONDS = 2.0  # ...or once the oldest has waited this long
KEEP_DAYS = 396  # 13 months
QUERY_LENGTH = 64
_PERSONAL = re.compile(r"@|\d{5}")

_local_lock = threading.Lock()
_redis_quiet_until = 0.0


def _local() -> list[str]:
    """This app's in-process buffer (the embedded default): one per app, so two apps in one
    process (tests) never flush each other's events."""
    return current_app.extensions.setdefault("kade_shopper_events", [])


# ---- recording -----------------------------------------------------------------------------

def plain_query(text: str | None) -> str | None:
    """A search's words as kept: lower-cased, spaces tidied, at most 64 characters; None
    when they may be a person's details (an e-mail address, a phone or NIC number)."""
    words = " ".join((text or "").split()).lower()[:QUERY_LENGTH]
    if not words or _PERSONAL.search(words.replace(" ", "").replace("-", "")):
        return None
    return words


def recording() -> bool:
    """Whether shopper events are recorded at all (SHOPPER_EVENTS)."""
    return bool(current_app.config.get("SHOPPER_EVENTS", True))


def record(kind: str, *, customer_id: int | None = None, visitor_id: str | None = None,
           product_id: int | None = None, variant_id: int | None = None,
           quantity: int | None = None,
           query: str | None = None, found: bool | None = None,
           when: dt.datetime | None = None) -> bool:
    """Buffer one event. False when it was not kept (no one to tie it to, the buffer full,
    Redis down). Never raises: a page must not fail because of its own bookkeeping.
    A customer who said no to personalisation must not reach here (`personalised`)."""
    if kind not in KINDS or (customer_id is None and not visitor_id) or not recording():
        return False
    event = json.dumps({
        "kind": kind, "customer_id": customer_id,
        "visitor_id": None if customer_id else visitor_id,
        "product_id": product_id, "variant_id": variant_id, "quantity": quantity,
        "query": plain_query(query) if kind == "search" else None,
        "found": found if kind == "search" else None,
        "at": (when or utcnow()).isoformat()}, separators=(",", ":"))
    try:
        return _push(event)
    except Exception:  # noqa: BLE001 — bookkeeping never breaks a page
        log.warning("shopper_event_dropped", exc_info=True)
        return False


def _push(event: str) -> bool:
    global _redis_quiet_until
    connection = redis_for(current_app)
    if connection is None:
        with _local_lock:
            waiting = _local()
            if len(waiting) >= LOCAL_LIMIT:
                return False
            waiting.append(event)
        return True
    if time.monotonic() < _redis_quiet_until:
        return False
    # Events go to Redis in batches: a round trip per event cost the strip that records a
    # view a tenth of its time (bench/catalog.py --events). Held here at most PUSH_SECONDS
    # (or until the next event after that, or the process's exit): a few views lost if the
    # process is killed change nothing a shopper would notice.
    with _local_lock:
        held = _held()
        if len(held) >= LOCAL_LIMIT:
            return False
        held.append(event)
        due = len(held) >= PUSH_BATCH or time.monotonic() - _held_since() >= PUSH_SECONDS
    return _push_held(current_app._get_current_object(), connection) if due else True


def _held() -> list[str]:
    """This app's events waiting to go to Redis (per app, as `_local`)."""
    holding = current_app.extensions.setdefault("kade_shopper_events_held", {"events": []})
    holding.setdefault("since", time.monotonic())
    return holding["events"]


def _held_since() -> float:
    return current_app.extensions["kade_shopper_events_held"]["since"]


def _push_held(app, connection, *, quiet: bool = False) -> bool:
    """Send this app's held events to Redis in one RPUSH. False when Redis did not take
    them (they are dropped, and Redis is left alone a while)."""
    global _redis_quiet_until
    holding = app.extensions.get("kade_shopper_events_held")
    if not holding:
        return True
    with _local_lock:
        batch, holding["events"] = holding["events"], []
        holding["since"] = time.monotonic()
    if not batch:
        return True
    try:
        connection.rpush(REDIS_KEY, *batch)
    except RedisError:
        _redis_quiet_until = time.monotonic() + QUIET_SECONDS
        if not quiet:
            log.warning("shopper_events_redis_down")
        return False
    return True


def push_held(*, quiet: bool = False) -> bool:
    """Send what this process holds to Redis now (before the job flushes; at exit, `quiet`:
    nothing is logged, the logs may be closed)."""
    connection = redis_for(current_app)
    return True if connection is None else _push_held(current_app._get_current_object(),
                                                      connection, quiet=quiet)


# ---- moving the buffer into the database -----------------------------------------------------

def flush(limit: int = BATCH) -> int:
    """Move up to `limit` buffered events into the database; returns how many. Events of a
    customer who said no since they were buffered are left out."""
    raw = _take(limit)
    if not raw:
        return 0
    rows = []
    for text in raw:
        data = json.loads(text)
        data["created_at"] = dt.datetime.fromisoformat(data.pop("at"))
        rows.append(data)
    refused = _not_personalised({row["customer_id"] for row in rows if row["customer_id"]})
    rows = [row for row in rows if row["customer_id"] not in refused]
    if rows:
        with transaction():
            db.session.execute(insert(ShopperEvent), rows)
    return len(rows)


def flush_all() -> int:
    """Flush until the buffer is empty (the job: a busy minute may have buffered more than a
    batch). What this process still holds goes to Redis first."""
    push_held()
    total = 0
    while moved := flush():
        total += moved
    return total


def _take(limit: int) -> list[str]:
    connection = redis_for(current_app)
    if connection is None:
        with _local_lock:
            waiting = _local()
            taken = waiting[:limit]
            del waiting[:limit]
        return taken
    # LPOP with a count takes and removes in one step: two workers never take the same event.
    return [item.decode() for item in connection.lpop(REDIS_KEY, limit) or []]


def buffered() -> int:
    """Events waiting in the buffer (metrics, tests), with those this process holds."""
    connection = redis_for(current_app)
    if connection is None:
        return len(_local())
    holding = current_app.extensions.get("kade_shopper_events_held") or {"events": []}
    return connection.llen(REDIS_KEY) + len(holding["events"])


# ---- who may be tracked ------------------------------------------------------------------------

def personalised(customer_id: int | None) -> bool:
    """Whether this customer's doings may be recorded and used (yes unless they said no).
    Every add to cart and signed-in page view asks: read once a request, along with the
    signed-in customer when it is them (app/recommendations/handlers.py)."""
    if customer_id is None:
        return True
    return _choices.get_or_read(customer_id, lambda: _read_choice(customer_id))


def choice_of(customer_id):
    """The customer's choice (a column: the id of the customer it is given), NULL if they
    never made one, as a scalar subquery."""
    return (select(PersonalisationChoice.personalised)
            .where(PersonalisationChoice.customer_id == customer_id).scalar_subquery())


def keep_choice(customer_id: int, choice: bool | None) -> None:
    """What the signed-in customer's lookup read along, kept for the rest of the request."""
    _choices.prime(customer_id, _allows(choice))


def _read_choice(customer_id: int) -> bool:
    return _allows(prepared.rows(_CHOICE, {"customer_id": customer_id})[0][0])


def _allows(choice: bool | None) -> bool:
    return choice is None or bool(choice)  # no choice made: yes


_CHOICE = select(choice_of(bindparam("customer_id")))
# A customer's choice for the rest of the request; saving a choice forgets it.
_choices = RequestMemo("personalised", (PersonalisationChoice,))


def _not_personalised(customer_ids: set[int]) -> set[int]:
    if not customer_ids:
        return set()
    return set(db.session.scalars(
        select(PersonalisationChoice.customer_id).where(
            PersonalisationChoice.customer_id.in_(customer_ids),
            PersonalisationChoice.personalised.is_(False))))


def set_personalised(customer_id: int, personalised: bool) -> None:
    """The customer's choice. Saying no deletes every event recorded of them."""
    with transaction():
        choice = db.session.get(PersonalisationChoice, customer_id)
        if choice is None:
            choice = PersonalisationChoice(customer_id=customer_id)
            db.session.add(choice)
        choice.personalised = personalised
        choice.updated_at = utcnow()
        if not personalised:
            forget(customer_id)


def declined_customers() -> set[int]:
    """Every customer who said no to personalisation (the nightly job makes nothing of them)."""
    return set(db.session.scalars(select(PersonalisationChoice.customer_id).where(
        PersonalisationChoice.personalised.is_(False))))


def forget(customer_id: int) -> int:
    """Delete every event of this customer and the lists made about them (they said no, or
    erased their account). Returns how many events went."""
    with transaction():
        db.session.execute(delete(StoredList).where(StoredList.kind.in_(PERSONAL_KINDS),
                                                    StoredList.owner == str(customer_id)))
        return db.session.execute(
            delete(ShopperEvent).where(ShopperEvent.customer_id == customer_id)).rowcount


def join_visitor(visitor_id: str | None, customer_id: int) -> int:
    """A visitor signed in: their events become the customer's (or go, if the customer said
    no to personalisation). Returns how many events were joined."""
    if not visitor_id:
        return 0
    with transaction():
        events = ShopperEvent.visitor_id == visitor_id
        if not personalised(customer_id):
            db.session.execute(delete(ShopperEvent).where(events))
            return 0
        return db.session.execute(
            update(ShopperEvent).where(events)
            .values(customer_id=customer_id, visitor_id=None)).rowcount


def delete_old(now: dt.datetime | None = None) -> int:
    """Delete events older than 13 months (the job, nightly). Returns how many."""
    cutoff = (now or utcnow()) - dt.timedelta(days=KEEP_DAYS)
    with transaction():
        return db.session.execute(
            delete(ShopperEvent).where(ShopperEvent.created_at < cutoff)).rowcount


def recently_viewed(*, customer_id: int | None = None, visitor_id: str | None = None,
                    limit: int = 30) -> list[int]:
    """The products this customer or visitor viewed last, newest first (what they browse,
    for a newcomer's "popular in the categories you look at"). Saved events only."""
    if customer_id is not None:
        who = ShopperEvent.customer_id == customer_id
    elif visitor_id:
        who = ShopperEvent.visitor_id == visitor_id
    else:
        return []
    return list(db.session.scalars(
        select(ShopperEvent.product_id)
        .where(who, ShopperEvent.kind == "view", ShopperEvent.product_id.is_not(None))
        .order_by(ShopperEvent.created_at.desc()).limit(limit)))


def export_for(customer_id: int, _locale: str = "en") -> list[dict]:
    """The customer's events for their copy of their data (newest first), and their choice."""
    events = db.session.scalars(
        select(ShopperEvent).where(ShopperEvent.customer_id == customer_id)
        .order_by(ShopperEvent.created_at.desc(), ShopperEvent.id.desc()))
    return [{"personalised": personalised(customer_id)}, *(
        {"event": e.kind, "product_id": e.product_id, "variant_id": e.variant_id,
         "quantity": e.quantity, "search": e.query, "found": e.found,
         "at": e.created_at.isoformat()} for e in events)]
