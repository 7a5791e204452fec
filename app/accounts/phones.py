"""Sri Lankan phone numbers: accepted as people type them, stored as E.164 (+94…)."""

from __future__ import annotations

import functools
import re

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType

# What people type: digits with spaces, dashes, dots, brackets and a leading plus.
_TYPED = re.compile(r"\+?[\d\s\-().]{7,24}")


def normalise_phone(raw: str, *, mobile_only: bool = True) -> str | None:
    """`077 123 4567`, `+94 77 1234567`, `0094771234567` -> `+94771234567`; None if not a
    valid Sri Lankan number (a mobile number where `mobile_only`)."""
    if not raw or len(raw) > 32 or not _TYPED.fullmatch(raw.strip()):
        return None
    return _normalised(raw.strip(), mobile_only)


# A checkout reads the same number more than once (the contact, the address, the order's
# index), and phonenumbers takes about 0.04 ms a parse: the last answers are kept.
@functools.lru_cache(maxsize=256)
def _normalised(cleaned: str, mobile_only: bool) -> str | None:
    if cleaned.startswith("00"):
        cleaned = "+" + cleaned[2:]
    try:
        number = phonenumbers.parse(cleaned, "LK")
    except NumberParseException:
        return None
    if number.country_code != 94 or not phonenumbers.is_valid_number(number):
        return None
    kind = phonenumbers.number_type(number)
    if mobile_only and kind not in (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_phone(e164: str | None) -> str:
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, "LK")
    except NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
