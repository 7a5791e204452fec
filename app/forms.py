"""The base of every HTML form: Flask-WTF, with WTForms' own messages ("This field is
required.") translated from Kade's catalogs, since WTForms ships no Sinhala, and every field
checked for the characters no text may hold (app/security/characters.py, the API's rule too),
so a form of any page refuses them on the field that holds them."""

from __future__ import annotations

from flask_babel import get_translations, lazy_gettext as _l, lazy_ngettext
from flask_wtf import FlaskForm
from wtforms import TextAreaField

from app.security import characters


class Form(FlaskForm):
    class Meta(FlaskForm.Meta):
        def get_translations(self, form):
            return get_translations()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        csrf_field = getattr(self, "csrf_token", None)
        if csrf_field is not None:
            # The hidden token has no label to point at it, and pages hold several forms:
            # rendered without an id (WTForms leaves out an attribute set to False), it can
            # never repeat one.
            csrf_field.id = False

    def validate(self, extra_validators=None) -> bool:
        """The fields' own checks, then the characters check on every field, whatever its
        type (a hidden field or a select is as easy to tamper with as a text box): what was
        sent, not what a filter made of it. Only a text area may hold tabs and line breaks."""
        valid = super().validate(extra_validators)
        for field in self:
            sent = [value for value in getattr(field, "raw_data", None) or ()
                    if isinstance(value, str)]
            multiline = isinstance(field, TextAreaField)
            if any(characters.has_forbidden_characters(value, multiline=multiline)
                   for value in sent):
                if characters.MESSAGE not in field.errors:
                    field.errors = [*field.errors, characters.MESSAGE]
                valid = False
        return valid


# WTForms' built-in messages that Kade's forms can show, listed so `make messages` puts them
# in the catalogs. The text must match WTForms' exactly.
WTFORMS_MESSAGES = (
    _l("This field is required."),
    _l("Invalid email address."),
    _l("Invalid input."),
    _l("Not a valid choice."),
    _l("Invalid Choice: could not coerce."),
    _l("Not a valid date value."),
    _l("Not a valid integer value."),
    _l("Not a valid decimal value."),
    _l("Number must be at least %(min)s."),
    _l("Number must be at most %(max)s."),
    _l("Number must be between %(min)s and %(max)s."),
    _l("Field must be equal to %(other_name)s."),
    _l("Field must be between %(min)d and %(max)d characters long."),
    lazy_ngettext("Field cannot be longer than %(max)d character.",
                  "Field cannot be longer than %(max)d characters.", 1),
    lazy_ngettext("Field must be at least %(min)d character long.",
                  "Field must be at least %(min)d characters long.", 1),
)
