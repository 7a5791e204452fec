"""The shop's pages and details: read for every storefront page (the footer), so kept as
the shop's reference data (app.memo.reference: REFERENCE_CACHE_SECONDS, 10 s in production,
whether or not the page cache is on) and once per request; edited by staff with
MANAGE_CONTENT, every save written to the audit log and forgotten at once in this process.

What a page needs is kept ready: the details per language as a `ShopInfo` whose phone numbers
are already parsed and formatted, so a page's footer and title cost no query and no parsing.

Reading never fails for lack of a saved row: a page nobody has edited shows the text the shop
starts with (app.content.defaults), and a detail nobody has saved shows its setting
(SHOP_NAME, SHOP_ADDRESS, SHOP_PHONE, SHOP_EMAIL, SHOP_WHATSAPP)."""

from __future__ import annotations

import dataclasses
import functools
import re
from dataclasses import dataclass

from flask import current_app, g
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app import db, memo
from app.accounts.phones import display_phone, normalise_phone
from app.audit import services as audit
from app.content import defaults
from app.content.models import LOCALES, MAX_BODY, MAX_TITLE, Page, ShopDetails
from app.db import transaction, utcnow
from app.errors import Invalid, NotFound
from app.i18n import current_language
from app.security.roles import Permission, require

# The pages, in the footer's order; each has its own address (app/content/views.py).
SLUGS = ("about", "contact", "delivery-and-returns", "privacy", "terms")
PAGE_LABELS = {
    "about": _l("About us"),
    "contact": _l("Contact us"),
    "delivery-and-returns": _l("Delivery and returns"),
    "privacy": _l("Privacy notice"),
    "terms": _l("Terms"),
}
ROW_ID = 1
MAX_NAME = 80
MAX_DETAIL = 500  # an address or opening hours: a few lines
_EMAIL = re.compile(r"^[^@\s<>\"']{1,64}@[A-Za-z0-9.-]{1,185}\.[A-Za-z]{2,24}$")


def _locale(locale: str | None) -> str:
    locale = locale or current_language()
    return locale if locale in LOCALES else "en"


def _per_request(key: tuple, produce):
    """`produce()` once per request (or app context), under memo's keeping of reference
    data (which development and tests turn off: then once per request)."""
    found = g.get("_content")
    if found is None:
        found = g._content = {}
    if key not in found:
        # In a tuple: memo keeps no None, and "nothing saved" is worth keeping too.
        found[key] = memo.reference(("content",) + key, lambda: (produce(),))[0]
    return found[key]


def _forget() -> None:
    """After a save: this process reads the new values at once (others within
    REFERENCE_CACHE_SECONDS)."""
    g.pop("_content", None)
    memo.forget_reference(current_app)


# ---- pages --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PageText:
    slug: str
    title: str
    body: str
    locale: str  # the language the text is in: English where a translation is missing
    updated_at: object | None  # None: the shop's starting text, never edited


def _rows() -> dict[str, dict]:
    rows = db.session.scalars(select(Page).order_by(Page.slug))
    return {row.slug: {column: getattr(row, column) for column in (
        "title_en", "title_si", "title_ta", "body_en", "body_si", "body_ta", "updated_at")}
        for row in rows}


def _stored_page(slug: str) -> dict:
    if slug not in SLUGS:
        raise NotFound()
    found = _per_request(("pages",), _rows).get(slug)
    return found or {**defaults.PAGES[slug], "updated_at": None}


def page(slug: str, locale: str | None = None) -> PageText:
    """A page in `locale` (the request's language by default), English where the title or
    body has no translation. Raises NotFound for a slug that is not one of SLUGS."""
    locale = _locale(locale)
    stored = _stored_page(slug)
    title, body = stored.get(f"title_{locale}"), stored.get(f"body_{locale}")
    shown = locale
    if not (title or "").strip() or not (body or "").strip():
        title, body, shown = stored["title_en"], stored["body_en"], "en"
    return PageText(slug=slug, title=title, body=body, locale=shown,
                    updated_at=stored["updated_at"])


@dataclass(frozen=True)
class PageInput:
    titles: dict  # locale -> title ("" or None: no translation)
    bodies: dict  # locale -> body


def page_for_editing(slug: str, *, actor=None) -> dict:
    """The stored (or starting) texts of a page, per field, for the editor."""
    require(actor, Permission.MANAGE_CONTENT)
    stored = _stored_page(slug)
    return {key: stored.get(key) or "" for key in (
        "title_en", "title_si", "title_ta", "body_en", "body_si", "body_ta")}


