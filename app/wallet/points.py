"""Loyalty points: earned on what a customer paid for an order, spent at checkout, lapsing
after a set number of months, on the same ledger as store credit (unit "points").

Points are earned when an order's money arrives (a card payment confirmed, cash collected,
a transfer verified), so an order cancelled afterwards takes them back, and a refund takes
back its share: an order paid Rs 10,000 that earned 100 points and is refunded Rs 2,500
keeps 75. What a customer already spent is not clawed back below zero: the ledger never goes
negative, and the rest is forgiven (the entry's reason says how much).

Money paid with store credit or points earns nothing: only money that reached the shop.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app import db
from app.audit import services as audit
from app.db import transaction, utcnow
from app.errors import Invalid, NotFound
from app.periods import add_months
from app.security.roles import Permission, require
from app.wallet import services as wallet
from app.wallet.models import PointsSettings, WalletAccount, WalletEntry

UNIT = "points"
ROW_ID = 1


@dataclass(frozen=True)
class Scheme:
    enabled: bool
    points_per_100_rupees: int
    point_value_cents: int
    expiry_months: int
    reminder_days: int

    def earned_on(self, paid_cents: int) -> int:
        """Whole points for money paid (Rs 100 = 10,000 cents)."""
        if not self.enabled or paid_cents <= 0:
            return 0
        return paid_cents * self.points_per_100_rupees // 100_00

    def value_of(self, points: int) -> int:
        return points * self.point_value_cents

    def points_worth(self, cents: int) -> int:
        """The most whole points whose value does not exceed `cents`."""
        return max(0, cents) // self.point_value_cents

    def expiry_from(self, when: dt.datetime) -> dt.datetime:
        return add_months(when, self.expiry_months)


DEFAULT = Scheme(enabled=True, points_per_100_rupees=1, point_value_cents=100,
                 expiry_months=12, reminder_days=30)


def scheme() -> Scheme:
    row = db.session.get(PointsSettings, ROW_ID)
    if row is None:
        return DEFAULT
    return Scheme(enabled=row.enabled, points_per_100_rupees=row.points_per_100_rupees,
                  point_value_cents=row.point_value_cents, expiry_months=row.expiry_months,
                  reminder_days=row.reminder_days)


def save_scheme(*, enabled: bool, points_per_100_rupees: int, point_value_cents: int,
                expiry_months: int, reminder_days: int, actor=None) -> Scheme:
    """Staff set the scheme (promotions permission). Earned points keep the expiry they
    were given; a new value applies to points spent from now on. Raises Invalid."""
    require(actor, Permission.MANAGE_PROMOTIONS)
    checks = (("points_per_100_rupees", points_per_100_rupees, 0, 100,
               _l("Enter 0 to 100 points for each Rs 100.")),
              ("point_value_cents", point_value_cents, 1, 10_000,
               _l("Enter a point's value from Rs 0.01 to Rs 100.")),
              ("expiry_months", expiry_months, 1, 60, _l("Enter 1 to 60 months.")),
              ("reminder_days", reminder_days, 0, 90, _l("Enter 0 to 90 days.")))
    for name, value, low, high, message in checks:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise Invalid(message, field=name)
    with transaction():
        row = db.session.get(PointsSettings, ROW_ID)
        if row is None:
            row = PointsSettings(id=ROW_ID)
            db.session.add(row)
        row.enabled = bool(enabled)
        row.points_per_100_rupees = points_per_100_rupees
        row.point_value_cents = point_value_cents
        row.expiry_months = expiry_months
        row.reminder_days = reminder_days
        row.updated_at = utcnow()
        row.updated_by = actor.id if actor else None
        audit.record("wallet.points_scheme", actor_id=actor.id if actor else None,
                     target_type="settings", target_id="points", enabled=bool(enabled),
                     points_per_100_rupees=points_per_100_rupees,
                     point_value_cents=point_value_cents, expiry_months=expiry_months,
                     reminder_days=reminder_days)
    return scheme()


def balance(user_id: int | None) -> int:
    return wallet.balance(user_id, UNIT)


# ---- earning and taking back ---------------------------------------------------------------

def _on_order(order_number: str, kind: str, unit: str = UNIT) -> int:
    """The `kind` entries for the order in `unit` (signed sum)."""
    return int(db.session.scalar(
        select(func.coalesce(func.sum(WalletEntry.amount), 0))
        .join(WalletAccount, WalletAccount.id == WalletEntry.account_id)
        .where(WalletEntry.order_number == order_number, WalletAccount.unit == unit,
               WalletEntry.kind == kind)) or 0)


def earn(order_number: str, user_id: int | None, paid_cents: int) -> int:
    """Points for an order whose money arrived (once, whatever calls it twice). Returns
    the points added."""
    if user_id is None:
        return 0
    now = utcnow()
    rules = scheme()
    points = rules.earned_on(paid_cents)
    if not points:
        return 0
    entry = wallet.add(user_id, points, kind="earned", unit=UNIT, order_number=order_number,
                       expires_at=rules.expiry_from(now),
                       dedupe_key=f"earned:{order_number}")
    return entry.amount


def keep_share(order_number: str, user_id: int | None, paid_cents: int,
               refunded_cents: int, *, unit: str = UNIT, earned_kind: str = "earned") -> int:
    """After a refund (or a cancel: all of it), the order keeps the points (or the
    cashback: unit "credit", kind "cashback") of what was not refunded; the rest is taken
    back, as far as the balance allows. Returns what was taken back now."""
    earned = _on_order(order_number, earned_kind, unit)
    if user_id is None or earned <= 0:
        return 0
    kept_money = max(0, paid_cents - refunded_cents)
    should_keep = earned * kept_money // paid_cents if paid_cents > 0 else 0
    taken = -_on_order(order_number, "taken_back", unit)
    owed = earned - should_keep - taken
    if owed <= 0:
        return 0
    with transaction():
        held = wallet.balance(user_id, unit)
        now_taken = min(owed, held)
        if now_taken <= 0:
            return 0
        reason = None
        if now_taken != owed:
            reason = (f"{owed - now_taken} points already spent" if unit == UNIT
                      else f"{(owed - now_taken) / 100:,.2f} of it already spent")
        wallet.take(user_id, now_taken, kind="taken_back", unit=unit,
                    order_number=order_number, reason=reason,
                    dedupe_key=f"taken_back:{unit}:{order_number}:{taken + now_taken}")
    return now_taken


# ---- reminders -------------------------------------------------------------------------------

def expiring_soon(at: dt.datetime | None = None) -> list[tuple[int, int, dt.datetime]]:
    """(user id, points, when) for each customer with points that lapse within the
    reminder window: the soonest date and everything lapsing on it."""
    at = at or utcnow()
    rules = scheme()
    until = at + dt.timedelta(days=rules.reminder_days)
    accounts = db.session.execute(
        select(WalletAccount.id, WalletAccount.user_id)
        .join(WalletEntry, WalletEntry.account_id == WalletAccount.id)
        .where(WalletAccount.unit == UNIT, WalletAccount.balance > 0,
               WalletEntry.expires_at > at, WalletEntry.expires_at <= until)
        .distinct()).all()
    found = []
    for _account_id, user_id in accounts:
        lots = [lot for lot in wallet.expiring(user_id, UNIT, at=at) if lot.expires_at <= until]
        if lots:
            first = lots[0].expires_at
            found.append((user_id, sum(lot.left for lot in lots
                                       if lot.expires_at.date() == first.date()), first))
    return found


def remind_expiring(at: dt.datetime | None = None) -> int:
    """Mail (and text) each customer whose points lapse within the reminder window, once
    per lapse date (the message's key). Returns how many were reminded now."""
    from app.accounts import services as accounts
    from app.i18n import local_time
    from app.links import external_url
    from app.notifications import services as notifications

    reminded = 0
    for user_id, points, when in expiring_soon(at):
        try:
            user = accounts.get_user(user_id)
        except NotFound:
            continue
        with transaction():
            queued = notifications.notify(
                "points_expiring", email=user.email, phone=user.phone, locale=user.locale,
                user_id=user.id, dedupe_key=f"points:{user.id}:expiring:{when:%Y-%m-%d}",
                name=user.name, points=points, link=external_url("wallet.credit_page"),
                # Numeric, so it reads the same in every language of the message.
                date=local_time(when, "%Y-%m-%d"))
        reminded += any(getattr(message, "queued_now", False) for message in queued)
    return reminded
