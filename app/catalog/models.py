"""The catalog. Names and descriptions are kept in English, Sinhala and Tamil side by side
(three columns, not a translation table): the set of languages is fixed, and one row per
product keeps listings and full-text indexes simple. Missing translations fall back to
English (`Translated.text`)."""

from __future__ import annotations

import datetime as dt
import unicodedata

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from app.db import Base, UTCDateTime, utc_now, utcnow

LANGS = ("en", "si", "ta")


class InLanguages:
    """Mixin for anything with `<field>_en`, `_si`, `_ta` attributes (models, and the plain
    values pages read: cards, the category tree, a product page): `obj.text("name", "si")`
    is the Sinhala name, or the English one if empty."""

    __slots__ = ()

    def text(self, field: str, locale: str = "en") -> str:
        if locale in LANGS and locale != "en":
            value = getattr(self, f"{field}_{locale}", None)
            if value:
                return value
        return getattr(self, f"{field}_en") or ""


class Translated(InLanguages):
    """Mixin for models with texts in three languages.

    Texts are stored in Unicode NFC: a Sinhala or Tamil vowel sign can be typed as one code
    point or as two, and search compares code points, so both spellings must be one."""

    @validates("name_en", "name_si", "name_ta", "description_en", "description_si",
               "description_ta")
    def _composed(self, _key, value):
        return unicodedata.normalize("NFC", value) if isinstance(value, str) else value


class OptionLabels:
    """Mixin for a variant's options as shoppers read them (the Variant model, and a product
    page's plain variants): needs `options`, `options_si`, `options_ta` and `sku`."""

    __slots__ = ()

    def options_in(self, locale: str = "en") -> dict[str, str]:
        """The options in `locale`: the Sinhala or Tamil pairs when staff gave them, else the
        English ones. A translation that no longer matches the English (an option added or
        removed since) is not used: showing English beats showing the wrong pair."""
        options = self.options or {}
        if locale in ("si", "ta"):
            translated = getattr(self, f"options_{locale}", None)
            if translated and len(translated) == len(options):
                return dict(translated)
        return dict(options)

    def label(self, locale: str = "en") -> str:
        return " / ".join(str(v) for v in self.options_in(locale).values()) or self.sku

    def options_text(self, locale: str = "en") -> str:
        """"Size: L, Colour: Red" in `locale`: what a cart line and an order line show."""
        return ", ".join(f"{name}: {value}" for name, value in self.options_in(locale).items())


class ProductKind:
    """Mixin: what a product's `kind` and `service_location` say (the Product model, and a
    product page's plain value)."""

    __slots__ = ()

    @property
    def is_service(self) -> bool:
        return self.kind == "service"

    @property
    def at_customer_address(self) -> bool:
        return self.kind == "service" and self.service_location == "address"


class Category(Translated, Base):
    __tablename__ = "catalog_category"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("catalog_category.id", ondelete="RESTRICT"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    name_en: Mapped[str] = mapped_column(String(120))
    name_si: Mapped[str | None] = mapped_column(String(120))
    name_ta: Mapped[str | None] = mapped_column(String(120))
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[utc_now]
    # Any change to the row (name, place in the tree, shown or hidden): the pages that show
    # categories (breadcrumbs, a listing's sub-categories) tell a browser's copy is stale by
    # the newest of these (app/catalog/versions.py).
    updated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=utcnow,
                                                           onupdate=utcnow)

    parent: Mapped[Category | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Category]] = relationship(back_populates="parent",
                                                    order_by="Category.position")


