"""Back-office forms. They check shape; the services check the rules and permissions."""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l
from wtforms import DateField, EmailField, PasswordField, SelectField, StringField
from wtforms.fields import SelectChoice
from wtforms.validators import (
    Email,
    InputRequired,
    Length,
    Optional,
    Regexp,
    ValidationError,
)

from app.audit.services import AuditFilter
from app.backoffice.orders_forms import sensible_date
from app.forms import Form
from app.i18n import COLOMBO
from app.security.passwords import MAX_LENGTH
from app.security.roles import ROLE_LABELS, Role


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _digits(value):
    """People type codes as "123 456"; the service wants "123456"."""
    return value.replace(" ", "").strip() if isinstance(value, str) else value


def role_choices() -> list[SelectChoice]:
    return [SelectChoice(role.value, ROLE_LABELS[role]) for role in Role]


class StaffLoginForm(Form):
    email = EmailField(_l("Email"), filters=[_strip], validators=[InputRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[InputRequired(), Length(max=MAX_LENGTH)])


class CodeForm(Form):
    code = StringField(_l("6-digit code"), filters=[_digits],
                       validators=[InputRequired(),
                                   Regexp(r"^\d{6}$", message=_l("The code has 6 digits."))])


class EnrolmentCodeForm(Form):
    enrolment_code = StringField(_l("Enrolment code"),
                                 validators=[InputRequired(), Length(max=40)])


class AuditFilterForm(Form):
    """Read from the query string (GET), so no CSRF token."""

    class Meta:
        csrf = False

    action = SelectField(_l("Action"), validators=[Optional()])
    success = SelectField(_l("Result"), choices=[SelectChoice("", _l("Any")),
                                                 SelectChoice("yes", _l("Succeeded")),
                                                 SelectChoice("no", _l("Failed"))],
                          validators=[Optional()])
    # Within sensible years: the day after 9999-12-31, or the Colombo midnight of 0001-01-01
    # in UTC, is no date Python can make.
    date_from = DateField(_l("From (date)"), validators=[Optional(), sensible_date])
    date_to = DateField(_l("To (date, included)"), validators=[Optional(), sensible_date])
    # Text, not a number input: what was typed stays visible next to its error.
    actor_id = StringField(_l("Actor id"), filters=[_strip],
                           validators=[Optional(), Regexp(r"^[1-9]\d{0,8}$", message=_l(
                               "Enter an id number, like 12."))],
                           render_kw={"inputmode": "numeric"})

    def __init__(self, formdata, *, actions: list[str]):
        super().__init__(formdata)
        self.action.choices = [SelectChoice("", _l("Any action")),
                               *(SelectChoice(a, a) for a in actions)]

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("The end date is before the start date."))

    def to_filter(self) -> AuditFilter:
        """Dates are days in Colombo; the service compares aware UTC times."""
        return AuditFilter(
            action=self.action.data or None,
            actor_id=int(self.actor_id.data) if self.actor_id.data else None,
            success={"yes": True, "no": False}.get(self.success.data),
            since=_colombo_midnight(self.date_from.data),
            until=_colombo_midnight(self.date_to.data + dt.timedelta(days=1))
            if self.date_to.data else None,
        )


def _colombo_midnight(day: dt.date | None) -> dt.datetime | None:
    if day is None:
        return None
    return dt.datetime.combine(day, dt.time(), tzinfo=COLOMBO).astimezone(dt.UTC)


class StaffCreateForm(Form):
    name = StringField(_l("Full name"), filters=[_strip],
                       validators=[InputRequired(), Length(max=100)])
    email = EmailField(_l("Work email"), filters=[_strip],
                       validators=[InputRequired(), Length(max=254),
                                   Email(message=_l("Enter an email address like name@kade.lk."))])
    role = SelectField(_l("Role"), choices=role_choices, validators=[InputRequired()])
    password = PasswordField(_l("Initial password"),
                             validators=[InputRequired(), Length(max=MAX_LENGTH)])


class RoleForm(Form):
    role = SelectField(_l("Role"), choices=role_choices, validators=[InputRequired()])
