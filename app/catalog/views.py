"""The shop's catalog pages: all products, a category, a product or service. Thin: read the
query string defensively (a bad value gives a normal page, never an error), call the catalog
read services, render the page or, for htmx, the fragment the page includes."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from urllib.parse import urljoin, urlsplit

from flask import Blueprint, current_app, g, request, session, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from jinja2 import pass_context
from werkzeug.datastructures import MultiDict

from app import page_cache, revalidation
from app.catalog import below_product, images, services as catalog, versions
from app.catalog.models import Product, Variant
from app.catalog.services import ProductFilter
from app.db import reads_only
from app.i18n import current_language, format_lkr, once_per_language
from app.inventory import services as inventory
from app.storage import public_url
from app.web import render

bp = Blueprint("catalog", __name__)

PER_PAGE = 24
MAX_PAGE = 100_000  # keeps OFFSET a sane number whatever is typed
MAX_PRICE_CENTS = 2_000_000_000  # Rs. 20 million: above any listing, below a 32-bit column
LOW_STOCK_UNITS = inventory.FEW_UNITS  # "Only 3 left" at or below this; "In stock" above
RECENT_KEY = "recently_viewed"
RECENT_KEPT = 8
ATTRIBUTE_PARAM = "attr_"
MAX_ATTRIBUTE_NAMES = 10
MAX_ATTRIBUTE_VALUES = 30
_PRICE = re.compile(r"\d{1,10}(\.\d{1,2})?")

ATTRIBUTE_LABELS = {
    "origin": _l("Origin"),
    "material": _l("Material"),
    "brand": _l("Brand"),
    "colour": _l("Colour"),
    "size": _l("Size"),
    "pack": _l("Pack"),
}


# ---- template helpers (app-wide: the search pages render the same cards) ------------------

@bp.app_template_global()
def media_url(key: str) -> str:
    return public_url(key)


@bp.app_template_global()
def thumb_url(key: str) -> str:
    return public_url(images.thumb_key(key))


@dataclass(frozen=True, slots=True)
class CardText:
    """What a card prints of its product that takes a call to make: its name in the page's
    language, its link, its picture's address and its price. Made in one call a card: each
    call a template makes costs Jinja more than most of these take to work out."""

    name: str
    href: str
    thumb: str | None  # its first picture's 400-pixel copy, or None
    price: str  # the lowest active price, as the |money filter writes it


@bp.app_template_global()
@pass_context
def card_text(context, product) -> CardText:
    locale = context.get("current_locale") or current_language()
    link = context.get("url_for") or url_for  # the template's own (app/template_urls.py)
    return CardText(name=product.text("name", locale),
                    href=link("catalog.product", slug=product.slug),
                    thumb=thumb_url(product.images[0].key) if product.images else None,
                    price=format_lkr(product.min_price_cents, locale))


@dataclass(frozen=True, slots=True)
class CardForm:
    """What every card's "Add to cart" form carries that is the same for all the cards of a
    page. Attributes, not a dict: a template reads them four times a card, and Jinja tries
    an attribute before an item (a dict's key costs it a caught AttributeError)."""

    action: str  # where to post
    next: str  # where to come back
    token: str  # the CSRF token


@bp.app_template_global()
def card_form() -> CardForm:
    """The cards' common form for this page: worked out once a page."""
    key = ("card_form", page_cache.rendering())  # a kept page holds the token's marker
    found = g.get("card_form")
    if found is None or found[0] != key:
        found = (key, CardForm(action=url_for("checkout.add_item"), next=_back_here(),
                               token=page_cache.csrf_token()))
        g.card_form = found
    return found[1]


def _back_here() -> str:
    """Where a card's plain "Add to cart" post comes back to: this page, or for a strip htmx
    fetched into a page, that page (its path, never another site's)."""
    if request.method != "GET":
        return ""
    if request.htmx and request.htmx.current_url:
        parts = urlsplit(request.htmx.current_url)
        return parts.path + (f"?{parts.query}" if parts.query else "")
    return request.full_path


@bp.app_template_global()
@bp.app_template_filter("attribute_label")
def attribute_label(name: str) -> str:
    labels = once_per_language(_attribute_labels, lambda: {
        known: str(label) for known, label in ATTRIBUTE_LABELS.items()})
    found = labels.get(name)
    return found if found is not None else name.replace("_", " ").capitalize()


# ATTRIBUTE_LABELS in each language (i18n.once_per_language): a lazy string costs 8 µs a read,
# and the filter panel and a product's facts read one per attribute.
_attribute_labels: dict[str, dict[str, str]] = {}


@bp.app_template_global()
def attribute_value_labels() -> dict[tuple[str, str], str]:
    """The filter panel's values in the reader's language, where staff translated them."""
    return catalog.attribute_value_labels(current_language())


@bp.app_template_filter("duration")
def duration(minutes: int | None) -> str:
    """`45 min`, `2 h`, `2 h 30 min`."""
    hours, rest = divmod(int(minutes or 0), 60)
    if hours and rest:
        return _("%(hours)d h %(minutes)d min", hours=hours, minutes=rest)
    if hours:
        return _("%(hours)d h", hours=hours)
    return _("%(minutes)d min", minutes=rest)


@bp.app_template_filter("rupees")
def rupees(cents: int) -> str:
    """Cents as a plain rupee amount for a form field: `1250` or `1250.50`."""
    whole, part = divmod(int(cents), 100)
    return f"{whole}.{part:02d}" if part else str(whole)


@bp.app_context_processor
def _catalog_globals():
    return {"low_stock_units": LOW_STOCK_UNITS}


# ---- reading the query string ---------------------------------------------------------------

def _int_arg(args: MultiDict, name: str, default: int, *, low: int, high: int) -> int:
    raw = args.get(name, "")
    if not raw.isascii() or not raw.isdigit() or len(raw) > 9:
        return default
    return max(low, min(high, int(raw)))


def _rupees_arg(args: MultiDict, name: str) -> int | None:
    """`1250`, `1,250` or `1250.50` rupees as cents; anything else (negative, 1e999, nan,
    words) is no filter at all."""
    raw = args.get(name, "").strip().replace(",", "")
    if not raw.isascii() or not _PRICE.fullmatch(raw):
        return None
    try:
        cents = int(Decimal(raw) * 100)
    except InvalidOperation:
        return None
    return min(cents, MAX_PRICE_CENTS)


def _attribute_args(args: MultiDict) -> dict[str, tuple[str, ...]]:
    chosen: dict[str, tuple[str, ...]] = {}
    for key in args:
        if not key.startswith(ATTRIBUTE_PARAM) or len(chosen) >= MAX_ATTRIBUTE_NAMES:
            continue
        name = key.removeprefix(ATTRIBUTE_PARAM)
        if not name or len(name) > 40 or not name.isprintable():  # no attribute is named so
            continue
        values = tuple(dict.fromkeys(
            v for v in args.getlist(key) if v and len(v) <= 80 and v.isprintable()
        ))[:MAX_ATTRIBUTE_VALUES]
        if values:
            chosen[name] = values
    return chosen


def parse_listing_args(args: MultiDict, category: str | None = None
                       ) -> tuple[ProductFilter, str, int]:
    """The filter, sort and page a listing's query string asks for. Never raises: a value
    that makes no sense is left out."""
    low, high = _rupees_arg(args, "min_price"), _rupees_arg(args, "max_price")
    if low is not None and high is not None and low > high:
        low, high = high, low  # the shopper meant the range, whichever box they used
    kind = args.get("kind")
    filters = ProductFilter(
        category=category,
        kind=kind if kind in ("product", "service") else None,
        min_price_cents=low,
        max_price_cents=high,
        in_stock=args.get("in_stock") in ("1", "on", "true", "yes"),
        attributes=_attribute_args(args),
    )
    sort = args.get("sort", "newest")
    if sort not in catalog.SORTS:
        sort = "newest"
    page = _int_arg(args, "page", 1, low=1, high=MAX_PAGE)
    return filters, sort, page


def listing_query(filters: ProductFilter, sort: str) -> dict:
    """The query string of a listing in canonical form: only values we understood."""
    query: dict = {}
    if sort != "newest":
        query["sort"] = sort
    if filters.min_price_cents is not None:
        query["min_price"] = rupees(filters.min_price_cents)
    if filters.max_price_cents is not None:
        query["max_price"] = rupees(filters.max_price_cents)
    if filters.kind:
        query["kind"] = filters.kind
    if filters.in_stock:
        query["in_stock"] = "1"
    for name, values in filters.attributes.items():
        query[ATTRIBUTE_PARAM + name] = list(values)
    return query


# ---- pages ----------------------------------------------------------------------------------

def _listing(category=None):
    filters, sort, page_number = parse_listing_args(
        request.args, category.slug if category is not None else None)
    page = catalog.list_products(filters, sort=sort, page=page_number, per_page=PER_PAGE,
                                 locale=_locale())
    query = listing_query(filters, sort)
    endpoint_args = {"slug": category.slug} if category is not None else {}
    endpoint = "catalog.category" if category is not None else "catalog.product_list"

    def page_url(n: int) -> str:
        return url_for(endpoint, **endpoint_args, **query, **({"page": n} if n > 1 else {}))

    if _wants_fragment():  # the next page for infinite scroll: no facets, no breadcrumbs
        return render("catalog/listing.html", "catalog/_product_grid.html",
                      page=page, page_url=page_url)
    return render(
        "catalog/listing.html", "catalog/_product_grid.html",
        page=page, page_url=page_url, category=category, filters=filters, sort=sort,
        facets=catalog.attribute_facets(filters),
        action=url_for(endpoint, **endpoint_args),
        trail=catalog.breadcrumbs(category) if category is not None else [],
        subcategories=(category.children if category is not None
                       else catalog.category_tree()),
        # Filtered and sorted views show the same products: search engines get one address
        # per page of the listing.
        canonical=absolute_url(url_for(endpoint, **endpoint_args,
                                       **({"page": page.page} if page.page > 1 else {}))))


@bp.get("/products")
@reads_only
def product_list():
    return _cached(_listing, None)


@bp.get("/c/<slug>")
@reads_only
def category(slug: str):
    return _cached(lambda: _listing(catalog.get_category(slug)), slug)  # NotFound -> 404


def _cached(page, slug: str | None):
    """A listing is the same for every visitor not signed in: the page cache may keep it.
    A visitor whose copy is still what they would see gets a 304 (app/revalidation.py)."""
    return page_cache.serve(lambda: (page(), None), validator=lambda: _listing_tag(slug))


def _listing_tag(slug: str | None):
    filters, _sort, _page = parse_listing_args(request.args, slug)
    version = versions.listing_version(slug, in_stock=filters.in_stock)
    return (revalidation.page_tag("listing", version), None) if version is not None else None


@bp.get("/p/<slug>")
@reads_only
def product(slug: str):
    if _wants_fragment():  # another variant picked: only the block that follows it
        return revalidation.answer(lambda: _product_fragment(slug), lambda: _product_tag(slug),
                                   _remember_viewed)
    return page_cache.serve(lambda: _product_page(slug), on_hit=_remember_viewed,
                            validator=lambda: _product_tag(slug))


def _product_tag(slug: str):
    """The page's own part of its ETag, and the product's id, without rendering it."""
    version = versions.product_version(slug)
    if version is None:
        return None  # no such product: the 404 page, without an ETag
    promise = None if version.is_service else _promise_facts()
    return revalidation.page_tag("product", version.parts, promise), version.product_id


def _product_fragment(slug: str):
    item, context = _product_context(slug)
    return render("catalog/product.html", "catalog/_product_detail.html", **context), item.id


def _product_context(slug: str):
    item = catalog.get_published(slug)  # NotFound -> the 404 page
    active = [v for v in item.variants if v.is_active]
    variant = _chosen_variant(active, request.args.get("variant", ""))
    units = item.units
    return item, dict(product=item, variants=active, variant=variant, units=units,
                      image=_image_for(item, variant), promise=_promise(item, variant),
                      slots=catalog.next_free_slots(item.id) if item.is_service else [])


def _promise(item: Product, variant: Variant | None) -> dict | None:
    """What the page says about delivery and cash on delivery: for goods only (a service
    is booked, not delivered), from facts kept as reference data (memo.reference), so no
    query per page in production. Cash on delivery is named only when this price may use it."""
    if item.is_service:
        return None
    facts = _promise_facts()
    if facts is None:
        return None
    price = variant.price_cents if variant else item.min_price_cents
    cod = facts.cod_offered and (facts.cod_max_cents is None or price <= facts.cod_max_cents)
    return {"facts": facts, "cod": cod}


def _promise_facts():
    """The delivery promise's facts, once per request: the page's ETag names the same ones
    the page shows."""
    if "catalog_promise" not in g:  # kept as reference data by checkout (memo.reference)
        g.catalog_promise = catalog.delivery_promise()
    return g.catalog_promise


def _product_page(slug: str):
    """The whole product page, the same for every visitor (the page cache may keep it):
    the recently-viewed strip, which is the visitor's own, comes after by htmx."""
    item, context = _product_context(slug)
    active, units = context["variants"], context["units"]
    canonical = absolute_url(url_for("catalog.product", slug=item.slug))
    pictures = [absolute_url(media_url(image.key)) for image in item.images]
    response = render(
        "catalog/product.html", "catalog/_product_detail.html", **context,
        trail=catalog.breadcrumbs(catalog.category_of(item)),
        json_ld=_product_json_ld(item, active, units, canonical, pictures),
        canonical=canonical,
        meta_description=_summary(item.text("description", _locale())
                                  or item.text("name", _locale())),
        og_image=pictures[0] if pictures else None)
    return response, item.id


@bp.get("/recently-viewed")
@reads_only
def recently_viewed():
    """The visitor's own strips under a product page, fetched by htmx once the page has
    loaded: what other areas show there (below_product: "Often bought together"), then the
    recently viewed products but the one on the page (`except`), newest first."""
    raw = request.args.get("except", "")
    shown = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 12 else None
    seen = [i for i in session.get(RECENT_KEY, []) if isinstance(i, int) and i != shown]
    recent = catalog.cards_by_id(seen[:RECENT_KEPT])
    response = render("catalog/_recently_viewed.html", recent=recent,
                      above=below_product.render(shown) if shown is not None else "",
                      recent_stock=catalog.stock_by_product(recent))
    response.headers["Cache-Control"] = "private, no-store"
    return response


# ---- helpers --------------------------------------------------------------------------------

def _wants_fragment() -> bool:
    return bool(request.htmx) and not request.htmx.boosted


def _locale() -> str:
    return current_language()


def absolute_url(path: str) -> str:
    """A full URL for canonical links and shared pictures: PUBLIC_URL when set (a forged
    Host header must not end up in a page a cache keeps), else the request's own host."""
    base = current_app.config.get("PUBLIC_URL") or request.host_url
    if path.startswith("/") and not path.startswith("//"):
        # What urljoin gives for a path from the root (a page has several), for less.
        return _origin(base) + path
    return urljoin(base.rstrip("/") + "/", path)


@functools.lru_cache(maxsize=64)
def _origin(base: str) -> str:
    """scheme://host[:port] of `base`: a path from the root replaces whatever path it has."""
    parts = urlsplit(base)
    return f"{parts.scheme}://{parts.netloc}"


def _chosen_variant(active: list[Variant], raw: str) -> Variant | None:
    if raw.isascii() and raw.isdigit() and len(raw) < 12:
        for v in active:
            if v.id == int(raw):
                return v
    return active[0] if active else None


def _image_for(item: Product, variant: Variant | None):
    """The variant's own picture if it has one, else the product's first."""
    if variant is not None:
        for image in item.images:
            if image.variant_id == variant.id:
                return image
    return item.images[0] if item.images else None


def _remember_viewed(product_id: int) -> None:
    """Keep the last products seen in the session, newest first. Seeing the newest again
    changes nothing: the session (and its cookie) is left as it is."""
    before = session.get(RECENT_KEY, [])
    seen = [i for i in before if isinstance(i, int) and i != product_id]
    after = [product_id, *seen][:RECENT_KEPT + 1]
    if after != before:
        session[RECENT_KEY] = after


def _summary(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1].rsplit(" ", 1)[0] + "…"


def _product_json_ld(item: Product, active: list[Variant], units: dict[int, int], url: str,
                     pictures: list[str]) -> dict:
    """schema.org Product for search engines; the template writes it with |tojson. `url`:
    the page's canonical address; `pictures`: its pictures' full addresses."""
    locale = _locale()
    offers = []
    for v in active:
        offer = {"@type": "Offer", "sku": v.sku, "priceCurrency": "LKR",
                 "price": f"{v.price_cents // 100}.{v.price_cents % 100:02d}", "url": url}
        if not item.is_service:
            offer["availability"] = ("https://schema.org/InStock" if units.get(v.id, 0) > 0
                                     else "https://schema.org/OutOfStock")
        offers.append(offer)
    data = {"@context": "https://schema.org", "@type": "Product",
            "name": item.text("name", locale), "url": url,
            "description": item.text("description", locale), "offers": offers}
    if pictures:
        data["image"] = pictures
    if item.brand:
        data["brand"] = {"@type": "Brand", "name": item.brand}
    if len(active) == 1:
        data["sku"] = active[0].sku
    return data
