"""Wallet operations: what a customer has, what they got and spent, and the only writes.

A spend is one conditional update (`balance = balance - x WHERE balance >= x`): of two
checkouts spending the same credit at the same instant, PostgreSQL's row lock makes the
second re-read the balance and find too little; SQLite runs them one after the other. The
ledger entry is written in the same transaction, with the balance it left.

Expiry is worked out from the ledger, never stored on a credit: spends take from the credit
that expires first, so a customer never loses credit they could have spent. Before a spend,
the account's lapsed credits are written off (an "expired" entry each), so what expired
cannot be spent even if the nightly job has not run yet.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask_babel import LazyString, gettext, lazy_gettext as _l, ngettext
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from app import db
from app.audit import services as audit
from app.db import transaction, utcnow
from app.errors import Conflict, Invalid, NotFound
from app.i18n import local_time
from app.security.roles import Permission, require
from app.wallet.models import KINDS, UNITS, WalletAccount, WalletEntry

MAX_REASON = 300
# A single goodwill credit above this is a typo more often than generosity (Rs 100,000).
MAX_GOODWILL_CENTS = 100_000_00


class NotEnoughCredit(Conflict):
    """Asked to spend more than the wallet holds. `balance` says what it holds (cents), and
    so does the message, in the reader's language when it is shown."""

    code = "not_enough_credit"

    def __init__(self, *, balance: int, field: str | None = None, unit: str = "credit"):
        super().__init__(LazyString(_not_enough, balance, unit), field=field, balance=balance,
                         unit=unit)


def _not_enough(balance: int, unit: str) -> str:
    from app import i18n

    if unit == "points":
        return ngettext("You have %(num)d point, not enough for that. Use fewer, or none.",
                        "You have %(num)d points, not enough for that. Use fewer, or none.",
                        balance)
    return gettext("Your store credit is %(balance)s, not enough for that. Use less of it, "
                   "or none.", balance=i18n.format_lkr(balance, i18n.current_language()))


@dataclass(frozen=True)
class Lot:
    """What is left of one credit, and when that lapses (None: never)."""

    entry_id: int
    left: int
    expires_at: dt.datetime | None


# ---- reading ---------------------------------------------------------------------------------

def _account(user_id: int, unit: str, *, lock: bool = False) -> WalletAccount | None:
    query = select(WalletAccount).where(WalletAccount.user_id == user_id,
                                        WalletAccount.unit == unit)
    if lock:
        query = query.with_for_update()
    return db.session.scalar(query)


def _entries(account_id: int) -> list[WalletEntry]:
    return list(db.session.scalars(select(WalletEntry).where(WalletEntry.account_id == account_id)
                                   .order_by(WalletEntry.id)))


def _lapsed(expires_at: dt.datetime | None, at: dt.datetime) -> bool:
    return expires_at is not None and expires_at <= at


def _spend_order(entry_id: int, expires_at: dt.datetime | None) -> tuple:
    # The lot that lapses first is spent first; credits that never lapse last; then oldest.
    return (expires_at is None, expires_at or dt.datetime.min.replace(tzinfo=dt.UTC), entry_id)


def replay(entries: list[WalletEntry]) -> tuple[dict[int, Lot], dict[int, dict[int, int]]]:
    """The ledger played from the start: what is left of each credit (entry id -> Lot), and
    for each spend which credits it took from (entry id -> {credit entry id: amount})."""
    lots: dict[int, list] = {}
    taken: dict[int, dict[int, int]] = {}
    for entry in entries:
        if entry.kind == "expired":
            lots[entry.lot_id][1] += entry.amount
        elif entry.amount > 0:
            lots[entry.id] = [entry.id, entry.amount, entry.expires_at]
        else:
            owed, taken[entry.id] = -entry.amount, {}
            usable = [lot for lot in lots.values()
                      if lot[1] > 0 and not _lapsed(lot[2], entry.created_at)]
            for lot in sorted(usable, key=lambda lot: _spend_order(lot[0], lot[2])):
                part = min(owed, lot[1])
                lot[1] -= part
                taken[entry.id][lot[0]] = part
                owed -= part
                if not owed:
                    break
    return {i: Lot(i, left, expires) for i, (_, left, expires) in lots.items()}, taken


