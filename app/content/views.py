"""The shop's pages at their own addresses (/about, /contact, /delivery-and-returns,
/privacy, /terms), in the shopper's language, and what the footer of every page needs.

The same for every visitor, so the page cache may keep them (app/page_cache.py)."""

from __future__ import annotations

import logging

from flask import Blueprint
from markupsafe import escape
from sqlalchemy.exc import SQLAlchemyError

from app import page_cache, revalidation
from app.content import markup, services as content
from app.i18n import once_per_language
from app.web import render

bp = Blueprint("content", __name__)
log = logging.getLogger(__name__)


def _page(slug: str):
    def produce():
        text = content.page(slug)
        return render("content/page.html", text=text, body=markup.to_html(text.body),
                      details=content.shop_details() if slug == "contact" else None), None

    return page_cache.serve(produce)


@bp.get("/about")
def about():
    return _page("about")


@bp.get("/contact")
def contact():
    return _page("contact")


@bp.get("/delivery-and-returns")
def delivery_and_returns():
    return _page("delivery-and-returns")


@bp.get("/privacy")
def privacy():
    return _page("privacy")


@bp.get("/terms")
def terms():
    return _page("terms")


# The footer's links, in order: (endpoint, label).
FOOTER_LINKS = [(f"content.{slug.replace('-', '_')}", content.PAGE_LABELS[slug])
                for slug in content.SLUGS]


@bp.app_template_global("shop_details")
def _shop_details():
    """The shop's details in the page's language (base.html's footer, the contact page).
    An error page rendered because the database failed still gets a footer: the settings'."""
    try:
        return content.shop_details()
    except SQLAlchemyError:
        log.warning("shop_details_unavailable")
        return content.configured_details()


class ShopName:
    """The shop's name for templates (`shop_name`): staff's saved one, else SHOP_NAME. Read
    only where a template prints it; a page prints it several times (the title twice, the
    header), so the first read is kept for the rest of the render (one is made per render
    by the context processor)."""

    __slots__ = ("_name",)

    def __init__(self):
        self._name: str | None = None

    def __str__(self) -> str:
        if self._name is None:
            self._name = _shop_details().name
        return self._name

    def __html__(self) -> str:
        return str(escape(str(self)))


@bp.record_once
def _in_etags(state) -> None:
    """Every page's footer shows the shop's details: pages' ETags follow them."""
    revalidation.add_page_part(state.app, _shop_details)


_footer_by_locale: dict[str, list[tuple[str, str]]] = {}


@bp.app_template_global("footer_links")
def _footer_links():
    """FOOTER_LINKS with their labels in the page's language: translated once per language
    and process (the catalogs do not change while it runs), not five times a page."""
    return once_per_language(_footer_by_locale, lambda: [
        (endpoint, str(label)) for endpoint, label in FOOTER_LINKS])
