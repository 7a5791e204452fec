"""Validation errors as a person reads them: `[(field, message)]`, in the reader's language.

pydantic's own messages ("String should have at most 100 characters") are English only and
name Python types. Each error has a stable `type`, so the message is ours, chosen by type and
sometimes by field, and translated with the rest of Kade's strings.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import lazy_gettext as _l
from pydantic_core import ErrorDetails

REQUIRED = _l("This field is required.")

# Error types of our own validators (app.api.schemas) and pydantic's, by what they mean.
_BY_TYPE = {
    "missing": REQUIRED,
    "extra_forbidden": _l("This field is not accepted here."),
    "string_type": _l("Enter text."),
    "int_type": _l("Enter a whole number."),
    "int_parsing": _l("Enter a whole number."),
    "int_from_float": _l("Enter a whole number."),
    "bool_type": _l("Enter true or false."),
    "bool_parsing": _l("Enter true or false."),
    "model_type": _l("Send a JSON object."),
    "model_attributes_type": _l("Send a JSON object."),
    "dict_type": _l("Send a JSON object."),
    "list_type": _l("Send a list."),
    "phone": _l("Enter a Sri Lankan mobile number, like 077 123 4567."),
    "email": _l("Enter an email address like name@example.lk."),
    "text_characters": _l("Remove the control characters from this text."),
}

# Where one type of error means something particular for one field (a choice, a pattern).
_BY_FIELD = {
    "district": _l("Choose one of the 25 districts."),
    "language": _l("Choose English (en), Sinhala (si) or Tamil (ta)."),
    "postal_code": _l("A postal code has 5 digits."),
    "payment_method": _l("Choose cash on delivery (cod) or bank transfer (bank_transfer)."),
}

NOT_VALID = _l("This value is not valid.")


def _message(error: ErrorDetails, field: str | None):
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind in ("literal_error", "enum", "string_pattern_mismatch") and field in _BY_FIELD:
        return _BY_FIELD[field]
    if kind == "string_too_short":
        if ctx.get("min_length", 1) <= 1:
            return REQUIRED
        return _l("Use at least %(n)d characters.", n=ctx["min_length"])
    if kind == "string_too_long":
        return _l("Use at most %(n)d characters.", n=ctx["max_length"])
    if kind in ("greater_than_equal", "greater_than"):
        return _l("Enter a number of at least %(n)s.", n=ctx.get("ge", ctx.get("gt")))
    if kind in ("less_than_equal", "less_than"):
        return _l("Enter a number of at most %(n)s.", n=ctx.get("le", ctx.get("lt")))
    return _BY_TYPE.get(kind, NOT_VALID)


def field_errors(errors: Iterable[ErrorDetails]) -> list[tuple[str | None, object]]:
    """`(field, lazy message)` for each error; `field` is the dotted path of the value
    (`items.0.quantity`), or None when the whole body is wrong (an array, not an object)."""
    result = []
    for error in errors:
        field = ".".join(str(part) for part in error["loc"]) or None
        result.append((field, _message(error, field)))
    return result