def _clean_text(value: str | None, limit: int, field: str) -> str | None:
    value = (value or "").replace("\r\n", "\n").strip()
    if len(value) > limit:
        raise Invalid(_l("Keep this to %(n)d characters or fewer.", n=limit), field=field)
    return value or None


def save_page(slug: str, data: PageInput, *, actor=None) -> Page:
    """Staff change a page's texts. English title and body are required; the Sinhala and
    Tamil ones may be left empty (the English one shows) but a translation is whole: a
    title without its body, or the other way round, is refused. Raises Forbidden, NotFound,
    Invalid (on `title_<locale>` or `body_<locale>`)."""
    require(actor, Permission.MANAGE_CONTENT)
    if slug not in SLUGS:
        raise NotFound()
    values = {}
    for locale in LOCALES:
        title = _clean_text(data.titles.get(locale), MAX_TITLE, f"title_{locale}")
        if title:
            title = " ".join(title.split())
        body = _clean_text(data.bodies.get(locale), MAX_BODY, f"body_{locale}")
        if locale == "en" and not title:
            raise Invalid(_l("Write the English title."), field="title_en")
        if locale == "en" and not body:
            raise Invalid(_l("Write the English text."), field="body_en")
        if bool(title) != bool(body):
            missing = "body" if title else "title"
            raise Invalid(_l("Write both the title and the text of a translation, or "
                             "neither."), field=f"{missing}_{locale}")
        values[f"title_{locale}"], values[f"body_{locale}"] = title, body
    actor_id = actor.id if actor else None
    with transaction():
        row = db.session.scalar(select(Page).where(Page.slug == slug))
        if row is None:
            row = Page(slug=slug)
            db.session.add(row)
        changed = sorted(key for key, value in values.items() if getattr(row, key) != value)
        for key, value in values.items():
            setattr(row, key, value)
        row.updated_at, row.updated_by = utcnow(), actor_id
        db.session.flush()
        audit.record("content.page_save", actor_id=actor_id, target_type="content_page",
                     target_id=slug, changed=",".join(changed))
    _forget()
    return row


# ---- the shop's details ---------------------------------------------------------------------

@dataclass(frozen=True)
class ShopInfo:
    """The shop's details in one language, ready to show."""

    name: str
    address: str
    hotline: str | None  # E.164
    whatsapp: str | None  # E.164
    email: str | None
    hours: str
    hotline_text: str = ""  # as the setting spells it, when it comes from SHOP_PHONE
    # Worked out once when made (the footer of every page shows them): formatting a number
    # costs more than the rest of the footer.
    hotline_display: str = dataclasses.field(init=False)
    whatsapp_display: str = dataclasses.field(init=False)
    hotline_href: str | None = dataclasses.field(init=False)
    whatsapp_href: str | None = dataclasses.field(init=False)

    def __post_init__(self):
        ready = {
            "hotline_display": self.hotline_text or display_phone(self.hotline),
            "whatsapp_display": display_phone(self.whatsapp),
            "hotline_href": f"tel:{self.hotline}" if self.hotline else None,
            "whatsapp_href": (f"https://wa.me/{self.whatsapp.lstrip('+')}"
                              if self.whatsapp else None),
        }
        for name, value in ready.items():
            object.__setattr__(self, name, value)


DETAIL_FIELDS = ("name", "address_en", "address_si", "address_ta", "hotline", "whatsapp",
                 "email", "hours_en", "hours_si", "hours_ta")


def _details_row() -> dict | None:
    row = db.session.get(ShopDetails, ROW_ID)
    return None if row is None else {f: getattr(row, f) for f in DETAIL_FIELDS}


@functools.lru_cache(maxsize=32)
def _setting_phone(raw: str, mobile_only: bool) -> str | None:
    """A SHOP_PHONE or SHOP_WHATSAPP setting as E.164: settings do not change while the
    process runs, and parsing a number is the dearest part of the details."""
    return normalise_phone(raw, mobile_only=mobile_only)


def _configured() -> dict:
    config = current_app.config
    return {"name": config.get("SHOP_NAME") or "Kade",
            "address_en": config.get("SHOP_ADDRESS") or "",
            "hotline": _setting_phone(config.get("SHOP_PHONE") or "", False),
            "whatsapp": _setting_phone(config.get("SHOP_WHATSAPP") or "", True),
            "email": config.get("SHOP_EMAIL") or None,
            "hours_en": config.get("SHOP_HOURS") or ""}


