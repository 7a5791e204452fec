"""Calendar arithmetic the domains share: a month or a year on from a moment."""

from __future__ import annotations

import datetime as dt


def add_months(when: dt.datetime, months: int) -> dt.datetime:
    """The same day `months` later (the month's last day when it is shorter: 31 Jan + 1
    month is 28 or 29 Feb)."""
    month = when.month - 1 + months
    year, month = when.year + month // 12, month % 12 + 1
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    days = (31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)[month - 1]
    return when.replace(year=year, month=month, day=min(when.day, days))
