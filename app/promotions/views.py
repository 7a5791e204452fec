"""The shop's promotions pages: /offers, and the badges product cards show.

Thin: the promotions' services say what is advertised; the page is the same for every
visitor in a language, so the page cache may keep it (PAGE_CACHE_SECONDS).
"""

from __future__ import annotations

from flask import Blueprint

from app import page_cache
from app.i18n import current_language
from app.promotions import badges, public
from app.web import render

bp = Blueprint("promotions", __name__)


def _locale() -> str:
    return current_language()


@bp.app_template_global("promotion_badges")
def promotion_badges(products) -> dict:
    """{product id: Badge} for the cards of a page; call once per group of cards (the
    promotions are loaded once per request however often it is called)."""
    return badges.for_page(list(products or ()), _locale())


@bp.get("/offers")
def offers():
    return page_cache.serve(lambda: (render("promotions/offers.html",
                                            offers=public.advertised(_locale())), None))