def summary(user_id: int | None, unit: str = "credit", *,
            at: dt.datetime | None = None) -> tuple[int, list[Lot]]:
    """What the customer can spend now, and the credits with something left that will lapse
    (soonest first), from one read of the ledger. Credits that lapsed are not counted,
    whether or not the expiry job has written them off yet."""
    account = _account(user_id, unit) if user_id is not None else None
    if account is None or not account.balance:
        return 0, []
    at = at or utcnow()
    lots, _ = replay(_entries(account.id))
    lapsed = sum(lot.left for lot in lots.values() if lot.left > 0 and _lapsed(lot.expires_at, at))
    lapsing = sorted((lot for lot in lots.values()
                      if lot.left > 0 and lot.expires_at is not None and lot.expires_at > at),
                     key=lambda lot: lot.expires_at)
    return account.balance - lapsed, lapsing


def balance(user_id: int | None, unit: str = "credit", *, at: dt.datetime | None = None) -> int:
    """What the customer can spend now (see `summary`)."""
    return summary(user_id, unit, at=at)[0]


def history(user_id: int, unit: str = "credit", *, limit: int = 100) -> list[WalletEntry]:
    """Newest first."""
    account = _account(user_id, unit)
    if account is None:
        return []
    return list(db.session.scalars(
        select(WalletEntry).where(WalletEntry.account_id == account.id)
        .order_by(WalletEntry.id.desc()).limit(limit)))


def expiring(user_id: int, unit: str = "credit", *, at: dt.datetime | None = None) -> list[Lot]:
    """Credits with something left that will lapse, soonest first (see `summary`)."""
    return summary(user_id, unit, at=at)[1]


def spent_on(order_number: str, unit: str = "credit", *, net: bool = True) -> int:
    """What the order took from the wallet, less what went back (`net`), or as spent."""
    kinds = ("spent", "returned") if net else ("spent",)
    return int(db.session.scalar(
        select(func.coalesce(func.sum(WalletEntry.amount), 0))
        .join(WalletAccount, WalletAccount.id == WalletEntry.account_id)
        .where(WalletEntry.order_number == order_number, WalletAccount.unit == unit,
               WalletEntry.kind.in_(kinds))) or 0) * -1


# ---- writing ---------------------------------------------------------------------------------

def _open_account(user_id: int, unit: str) -> WalletAccount:
    """The account, locked for this transaction; made on first use."""
    if unit not in UNITS:
        raise ValueError(f"unknown wallet unit {unit!r}")
    account = _account(user_id, unit, lock=True)
    if account is None:
        try:
            with db.session.begin_nested():
                db.session.add(WalletAccount(user_id=user_id, unit=unit, balance=0))
        except IntegrityError:
            pass  # made a moment ago by a concurrent first credit
        account = _account(user_id, unit, lock=True)
    return account


def _existing(dedupe_key: str | None) -> WalletEntry | None:
    if dedupe_key is None:
        return None
    return db.session.scalar(select(WalletEntry).where(WalletEntry.dedupe_key == dedupe_key))


def _write(account: WalletAccount, kind: str, amount: int, **fields) -> WalletEntry:
    """Move the balance by `amount` (refused below zero) and append the entry."""
    assert kind in KINDS, kind
    left = db.session.execute(
        update(WalletAccount)
        .where(WalletAccount.id == account.id, WalletAccount.balance + amount >= 0)
        .values(balance=WalletAccount.balance + amount, updated_at=utcnow())
        .returning(WalletAccount.balance)
        .execution_options(synchronize_session=False)).scalar()
    if left is None:
        raise NotEnoughCredit(balance=_current(account.id), unit=account.unit)
    entry = WalletEntry(account_id=account.id, kind=kind, amount=amount, balance_after=left,
                        **fields)
    db.session.add(entry)
    db.session.flush()
    return entry


def _current(account_id: int) -> int:
    return db.session.scalar(select(WalletAccount.balance)
                             .where(WalletAccount.id == account_id))


def add(user_id: int, amount: int, *, kind: str, unit: str = "credit",
        reason: str | None = None, order_number: str | None = None,
        expires_at: dt.datetime | None = None, dedupe_key: str | None = None,
        actor_id: int | None = None) -> WalletEntry:
    """Put `amount` (> 0) in the customer's wallet, inside the caller's transaction. With a
    `dedupe_key`, a second call returns the first entry and adds nothing."""
    if amount <= 0:
        raise Invalid(_l("Enter an amount above zero."), field="amount")
    with transaction():
        earlier = _existing(dedupe_key)
        if earlier is not None:
            return earlier
        account = _open_account(user_id, unit)
        earlier = _existing(dedupe_key)  # again, under the lock: a form posted twice at once
        if earlier is not None:
            return earlier
        return _write(account, kind, amount, reason=reason, order_number=order_number,
                      expires_at=expires_at, dedupe_key=dedupe_key, actor_id=actor_id)


