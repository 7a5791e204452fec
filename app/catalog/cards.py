"""Product cards: what a listing, search results, the home page and recently viewed show of
each product, read as plain rows rather than ORM objects.

A page of 24 cards costs two queries whatever it shows: the products' few columns, then their
active variants with the units each has to sell (prices and stock) together with their
pictures. No identity map, no relationship loaders, no lazy load a template could set off:
a card is a frozen value, and so is everything in it.

A card is duck-typed like the Product model where templates, badges and the API read it:
`id`, `slug`, `kind`, `is_service`, `text("name", locale)`, `min_price_cents`,
`duration_minutes`, `category_id`, `category` (a category_tree.Node), `variants` (the active
ones, by position: `id`, `price_cents`, `compare_at_cents`, `position`, `is_active`) and
`images` (the first picture, if any: `key`, `width`, `height`, `alt_en`, `variant_id`).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Integer, String, bindparam, literal, select, text, union_all

from app import db, prepared
from app.catalog import category_tree
from app.catalog.models import (
    InLanguages,
    OptionLabels,
    Product,
    ProductImage,
    ProductKind,
    Variant,
)
from app.inventory import services as inventory

_product, _variant, _image = (m.__table__.c for m in (Product, Variant, ProductImage))

# What a card reads of a product: listings select exactly these (and sort on them). Core
# columns, as in every statement here: an ORM-enabled select costs twice the CPU to run.
CARD_COLUMNS = (_product.id, _product.slug, _product.kind, _product.name_en, _product.name_si,
                _product.name_ta, _product.min_price_cents, _product.duration_minutes,
                _product.category_id)

# The statements below are built once: only the bound ids change (a statement built per
# request cost more CPU than running it).
#
# The cards' active variants with their units, and their pictures, in one statement (one
# round trip): a row is (part, product id, position, id, the variant's price, compare-at
# price and units, the picture's key, width, height, alt text and variant), the other
# part's columns NULL; each part by product, position and id.
_VARIANT_PART, _PICTURE_PART = 0, 1
_VARIANTS_AND_PICTURES = union_all(
    select(literal(_VARIANT_PART).label("part"), _variant.product_id.label("product_id"),
           _variant.position.label("position"), _variant.id.label("id"),
           _variant.price_cents, _variant.compare_at_cents,
           inventory.units_available(_variant.id).label("units"),
           db.null_of(String).label("key"), db.null_of(Integer).label("width"),
           db.null_of(Integer).label("height"), db.null_of(String).label("alt_en"),
           db.null_of(Integer).label("variant_id"))
    .where(_variant.product_id.in_(bindparam("ids", expanding=True)), _variant.is_active),
    select(literal(_PICTURE_PART), _image.product_id, _image.position, _image.id,
           db.null_of(Integer), db.null_of(Integer), db.null_of(Integer), _image.key, _image.width,
           _image.height, _image.alt_en, _image.variant_id)
    .where(_image.product_id.in_(bindparam("ids", expanding=True))),
).order_by(text("part"), text("product_id"), text("position"), text("id"))
# Published products' card columns by id (recently viewed).
_PUBLISHED = (select(*CARD_COLUMNS)
              .where(_product.id.in_(bindparam("ids", expanding=True)),
                     _product.status == "published"))


@dataclass(frozen=True, slots=True)
class CardVariant:
    id: int
    price_cents: int
    compare_at_cents: int | None
    position: int
    units: int  # available to sell over every warehouse (0 for a service)
    is_active: bool = True  # a card lists active variants only


@dataclass(frozen=True, slots=True)
class Picture:
    """A product's picture as cards, product pages and the API show it."""

    id: int
    key: str
    width: int
    height: int
    alt_en: str | None
    variant_id: int | None


@dataclass(frozen=True, slots=True)
class ProductHead(ProductKind, InLanguages):
    """What every plain value of a product begins with (a product page's, a variant on
    sale's): which product it is, what kind, and its names."""

    id: int
    slug: str
    kind: str
    category_id: int | None
    name_en: str
    name_si: str | None
    name_ta: str | None


@dataclass(frozen=True, slots=True)
class VariantHead(OptionLabels):
    """What every plain value of a variant shoppers buy begins with: which one, its options
    in three languages and its price."""

    id: int
    sku: str
    options: dict
    options_si: dict | None
    options_ta: dict | None
    price_cents: int
    compare_at_cents: int | None


@dataclass(frozen=True, slots=True)
class Card(InLanguages):
    id: int
    slug: str
    kind: str
    name_en: str
    name_si: str | None
    name_ta: str | None
    min_price_cents: int
    duration_minutes: int | None
    category_id: int | None
    variants: tuple[CardVariant, ...]
    images: tuple[Picture, ...]  # the first picture only: all a card shows

    @property
    def is_service(self) -> bool:
        return self.kind == "service"

    @property
    def category(self) -> category_tree.Node | None:
        return category_tree.node(self.category_id)

    @property
    def price_varies(self) -> bool:
        """Its variants do not all cost the same: the card says "From"."""
        return len({v.price_cents for v in self.variants}) > 1

    @property
    def cheapest(self) -> CardVariant | None:
        """The cheapest variant, the first by position among equals."""
        return min(self.variants, key=lambda v: v.price_cents, default=None)

    @property
    def units(self) -> int:
        """Units available over its active variants (0 for a service: it is booked)."""
        return 0 if self.is_service else sum(v.units for v in self.variants)



def cards_of(rows) -> list[Card]:
    """Cards for product rows (CARD_COLUMNS, in that order; the rows in the order wanted):
    two more queries, the variants with their stock and the pictures, for all of them at
    once."""
    rows = list(rows)
    if not rows:
        return []
    variants: dict[int, list[CardVariant]] = {}
    first_image: dict[int, Picture] = {}
    for part, product_id, position, id_, *rest in prepared.rows(
            _VARIANTS_AND_PICTURES, {"ids": [row[0] for row in rows]}):
        if part == _VARIANT_PART:
            price, compare_at, units = rest[:3]
            variants.setdefault(product_id, []).append(
                CardVariant(id_, price, compare_at, position, int(units or 0)))
        elif product_id not in first_image:
            first_image[product_id] = Picture(id_, *rest[3:])
    return [Card(*row, tuple(variants.get(row[0], ())),
                 (first_image[row[0]],) if row[0] in first_image else ())
            for row in rows]


def cards_by_id(ids: list[int]) -> list[Card]:
    """Published products' cards by id, in the order given; ids not published are left out."""
    if not ids:
        return []
    rows = {row[0]: row for row in prepared.rows(_PUBLISHED, {"ids": ids})}
    return cards_of(rows[i] for i in ids if i in rows)


def stock_of(cards: list[Card]) -> dict[int, int]:
    """{product id: units available over its active variants}: a ProductPage's `stock`."""
    return {card.id: sum(v.units for v in card.variants) for card in cards}
