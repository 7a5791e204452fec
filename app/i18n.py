"""Languages, money and time as a Sri Lankan shopper expects them."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from babel.numbers import format_currency
from flask import has_request_context, request, session
from flask_babel import get_locale
from flask_login import current_user

COLOMBO = ZoneInfo("Asia/Colombo")
LANGUAGES = {"en": "English", "si": "සිංහල", "ta": "தமிழ்"}
# Babel has no en_LK; si_LK and ta_LK give the local currency signs.
FORMAT_LOCALES = {"en": "en_US", "si": "si_LK", "ta": "ta_LK"}


def select_locale() -> str:
    """The shopper's pick (kept in the session and on the account), else the browser's."""
    if not has_request_context():
        return "en"  # jobs and commands pick a language explicitly with force_locale
    chosen = session.get("locale")
    if chosen in LANGUAGES:
        return chosen
    if current_user and getattr(current_user, "is_authenticated", False):
        if current_user.locale in LANGUAGES:
            return current_user.locale
    return request.accept_languages.best_match(list(LANGUAGES)) or "en"


def select_timezone() -> str:
    return "Asia/Colombo"


def format_lkr(cents: int, locale: str = "en") -> str:
    """Integer cents of LKR as `Rs. 1,250.00` (English) or `රු.1,250.00` (Sinhala)."""
    if not isinstance(cents, int):
        raise TypeError("money is integer cents")
    amount = cents / 100  # display only; arithmetic stays in integer cents
    if locale == "en":
        return "Rs. " + format_currency(amount, "LKR", format="#,##0.00", locale="en_US")
    return format_currency(amount, "LKR", locale=FORMAT_LOCALES.get(locale, "en_US"))


def local_time(value: dt.datetime | None, fmt: str | None = None) -> str:
    """A UTC time shown in Colombo: `27 Nov 2026, 14:05` with the month in the reader's
    language, or a numeric strftime `fmt` (tables, where columns must line up)."""
    if value is None:
        return ""
    local = value.astimezone(COLOMBO)
    if fmt:
        return local.strftime(fmt)
    locale = FORMAT_LOCALES.get(str(get_locale() or "en"), "en_US") if has_request_context() \
        else "en_US"
    return format_datetime(local, "d MMM y, HH:mm", tzinfo=COLOMBO, locale=locale)
