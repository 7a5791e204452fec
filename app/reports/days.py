"""Asia/Colombo days for reports. Times are stored in UTC; a shop's day runs from midnight
to midnight in Colombo whatever the server's zone, so an order at 23:30 on 1 March in
Colombo (18:00 UTC) is a sale of 1 March, and one at 00:15 on 2 March (18:45 UTC the day
before) a sale of 2 March.

`local_day(column)` is the Colombo date of a stored UTC time as 'YYYY-MM-DD' text, in SQL:
PostgreSQL converts with the zone's own rules; SQLite has no zone database, so it adds the
zone's current offset (Sri Lanka has kept +05:30, without daylight saving, since 2006).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from app.db import utcnow
from app.i18n import COLOMBO

GROUPINGS = ("day", "week", "month")


def today() -> dt.date:
    return utcnow().astimezone(COLOMBO).date()


def start_of(day: dt.date) -> dt.datetime:
    """Midnight at the start of `day` in Colombo, as an aware UTC time."""
    return dt.datetime.combine(day, dt.time(), tzinfo=COLOMBO).astimezone(dt.UTC)


@dataclass(frozen=True)
class Period:
    """Colombo days `first` to `last`, both included."""

    first: dt.date
    last: dt.date

    @classmethod
    def ending(cls, last: dt.date, days: int) -> Period:
        """The `days` days up to and including `last`."""
        return cls(last - dt.timedelta(days=days - 1), last)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def before(self) -> Period:
        """The period of as many days just before this one (to compare against)."""
        return Period.ending(self.first - dt.timedelta(days=1), self.days)

    @property
    def starts(self) -> dt.datetime:
        return start_of(self.first)

    @property
    def ends(self) -> dt.datetime:
        """The first moment after the period (exclusive bound)."""
        return start_of(self.last + dt.timedelta(days=1))

    def each_day(self) -> list[dt.date]:
        return [self.first + dt.timedelta(days=n) for n in range(self.days)]


def bucket(day: dt.date, grouping: str) -> dt.date:
    """The first day of the day's week (Monday) or month, or the day itself."""
    if grouping == "week":
        return day - dt.timedelta(days=day.weekday())
    if grouping == "month":
        return day.replace(day=1)
    return day


def buckets(period: Period, grouping: str) -> list[dt.date]:
    """Every bucket the period touches, in order (empty ones too: a chart shows a gap)."""
    seen: list[dt.date] = []
    for day in period.each_day():
        first = bucket(day, grouping)
        if not seen or seen[-1] != first:
            seen.append(first)
    return seen


class local_day(FunctionElement):  # noqa: N801 — used like an SQL function
    """The Colombo date of a UTC timestamp column, as 'YYYY-MM-DD'."""

    type = String()
    inherit_cache = True


@compiles(local_day, "postgresql")
def _local_day_postgresql(element, compiler, **kw):
    column = compiler.process(element.clauses, **kw)
    return f"to_char(timezone('Asia/Colombo', {column}), 'YYYY-MM-DD')"


@compiles(local_day)
def _local_day_sqlite(element, compiler, **kw):
    offset = utcnow().astimezone(COLOMBO).utcoffset()
    minutes = int(offset.total_seconds() // 60)
    column = compiler.process(element.clauses, **kw)
    return f"date({column}, '{minutes:+d} minutes')"
