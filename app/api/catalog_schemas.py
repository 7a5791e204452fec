"""Query strings and answers of the catalogue routes (/categories, /products), as pydantic
models; the OpenAPI document is made from them.

Money is `{"amount_cents": 125000, "currency": "LKR"}`, and the price filters take integer
cents too (`min_price=100000` is Rs 1,000.00), so a client never converts between rupees in
one place and cents in another. Stock is told as an availability word, not a count of units:
a shopper needs to know whether to hurry, and a competitor does not need our stock levels.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints as Text

from app.api.pagination import Page, PageQuery
from app.api.schemas import NO_CONTROLS_PATTERN, Output, Timestamp, _no_control_characters

CURRENCY = "LKR"
# The largest price a variant can hold (the column is a 32-bit integer): Rs 21,474,836.47.
MAX_CENTS = 2**31 - 1
SEARCH_MAX = 200
SLUG_MAX = 120
# At most this many units left (over every warehouse) is "low".
LOW_STOCK_UNITS = 5
SORTS = ("relevance", "newest", "price_asc", "price_desc", "name")

Availability = Literal["in_stock", "low", "sold_out"]
Kind = Literal["product", "service"]
ServiceLocation = Literal["address", "shop", "online"]
Sort = Literal[SORTS]


def availability(units: int) -> str:
    """The availability word for `units` available to sell."""
    if units <= 0:
        return "sold_out"
    return "low" if units <= LOW_STOCK_UNITS else "in_stock"


def _drop_null_defaults(schema: dict[str, Any]) -> None:
    # A parameter left out is simply not filtered on; `null` is not a value to send.
    for prop in schema.get("properties", {}).values():
        if "default" in prop and prop["default"] is None:
            del prop["default"]


def _slug(max_length: int, *examples: str):
    # Slugs are looked up, never stored, so any text is fine; control characters are refused
    # because PostgreSQL cannot even compare a string holding NUL.
    return Annotated[str, Text(min_length=1, max_length=max_length),
                     AfterValidator(_no_control_characters),
                     Field(json_schema_extra={"pattern": NO_CONTROLS_PATTERN},
                           examples=list(examples))]


ProductSlug = _slug(SLUG_MAX, "ceylon-black-tea-leaves", "home-deep-cleaning")
CategorySlug = _slug(80, "groceries")
Cents = Annotated[int, Field(ge=0, le=MAX_CENTS)]


# Query strings

class ProductQuery(PageQuery):
    """The query string of GET /products. Every filter is optional; they all apply at once."""

    model_config = ConfigDict(extra="ignore", json_schema_extra=_drop_null_defaults)

    q: Annotated[str, Text(strip_whitespace=True, max_length=SEARCH_MAX),
                 AfterValidator(_no_control_characters),
                 Field(description="Words to search for in names (English, Sinhala, Tamil) "
                                   "and brands; typos are forgiven. Empty or left out: no "
                                   "search. At most the 1000 best matches are listed.",
                       json_schema_extra={"pattern": NO_CONTROLS_PATTERN},
                       examples=["tea"])] = None
    category: CategorySlug = Field(None, description="A category's slug; its sub-categories "
                                                     "are included. 404 when no active "
                                                     "category has this slug.")
    kind: Kind = Field(None, description="Only products (with stock) or only services "
                                         "(booked).")
    min_price: Cents = Field(None, description="The lowest price, in integer cents of LKR "
                                               "(100000 = Rs 1,000.00), against the "
                                               "product's lowest variant price.")
    max_price: Cents = Field(None, description="The highest price, in integer cents of LKR. "
                                               "Below min_price: no items.")
    in_stock: bool = Field(False, description="Only what can be bought now: products with a "
                                              "unit available, and services.")
    sort: Sort = Field(None, description="`relevance` (the default with `q`; without `q` it "
                                         "is `newest`), `newest` (the default without `q`), "
                                         "`price_asc`, `price_desc`, `name` (English).")


class ProductPath(BaseModel):
    slug: ProductSlug


# Answers

class Money(Output):
    amount_cents: int = Field(description="Integer cents: 125000 is Rs 1,250.00.")
    currency: Literal["LKR"]

    @classmethod
    def of(cls, cents: int | None) -> Money | None:
        return None if cents is None else cls(amount_cents=cents, currency=CURRENCY)


class CategoryRef(Output):
    id: int
    slug: str
    name: str = Field(description="In the language of Accept-Language (English when it has "
                                  "no translation).")


class CategoryNode(Output):
    """A category with its active sub-categories, in display order."""

    id: int
    slug: str
    name: str = Field(description="In the language of Accept-Language (English when it has "
                                  "no translation).")
    children: list[CategoryNode]


class CategoryTreeOut(Output):
    """The active categories: the top level, each with its sub-categories."""

    items: list[CategoryNode]


class ImageOut(Output):
    url: str = Field(description="Absolute URL of the picture (at most 1600 px).",
                     json_schema_extra={"format": "uri"})
    thumbnail_url: str = Field(description="Absolute URL of a 400 px version.",
                               json_schema_extra={"format": "uri"})
    width: int
    height: int
    alt: str | None
    variant_id: int | None = Field(description="The variant it shows, when it shows one.")


class ProductCard(Output):
    """A product or service as a list shows it."""

    id: int
    slug: str
    kind: Kind
    name: str = Field(description="In the language of Accept-Language, English fallback.")
    price: Money = Field(description="The lowest price of its variants.")
    compare_at_price: Money | None = Field(description="The cheapest variant's price before "
                                                       "a sale, when it is on sale.")
    availability: Availability = Field(description="Over all its variants: `sold_out` (no "
                                                   "unit), `low` (at most 5 units) or "
                                                   "`in_stock`. Services are `in_stock`.")
    duration_minutes: int | None = Field(description="Services only: how long it takes.")
    category: CategoryRef | None
    image: ImageOut | None = Field(description="The first picture.")


class ProductPage(Page[ProductCard]):
    """One page of published products."""


class VariantOut(Output):
    id: int = Field(description="What a cart line names (`variant_id`).")
    sku: str
    name: str = Field(description="Its options joined (`500 g`, `M / Red`), else the SKU.")
    options: dict[str, str] = Field(
        examples=[{"size": "M"}],
        description="Names and values in the language of Accept-Language where staff "
                    "translated them, else in English.")
    price: Money
    compare_at_price: Money | None = Field(description="The price before a sale, when on "
                                                       "sale.")
    availability: Availability = Field(description="`sold_out`, `low` (at most 5 units) or "
                                                   "`in_stock`. Services are `in_stock`.")


class AttributeOut(Output):
    name: str
    value: str = Field(description="As filters take it (`attr_colour=red`), in English.")
    label: str = Field(description="The value to show, in the language of Accept-Language "
                                   "where staff translated it, else the English value.")


class SlotOut(Output):
    id: int
    starts_at: Timestamp
    ends_at: Timestamp
    free: int = Field(description="Bookings still possible in this slot.")


class ProductOut(Output):
    """A published product or service, with everything its page shows."""

    id: int
    slug: str
    kind: Kind
    name: str = Field(description="In the language of Accept-Language, English fallback.")
    description: str = Field(description="Plain text, in the language of Accept-Language, "
                                         "English fallback.")
    brand: str | None
    category: CategoryRef | None
    price: Money = Field(description="The lowest price of its variants.")
    compare_at_price: Money | None = Field(description="The cheapest variant's price before "
                                                       "a sale, when it is on sale.")
    availability: Availability = Field(description="Over all its variants.")
    variants: list[VariantOut] = Field(description="The buyable variants, in display order.")
    images: list[ImageOut]
    attributes: list[AttributeOut]
    duration_minutes: int | None = Field(description="Services only: how long it takes.")
    service_location: ServiceLocation | None = Field(
        default=None, description="Services only: where it happens. `address`: at the "
        "customer's address (checkout needs an address in one of `service_districts`); "
        "`shop`: at the shop; `online`.")
    service_districts: list[str] = Field(
        default_factory=list, description="Services at the customer's address: the district "
        "codes served (as in the address's `district`); empty otherwise.")
    next_slots: list[SlotOut] = Field(description="Services only: the next bookable times "
                                                  "(at most 6) with room left; empty for "
                                                  "products.")
    published_at: Timestamp | None
