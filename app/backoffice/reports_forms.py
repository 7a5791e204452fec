"""The reports' filter forms: read from the query string (GET), so no CSRF token."""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField, StringField
from wtforms.fields import SelectChoice
from wtforms.validators import Optional, Regexp, ValidationError

from app.backoffice.orders_forms import FIRST_YEAR, LAST_YEAR, sensible_date
from app.digits import is_digits
from app.forms import Form
from app.reports import days, runs, vat
from app.reports.days import Period
from app.reports.sales import DIMENSIONS

DEFAULT_DAYS = 30
# A page reads at most this many days at once; the sales of a longer period are prepared as
# a CSV file in the background (app/reports/runs.py), up to runs.MAX_DAYS.
MAX_PAGE_DAYS = 366

GROUPING_LABELS = {"day": _l("By day"), "week": _l("By week"), "month": _l("By month")}


class PeriodForm(Form):
    """From and until: Colombo days, both included; the last 30 days when left empty."""

    class Meta:
        csrf = False

    max_days = MAX_PAGE_DAYS
    default_days = DEFAULT_DAYS

    first = DateField(_l("From"), validators=[Optional(), sensible_date])
    last = DateField(_l("Until (included)"), validators=[Optional(), sensible_date])

    def validate_last(self, field):
        if field.data and self.first.data and field.data < self.first.data:
            raise ValidationError(_l("The end date is before the start date."))
        if self.period().days > self.max_days:
            raise ValidationError(_l("Choose at most %(days)d days.", days=self.max_days))

    def period(self) -> Period:
        last = self.last.data or days.today()
        first = self.first.data or (last - dt.timedelta(days=self.default_days - 1))
        return Period(first, last)

    def show(self, period: Period) -> None:
        """The fields show the days read (the default ones too)."""
        self.first.data, self.last.data = period.first, period.last


class SalesReportForm(PeriodForm):
    max_days = runs.MAX_DAYS  # over MAX_PAGE_DAYS: prepared in the background

    by = SelectField(_l("Sales by"), default="time",
                     choices=[SelectChoice(code, label) for code, label in DIMENSIONS.items()])
    grouping = SelectField(_l("Dates"), default="day",
                           choices=[SelectChoice(code, label)
                                    for code, label in GROUPING_LABELS.items()])


METRIC_LABELS = {"sales": _l("Total sales"), "orders": _l("Orders")}


class DistrictMapForm(PeriodForm):
    metric = SelectField(_l("Shade by"), default="sales",
                         choices=[SelectChoice(code, label)
                                  for code, label in METRIC_LABELS.items()])


class YearForm(PeriodForm):
    """Cohorts want months: a year by default."""

    default_days = 365


class MonthForm(Form):
    """One calendar month (a VAT return's): the last whole month by default."""

    class Meta:
        csrf = False

    month = StringField(_l("Month"), validators=[
        # [0-9], not \d: \d takes every script's digits, which date.fromisoformat refuses.
        Optional(), Regexp(r"^[0-9]{4}-(0[1-9]|1[0-2])$",
                           message=_l("Choose a month, like 2026-11."))])

    def validate_month(self, field):
        year = (field.data or "")[:4]
        if is_digits(year) and not FIRST_YEAR <= int(year) <= LAST_YEAR:
            raise ValidationError(_l("Enter a date between %(first)d and %(last)d.",
                                     first=FIRST_YEAR, last=LAST_YEAR))

    def period(self) -> Period:
        if self.month.data:
            first = dt.date.fromisoformat(self.month.data + "-01")
        else:
            first = (days.today().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
        return vat.month_of(first)

    def show(self, period: Period) -> None:
        self.month.data = period.first.isoformat()[:7]