def _write_off_lapsed(account: WalletAccount, at: dt.datetime) -> int:
    """Expire what is left of the account's lapsed credits (the account is locked)."""
    lots, _ = replay(_entries(account.id))
    gone = 0
    for lot in lots.values():
        if lot.left > 0 and _lapsed(lot.expires_at, at):
            _write(account, "expired", -lot.left, lot_id=lot.entry_id,
                   dedupe_key=f"expired:{lot.entry_id}")
            gone += lot.left
    return gone


def take(user_id: int, amount: int, *, kind: str, unit: str, order_number: str | None = None,
         reason: str | None = None, dedupe_key: str | None = None) -> WalletEntry:
    """Take `amount` (> 0) off for a reason other than spending (points of a cancelled
    order), inside the caller's transaction; lapsed credit first. NotEnoughCredit when the
    wallet holds less."""
    with transaction():
        earlier = _existing(dedupe_key)
        if earlier is not None:
            return earlier
        account = _open_account(user_id, unit)
        earlier = _existing(dedupe_key)  # again, under the lock (as `add`)
        if earlier is not None:
            return earlier
        _write_off_lapsed(account, utcnow())
        return _write(account, kind, -amount, order_number=order_number, reason=reason,
                      dedupe_key=dedupe_key)


def spend(user_id: int, amount: int, *, order_number: str, unit: str = "credit") -> WalletEntry:
    """Take `amount` for an order, inside the caller's transaction (checkout). Raises
    NotEnoughCredit (with the balance) when the wallet holds less."""
    if amount <= 0:
        raise Invalid(_l("Enter an amount above zero."), field="amount")
    with transaction():
        account = _open_account(user_id, unit)
        _write_off_lapsed(account, utcnow())
        return _write(account, "spent", -amount, order_number=order_number,
                      dedupe_key=f"spent:{unit}:{order_number}")


def give_back(order_number: str, unit: str = "credit", *, at_most: int | None = None) -> int:
    """An order that spent from the wallet was cancelled: each part goes back to the credit
    it came from, with that credit's expiry, `at_most` in all (what a refund has not given
    back already), in the order they were spent. Returns what went back; twice gives
    nothing more."""
    with transaction():
        spent = db.session.scalar(
            select(WalletEntry).join(WalletAccount, WalletAccount.id == WalletEntry.account_id)
            .where(WalletEntry.order_number == order_number, WalletEntry.kind == "spent",
                   WalletAccount.unit == unit))
        if spent is None or _existing(f"returned:{unit}:{order_number}") is not None:
            return 0
        account = db.session.scalar(select(WalletAccount).where(
            WalletAccount.id == spent.account_id).with_for_update())
        lots, taken = replay(_entries(account.id))
        parts, room = [], -spent.amount if at_most is None else at_most
        for lot_id, part in sorted(taken.get(spent.id, {}).items(),
                                   key=lambda item: _spend_order(item[0],
                                                                 lots[item[0]].expires_at)):
            if room <= 0:
                break
            parts.append((lot_id, min(part, room)))
            room -= parts[-1][1]
        for n, (lot_id, part) in enumerate(parts):
            key = f"returned:{unit}:{order_number}" + (f":{n}" if n else "")
            _write(account, "returned", part, order_number=order_number,
                   expires_at=lots[lot_id].expires_at, dedupe_key=key)
        return sum(part for _, part in parts)


def expire_due(at: dt.datetime | None = None) -> int:
    """The nightly write-off: every account with a lapsed credit that still has something
    left. Returns how many accounts lost something. Safe to run twice."""
    at = at or utcnow()
    candidates = db.session.scalars(
        select(WalletEntry.account_id).where(WalletEntry.expires_at <= at).distinct()).all()
    db.end_reads()
    changed = 0
    for account_id in candidates:
        with transaction():
            account = db.session.scalar(select(WalletAccount).where(
                WalletAccount.id == account_id).with_for_update())
            if account is not None and _write_off_lapsed(account, at):
                changed += 1
    return changed


def _reason(reason: str | None) -> str:
    reason = " ".join((reason or "").split())
    if not reason:
        raise Invalid(_l("Say why: the customer reads it with the entry."), field="reason")
    if len(reason) > MAX_REASON:
        raise Invalid(_l("Keep the reason under %(n)d characters.", n=MAX_REASON),
                      field="reason")
    return reason


