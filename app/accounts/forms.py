"""Forms check shape (required, length, +94 phone); services check rules (unique email)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.fields import SelectChoice
from wtforms.validators import (
    Email,
    EqualTo,
    InputRequired,
    Length,
    Optional,
    Regexp,
    ValidationError,
)

from app.accounts import districts
from app.accounts.phones import normalise_phone
from app.forms import Form
from app.security.passwords import MAX_LENGTH

NAME_MAX = 100
EMAIL_MESSAGE = _l("Enter an email address like name@example.lk.")


class SriLankanPhone:
    """Accepts what people type (077 123 4567, +94 77…) and leaves E.164 in `field.e164`."""

    def __init__(self, mobile_only: bool = True):
        self.mobile_only = mobile_only

    def __call__(self, form, field):
        e164 = normalise_phone(field.data or "", mobile_only=self.mobile_only)
        if e164 is None:
            raise ValidationError(_l("Enter a Sri Lankan mobile number, like 077 123 4567."))
        field.e164 = e164


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class RegisterForm(Form):
    name = StringField(_l("Full name"), filters=[_strip],
                       validators=[InputRequired(), Length(max=NAME_MAX)])
    email = EmailField(_l("Email"), filters=[_strip],
                       validators=[InputRequired(), Length(max=254),
                                   Email(message=EMAIL_MESSAGE)])
    phone = StringField(_l("Mobile number"), filters=[_strip],
                        validators=[InputRequired(), Length(max=32), SriLankanPhone()])
    password = PasswordField(_l("Password"), validators=[InputRequired(), Length(max=MAX_LENGTH)])

    def data_for_service(self) -> dict:
        return {"name": self.name.data, "email": self.email.data,
                "phone": self.phone.e164, "password": self.password.data}


class LoginForm(Form):
    email = EmailField(_l("Email"), filters=[_strip], validators=[InputRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[InputRequired(), Length(max=MAX_LENGTH)])
    remember = BooleanField(_l("Keep me signed in on this device"))


class ForgotPasswordForm(Form):
    email = EmailField(_l("Email"), filters=[_strip],
                       validators=[InputRequired(), Length(max=254), Email()])


class ResetPasswordForm(Form):
    password = PasswordField(_l("New password"),
                             validators=[InputRequired(), Length(max=MAX_LENGTH)])
    confirm = PasswordField(_l("Repeat the new password"),
                            validators=[InputRequired(), EqualTo(
                                "password", message=_l("The passwords do not match."))])


class ChangePasswordForm(ResetPasswordForm):
    current_password = PasswordField(_l("Current password"),
                                     validators=[InputRequired(), Length(max=MAX_LENGTH)])


class ProfileForm(Form):
    name = StringField(_l("Full name"), filters=[_strip],
                       validators=[InputRequired(), Length(max=NAME_MAX)])
    phone = StringField(_l("Mobile number"), filters=[_strip],
                        validators=[InputRequired(), Length(max=32), SriLankanPhone()])


class AddressForm(Form):
    recipient = StringField(_l("Recipient's name"), filters=[_strip],
                            validators=[InputRequired(), Length(max=NAME_MAX)])
    phone = StringField(_l("Recipient's mobile number"), filters=[_strip],
                        validators=[InputRequired(), Length(max=32), SriLankanPhone()])
    line1 = StringField(_l("Address line 1"), filters=[_strip],
                        validators=[InputRequired(), Length(max=120)])
    line2 = StringField(_l("Address line 2 (optional)"), filters=[_strip],
                        validators=[Optional(), Length(max=120)])
    city = StringField(_l("City or town"), filters=[_strip],
                       validators=[InputRequired(), Length(max=60)])
    district = SelectField(_l("District"), validators=[InputRequired()],
                           validate_choice=True)
    postal_code = StringField(_l("Postal code (optional)"), filters=[_strip],
                              validators=[Optional(), Regexp(
                                  r"^[0-9]{5}$", message=_l("A postal code has 5 digits."))])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.district.choices = [SelectChoice("", _l("Choose a district")),
                                 *(SelectChoice(code, name) for code, name in districts.choices())]

    def validate_district(self, field):
        if not districts.is_district(field.data):
            raise ValidationError(_l("Choose one of the 25 districts."))

    def data_for_service(self) -> dict:
        return {"recipient": self.recipient.data, "phone": self.phone.e164,
                "line1": self.line1.data, "line2": self.line2.data or None,
                "city": self.city.data, "district": self.district.data,
                "postal_code": self.postal_code.data or None}


class DeleteAccountForm(Form):
    password = PasswordField(_l("Your password"),
                             validators=[InputRequired(), Length(max=MAX_LENGTH)])
    confirm = BooleanField(_l("I understand my account and personal data will be erased"),
                           validators=[InputRequired(message=_l("Tick the box to confirm."))])
