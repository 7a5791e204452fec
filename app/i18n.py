"""Languages, money and time as a Sri Lankan shopper expects them."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from babel.numbers import format_currency
from flask import has_request_context, request, session
from flask.globals import _cv_app  # the app context itself: `g` is a proxy, this is not
from flask_babel import get_locale, get_translations
from flask_login import current_user
from jinja2 import pass_eval_context
from markupsafe import Markup

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
    signs = _money_signs.get(locale, False)
    if signs is False:
        signs = _signs_for(locale)
        if len(_money_signs) < 16:  # the shop's languages; a stray name is not kept
            _money_signs[locale] = signs
    if signs is None:
        return _babel_lkr(cents, locale)
    plus, minus = signs
    units, hundredths = divmod(abs(cents), 100)
    return f"{minus if cents < 0 else plus}{units:,}.{hundredths:02d}"


def _babel_lkr(cents: int, locale: str) -> str:
    amount = cents / 100  # display only; arithmetic stays in integer cents
    if locale == "en":
        return "Rs. " + format_currency(amount, "LKR", format="#,##0.00", locale="en_US")
    return format_currency(amount, "LKR", locale=FORMAT_LOCALES.get(locale, "en_US"))


# A page shows a dozen prices or more, and Babel takes some 10 µs to format each: per
# language, what Babel puts before the digits of a positive and of a negative amount is
# learnt once, and the digits are Python's own. Only where Babel's result for sample amounts
# is exactly that (digits grouped in threes by ",", "." before the cents); otherwise Babel
# formats every amount.
_money_signs: dict[str, tuple[str, str] | None] = {}
_PROBES = (0, 1, 99, 100, 123_456, 100_000_000, 123_456_789_012, -1, -123_456_789)


def _signs_for(locale: str) -> tuple[str, str] | None:
    one, minus_one = _babel_lkr(1, locale), _babel_lkr(-1, locale)
    if not (one.endswith("0.01") and minus_one.endswith("0.01")):
        return None
    signs = (one[:-4], minus_one[:-4])
    for cents in _PROBES:
        units, hundredths = divmod(abs(cents), 100)
        fast = f"{signs[1] if cents < 0 else signs[0]}{units:,}.{hundredths:02d}"
        if fast != _babel_lkr(cents, locale):
            return None
    return signs


def local_time(value: dt.datetime | None, fmt: str | None = None) -> str:
    """A UTC time shown in Colombo: `27 Nov 2026, 14:05` with the month in the reader's
    language, or a numeric strftime `fmt` (tables, where columns must line up)."""
    if value is None:
        return ""
    local = value.astimezone(COLOMBO)
    if fmt:
        return local.strftime(fmt)
    locale = FORMAT_LOCALES.get(current_language(), "en_US") if has_request_context() \
        else "en_US"
    return format_datetime(local, "d MMM y, HH:mm", tzinfo=COLOMBO, locale=locale)


# ---- translations in templates ------------------------------------------------------------
#
# A page says a few dozen translated things. Flask-Babel's own template functions find the
# catalog anew for each (a dozen context-local lookups through `g`, the domain and the
# locale), and Jinja's wrappers add two more calls; together that cost more than the rest of
# the header. These find it once per request (and again whenever the locale changes, as under
# `force_locale`), and mean exactly what Jinja's "newstyle" gettext means: the translation is
# a format string, safe markup where the template autoescapes, its variables escaped.

def current_language() -> str:
    """The language this request (or `force_locale` block) speaks: "en", "si" or "ta", what
    `str(get_locale() or "en")` gives. Found once per request and locale: Flask-Babel's
    lookup and babel's `str(Locale)` cost more than the work a page did with the answer, and
    a page asked a dozen times (prices, the shop's details, the cache keys)."""
    app_ctx = _cv_app.get(None)
    babel_ctx = getattr(app_ctx.g, "_flask_babel", None) if app_ctx is not None else None
    if babel_ctx is not None:
        kept = getattr(babel_ctx, "kade_language", None)
        if kept is not None and kept[0] is getattr(babel_ctx, "babel_locale", None):
            return kept[1]
    language = str(get_locale() or "en")  # sets the context's locale as it goes
    babel_ctx = getattr(app_ctx.g, "_flask_babel", None) if app_ctx is not None else None
    if babel_ctx is not None and getattr(babel_ctx, "babel_locale", None) is not None:
        babel_ctx.kade_language = (babel_ctx.babel_locale, language)
    return language


def once_per_language(kept: dict, make):
    """`make()` as the current language says it, made once per language and process and
    kept in `kept` (the catalogs do not change while the process runs): for labels a page
    reads several times, where a lazy string would ask Flask-Babel for the catalog anew at
    each read."""
    language = current_language()
    found = kept.get(language)
    if found is None:
        found = kept[language] = make()
    return found


def translations():
    """This request's translations (Flask-Babel's), found once per request and locale."""
    app_ctx = _cv_app.get(None)
    if app_ctx is None:
        return get_translations()  # no app: the untranslated strings
    babel_ctx = getattr(app_ctx.g, "_flask_babel", None)  # Flask-Babel's, per context
    if babel_ctx is not None:
        kept = getattr(babel_ctx, "kade_translations", None)
        if kept is not None and kept[0] is getattr(babel_ctx, "babel_locale", None):
            return kept[1]
    found = get_translations()  # sets the context's locale (and domain) as it goes
    babel_ctx = getattr(app_ctx.g, "_flask_babel", None)
    if babel_ctx is not None and getattr(babel_ctx, "babel_locale", None) is not None:
        babel_ctx.kade_translations = (babel_ctx.babel_locale, found)
    return found


def _formatted(eval_ctx, text: str, variables: dict):
    if eval_ctx.autoescape:
        # The shop's own catalogs are trusted markup, as with Jinja's own gettext.
        text = Markup(text)  # noqa: S704
    if not variables and "%" not in text:
        # Formatting it would give it back unchanged; Markup's % costs more than the rest
        # of the call (a page says eighty things, most with nothing to fill in).
        return text
    return text % variables  # always a format string, as Jinja's newstyle gettext has it


@pass_eval_context
def template_gettext(eval_ctx, string: str, **variables):
    return _formatted(eval_ctx, translations().ugettext(string), variables)


@pass_eval_context
def template_ngettext(eval_ctx, singular: str, plural: str, num: int, **variables):
    variables.setdefault("num", num)
    return _formatted(eval_ctx, translations().ungettext(singular, plural, num), variables)


@pass_eval_context
def template_pgettext(eval_ctx, context: str, string: str, **variables):
    variables.setdefault("context", context)
    return _formatted(eval_ctx, translations().upgettext(context, string), variables)


@pass_eval_context
def template_npgettext(eval_ctx, context: str, singular: str, plural: str, num: int,
                       **variables):
    variables.setdefault("context", context)
    variables.setdefault("num", num)
    return _formatted(eval_ctx, translations().unpgettext(context, singular, plural, num),
                      variables)


def install_template_gettext(jinja_env) -> None:
    """Put these in place of Flask-Babel's (after `babel.init_app`, which installs its own and
    Jinja's i18n extension, whose `{% trans %}` blocks call the same names)."""
    jinja_env.globals.update(_=template_gettext, gettext=template_gettext,
                             ngettext=template_ngettext, pgettext=template_pgettext,
                             npgettext=template_npgettext)