def _form_key(kind: str, user_id: int, unit: str, request_key: str | None) -> str | None:
    """The entry's key for a staff form posted with `request_key`, so that the same form
    posted twice writes once. Of this customer's and this unit's entries only: the same key
    posted for another customer, or on the other unit's form, is an entry of its own, not
    the first one returned as if it were. Bounded: a hidden field can carry anything."""
    request_key = (request_key or "").strip()[:64]
    return f"{kind}:{unit}:{user_id}:{request_key}" if request_key else None


def give_goodwill(user_id: int, amount_cents: int, reason: str, *, actor,
                  expires_at: dt.datetime | None = None,
                  request_key: str | None = None) -> WalletEntry:
    """Store credit from the shop (support's apology, a late delivery): needs the wallet
    permission and a reason the customer will read; written to the audit log."""
    require(actor, Permission.GIVE_CREDIT)
    reason = _reason(reason)
    if not isinstance(amount_cents, int) or not 0 < amount_cents <= MAX_GOODWILL_CENTS:
        raise Invalid(_l("Enter an amount between Rs 0.01 and Rs 100,000."), field="amount")
    if expires_at is not None and expires_at <= utcnow():
        raise Invalid(_l("Choose an expiry date in the future."), field="expires_at")
    key = _form_key("goodwill", user_id, "credit", request_key)
    with transaction():
        earlier = _existing(key)
        if earlier is not None:
            return earlier  # the same form posted again: given and audited once
        entry = add(user_id, amount_cents, kind="goodwill", reason=reason,
                    expires_at=expires_at, actor_id=actor.id if actor else None,
                    dedupe_key=key)
        audit.record("wallet.goodwill", actor_id=actor.id if actor else None,
                     target_type="customer", target_id=user_id, amount_cents=amount_cents,
                     reason=reason)
        tell_credit_added(entry)
    return entry


def tell_credit_added(entry: WalletEntry) -> None:
    """Mail (and text) the customer that credit came in, inside the caller's transaction;
    once per entry."""
    from app.accounts import services as accounts
    from app.links import external_url
    from app.notifications import services as notifications

    account = db.session.get(WalletAccount, entry.account_id)
    try:
        user = accounts.get_user(account.user_id)
    except NotFound:
        return
    notifications.notify(
        "credit_added", email=user.email, phone=user.phone, locale=user.locale,
        user_id=user.id, dedupe_key=f"wallet:{entry.id}:credit_added", name=user.name,
        amount_cents=entry.amount, balance_cents=entry.balance_after, reason=entry.reason,
        expires=local_time(entry.expires_at, "%Y-%m-%d") if entry.expires_at else None,
        link=external_url("wallet.credit_page"))


MAX_POINTS_ADJUSTMENT = 1_000_000


def adjust(user_id: int, amount_cents: int, reason: str, *, actor,
           request_key: str | None = None, unit: str = "credit") -> WalletEntry:
    """A correction either way (credit or points given by mistake, a typo): needs the
    adjust permission and a reason; never takes the balance below zero (NotEnoughCredit,
    with the balance); audited. `amount_cents` is points for unit "points"."""
    require(actor, Permission.ADJUST_WALLETS)
    reason = _reason(reason)
    limit = MAX_GOODWILL_CENTS if unit == "credit" else MAX_POINTS_ADJUSTMENT
    if not isinstance(amount_cents, int) or not amount_cents or abs(amount_cents) > limit:
        raise Invalid(_l("Enter an amount between Rs 0.01 and Rs 100,000, with a minus to "
                         "take credit off.") if unit == "credit" else
                      _l("Enter a whole number of points, with a minus to take points off."),
                      field="amount")
    with transaction():
        key = _form_key("adjustment", user_id, unit, request_key)
        earlier = _existing(key)
        if earlier is not None:
            return earlier
        account = _open_account(user_id, unit)
        if amount_cents < 0:
            _write_off_lapsed(account, utcnow())
        try:
            entry = _write(account, "adjustment", amount_cents, reason=reason,
                           actor_id=actor.id if actor else None, dedupe_key=key)
        except NotEnoughCredit as refused:
            refused.field = "amount"
            raise
        audit.record("wallet.adjustment", actor_id=actor.id if actor else None,
                     target_type="customer", target_id=user_id, amount=amount_cents,
                     unit=unit, reason=reason)
    return entry