def shop_details(locale: str | None = None) -> ShopInfo:
    """The shop's details in `locale` (the request's language by default): a saved value,
    else its English one (address, hours), else the setting. Made once per language and
    kept with the shop's reference data (app.memo.reference)."""
    locale = _locale(locale)
    return _per_request(("details", locale), lambda: _details_in(locale))


def _details_in(locale: str) -> ShopInfo:
    saved = _per_request(("details",), _details_row) or {}
    fallback = _configured()

    def pick(field: str) -> str | None:
        return saved.get(field) or fallback.get(field)

    def per_language(field: str) -> str:
        return (saved.get(f"{field}_{locale}") or saved.get(f"{field}_en")
                or fallback.get(f"{field}_en") or "")

    hotline_text = "" if saved.get("hotline") else (
        current_app.config.get("SHOP_PHONE") or "").strip()
    return ShopInfo(name=pick("name"), address=per_language("address"),
                    hotline=pick("hotline"), whatsapp=pick("whatsapp"), email=pick("email"),
                    hours=per_language("hours"), hotline_text=hotline_text)


def configured_details(locale: str | None = None) -> ShopInfo:
    """The details from the settings alone (when the database cannot be read)."""
    fallback = _configured()
    return ShopInfo(name=fallback["name"], address=fallback["address_en"],
                    hotline=fallback["hotline"], whatsapp=fallback["whatsapp"],
                    email=fallback["email"], hours=fallback["hours_en"],
                    hotline_text=(current_app.config.get("SHOP_PHONE") or "").strip())


def shop_name() -> str:
    return shop_details().name


def details_for_editing(*, actor=None) -> dict:
    """What the details form starts with: what is saved, else the settings."""
    require(actor, Permission.MANAGE_CONTENT)
    saved = _details_row() or {}
    fallback = _configured()
    values = {field: saved.get(field) or fallback.get(field) or "" for field in DETAIL_FIELDS}
    for field in ("hotline", "whatsapp"):
        values[field] = display_phone(values[field]) if values[field] else ""
    return values


def save_details(values: dict, *, actor=None) -> ShopDetails:
    """Staff save the shop's details (`values` keyed by DETAIL_FIELDS; empty: the setting,
    or for Sinhala and Tamil the English text, shows). The hotline is any Sri Lankan number,
    WhatsApp a Sri Lankan mobile number. Raises Forbidden, Invalid (on the field)."""
    require(actor, Permission.MANAGE_CONTENT)
    clean: dict[str, str | None] = {}
    name = " ".join((values.get("name") or "").split())
    if len(name) > MAX_NAME:
        raise Invalid(_l("Keep the name to %(n)d characters or fewer.", n=MAX_NAME),
                      field="name")
    clean["name"] = name or None
    for field in ("address_en", "address_si", "address_ta", "hours_en", "hours_si",
                  "hours_ta"):
        clean[field] = _clean_text(values.get(field), MAX_DETAIL, field)
    hotline = (values.get("hotline") or "").strip()
    clean["hotline"] = normalise_phone(hotline, mobile_only=False) if hotline else None
    if hotline and clean["hotline"] is None:
        raise Invalid(_l("Enter a Sri Lankan phone number, like 011 234 5678."),
                      field="hotline")
    whatsapp = (values.get("whatsapp") or "").strip()
    clean["whatsapp"] = normalise_phone(whatsapp) if whatsapp else None
    if whatsapp and clean["whatsapp"] is None:
        raise Invalid(_l("Enter a Sri Lankan mobile number, like 077 123 4567."),
                      field="whatsapp")
    email = (values.get("email") or "").strip()
    if email and (len(email) > 254 or not _EMAIL.match(email)):
        raise Invalid(_l("Enter an email address, like hello@example.lk."), field="email")
    clean["email"] = email or None
    actor_id = actor.id if actor else None
    with transaction():
        row = db.session.get(ShopDetails, ROW_ID)
        if row is None:
            row = ShopDetails(id=ROW_ID)
            db.session.add(row)
        changed = sorted(f for f, value in clean.items() if getattr(row, f) != value)
        for field, value in clean.items():
            setattr(row, field, value)
        row.updated_at, row.updated_by = utcnow(), actor_id
        audit.record("content.details_save", actor_id=actor_id, target_type="settings",
                     target_id="shop_details", changed=",".join(changed))
    _forget()
    return row