class Product(ProductKind, Translated, Base):
    """A physical product (kind "product", with stock) or a service (kind "service": a
    duration, optional booking slots, no stock)."""

    __tablename__ = "catalog_product"
    __table_args__ = (
        CheckConstraint("kind IN ('product', 'service')", name="kind_known"),
        CheckConstraint("status IN ('draft', 'published', 'archived')", name="status_known"),
        Index("ix_catalog_product_listing", "status", "category_id", "kind"),
        # "Newest first" is the default listing: this index, read backwards, gives published
        # products in that order and spares the database a sort of every product.
        Index("ix_catalog_product_newest", "published_at", "id",
              postgresql_where=text("status = 'published'"),
              sqlite_where=text("status = 'published'")),
        # The home page's featured shelf: a thousand featured among 100 000 products were
        # found by walking the newest index past thousands that are not.
        Index("ix_catalog_product_featured", "published_at", "id",
              postgresql_where=text("status = 'published' AND is_featured"),
              sqlite_where=text("status = 'published' AND is_featured")),
        # The newest change among a category's products, and among all: what a listing's
        # ETag is made of (app/catalog/versions.py), read from the index alone.
        Index("ix_catalog_product_category_changes", "category_id", "updated_at"),
        Index("ix_catalog_product_updated_at", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[str] = mapped_column(String(10), default="product")
    status: Mapped[str] = mapped_column(String(10), default="draft")
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("catalog_category.id", ondelete="SET NULL"), index=True)
    name_en: Mapped[str] = mapped_column(String(200))
    name_si: Mapped[str | None] = mapped_column(String(200))
    name_ta: Mapped[str | None] = mapped_column(String(200))
    description_en: Mapped[str] = mapped_column(Text, default="")
    description_si: Mapped[str | None] = mapped_column(Text)
    description_ta: Mapped[str | None] = mapped_column(Text)
    brand: Mapped[str | None] = mapped_column(String(80))
    is_featured: Mapped[bool] = mapped_column(default=False)
    duration_minutes: Mapped[int | None]  # services only
    # Services only: where it happens. "address": at the customer's address, in one of
    # `service_districts` (district codes, app/accounts/districts.py); "shop": at the shop;
    # "online". Checkout asks for an address for "address" services and refuses a district
    # the service does not cover. No CHECK constraint: adding one makes SQLite rebuild the
    # table, which drops the search index's triggers; the catalog services check it.
    service_location: Mapped[str | None] = mapped_column(String(10))
    service_districts: Mapped[list | None] = mapped_column(JSON)
    # Lowest active variant price, kept by the services: listings sort and filter on it
    # without a join.
    min_price_cents: Mapped[int] = mapped_column(default=0, index=True)
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)
    created_at: Mapped[utc_now]
    # Set by every write of what its page or card shows: its own fields, its variants,
    # pictures and attributes (app/catalog/editing.py, pictures.py, imports.py). Product
    # pages and listings answer conditional requests by it (app/catalog/versions.py).
    updated_at: Mapped[utc_now]

    category: Mapped[Category | None] = relationship()
    variants: Mapped[list[Variant]] = relationship(
        back_populates="product", cascade="all, delete-orphan", order_by="Variant.position")
    images: Mapped[list[ProductImage]] = relationship(
        back_populates="product", cascade="all, delete-orphan", order_by="ProductImage.position")
    attributes: Mapped[list[ProductAttribute]] = relationship(
        back_populates="product", cascade="all, delete-orphan")
    slots: Mapped[list[ServiceSlot]] = relationship(
        back_populates="product", cascade="all, delete-orphan", order_by="ServiceSlot.starts_at")


