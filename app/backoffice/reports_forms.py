"""The reports' filter forms: read from the query string (GET), so no CSRF token."""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField
from wtforms.fields import SelectChoice
from wtforms.validators import Optional, ValidationError

from app.backoffice.orders_forms import sensible_date
from app.forms import Form
from app.reports import days
from app.reports.days import Period
from app.reports.sales import DIMENSIONS

DEFAULT_DAYS = 30
# A page reads at most this many days at once; the CSV of a longer period is prepared in
# the background.
MAX_PAGE_DAYS = 366

GROUPING_LABELS = {"day": _l("By day"), "week": _l("By week"), "month": _l("By month")}


class SalesReportForm(Form):
    class Meta:
        csrf = False

    first = DateField(_l("From"), validators=[Optional(), sensible_date])
    last = DateField(_l("Until (included)"), validators=[Optional(), sensible_date])
    by = SelectField(_l("Sales by"), default="time",
                     choices=[SelectChoice(code, label) for code, label in DIMENSIONS.items()])
    grouping = SelectField(_l("Dates"), default="day",
                           choices=[SelectChoice(code, label)
                                    for code, label in GROUPING_LABELS.items()])

    def validate_last(self, field):
        if field.data and self.first.data and field.data < self.first.data:
            raise ValidationError(_l("The end date is before the start date."))
        period = self.period()
        if period.days > MAX_PAGE_DAYS:
            raise ValidationError(_l("Choose at most %(days)d days.", days=MAX_PAGE_DAYS))

    def period(self) -> Period:
        """The chosen days; by default the last 30 (today included)."""
        last = self.last.data or days.today()
        first = self.first.data or (last - dt.timedelta(days=DEFAULT_DAYS - 1))
        return Period(first, last)