class Variant(OptionLabels, Base):
    """One buyable thing: its own SKU, price and options (e.g. {"size": "M"})."""

    __tablename__ = "catalog_variant"
    __table_args__ = (
        CheckConstraint("price_cents >= 0", name="price_not_negative"),
        CheckConstraint("compare_at_cents IS NULL OR compare_at_cents >= 0",
                        name="compare_at_not_negative"),
        CheckConstraint("cost_cents IS NULL OR cost_cents >= 0", name="cost_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(
        ForeignKey("catalog_product.id", ondelete="CASCADE"), index=True)
    sku: Mapped[str] = mapped_column(String(64), unique=True)
    options: Mapped[dict] = mapped_column(JSON, default=dict)
    # The same options in Sinhala and Tamil: as many pairs as `options`, in the same order
    # (the n-th pair translates the n-th), or None where staff have not translated them.
    options_si: Mapped[dict | None] = mapped_column(JSON)
    options_ta: Mapped[dict | None] = mapped_column(JSON)
    price_cents: Mapped[int]
    compare_at_cents: Mapped[int | None]
    # What the shop paid for one unit, so reports can value stock at cost; None where staff
    # have not said, which a report must not take for free. Staff only: never on a shopper's
    # page, card or the public API.
    cost_cents: Mapped[int | None]
    weight_grams: Mapped[int | None]
    barcode: Mapped[str | None] = mapped_column(String(32))
    position: Mapped[int] = mapped_column(default=0)
    is_active: Mapped[bool] = mapped_column(default=True)

    product: Mapped[Product] = relationship(back_populates="variants")

    @validates("options", "options_si", "options_ta")
    def _composed_options(self, key, value):
        """NFC, as Translated does for names; an empty translation is none (English shows)."""
        if not value:
            return {} if key == "options" else None
        return {unicodedata.normalize("NFC", str(k)): unicodedata.normalize("NFC", str(v))
                for k, v in value.items()}


class ProductImage(Base):
    """An uploaded picture, stored through app.storage under `key`; thumbnails beside it."""

    __tablename__ = "catalog_image"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(
        ForeignKey("catalog_product.id", ondelete="CASCADE"), index=True)
    variant_id: Mapped[int | None] = mapped_column(
        ForeignKey("catalog_variant.id", ondelete="SET NULL"))
    key: Mapped[str] = mapped_column(String(200))
    width: Mapped[int]
    height: Mapped[int]
    position: Mapped[int] = mapped_column(default=0)
    alt_en: Mapped[str | None] = mapped_column(String(200))

    product: Mapped[Product] = relationship(back_populates="images")


class ValueInLanguages:
    """Mixin: an attribute's value as a shopper reading `locale` sees it (`value`, with
    `value_si`, `value_ta` where staff translated it)."""

    __slots__ = ()

    def value_in(self, locale: str = "en") -> str:
        if locale in ("si", "ta"):
            return getattr(self, f"value_{locale}", None) or self.value
        return self.value


class ProductAttribute(ValueInLanguages, Base):
    """A filterable fact about a product: ("colour", "red"), ("material", "cotton")."""

    __tablename__ = "catalog_product_attribute"
    __table_args__ = (
        UniqueConstraint("product_id", "name", "value", name="one_value_once"),
        Index("ix_catalog_product_attribute_lookup", "name", "value"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(
        ForeignKey("catalog_product.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(40))
    value: Mapped[str] = mapped_column(String(80))
    # The value in Sinhala and Tamil ("red" → "රතු"); filters and links keep the English
    # value, shoppers read these. The name is translated by the shop's labels (size, colour).
    value_si: Mapped[str | None] = mapped_column(String(80))
    value_ta: Mapped[str | None] = mapped_column(String(80))

    product: Mapped[Product] = relationship(back_populates="attributes")

    @validates("value_si", "value_ta")
    def _composed(self, _key, value):
        return unicodedata.normalize("NFC", value) if value else None



class FacetCount(Base):
    """How many published products of one category (directly in it, not below) have an
    attribute value: the filter panel's counts for a category page, summed over its tree,
    without counting thousands of products per request. Kept by app.catalog.facet_counts
    whenever a product's status, category or attributes change; `category_id` None counts
    the products in no category."""

    __tablename__ = "catalog_facet_count"
    __table_args__ = (Index("ix_catalog_facet_count_category", "category_id", "name", "value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("catalog_category.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(40))
    value: Mapped[str] = mapped_column(String(80))
    products: Mapped[int]


class ServiceSlot(Base):
    """A bookable time of a service, with room for `capacity` bookings."""

    __tablename__ = "catalog_service_slot"
    __table_args__ = (
        CheckConstraint("capacity >= 0", name="capacity_not_negative"),
        CheckConstraint("booked >= 0 AND booked <= capacity", name="booked_within_capacity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(
        ForeignKey("catalog_product.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    capacity: Mapped[int] = mapped_column(default=1)
    booked: Mapped[int] = mapped_column(default=0)

    product: Mapped[Product] = relationship(back_populates="slots")

    @property
    def free(self) -> int:
        return self.capacity - self.booked


class CatalogImport(Base):
    """One CSV import: its progress (polled by the page) and its row errors. The database
    holds the state, so a page can follow a job that runs in any worker process."""

    __tablename__ = "catalog_import"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None]
    filename: Mapped[str] = mapped_column(String(200))
    file_key: Mapped[str] = mapped_column(String(200))  # the uploaded file, in storage
    status: Mapped[str] = mapped_column(String(10), default="queued")  # queued|running|done|failed
    total_rows: Mapped[int] = mapped_column(default=0)
    done_rows: Mapped[int] = mapped_column(default=0)
    errors: Mapped[list] = mapped_column(JSON, default=list)  # [{"row": 12, "message": ...}]
    created_at: Mapped[utc_now]
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
