"""The shop's pages and its details. Neither holds personal data: plain columns."""

from __future__ import annotations

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utc_now

MAX_TITLE = 120
MAX_BODY = 20_000
LOCALES = ("en", "si", "ta")


class Page(Base):
    """One of the shop's pages (its `slug` one of services.SLUGS), per language. English is
    required; a missing Sinhala or Tamil text shows the English one."""

    __tablename__ = "content_page"
    __table_args__ = (UniqueConstraint("slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40))
    title_en: Mapped[str] = mapped_column(String(MAX_TITLE))
    title_si: Mapped[str | None] = mapped_column(String(MAX_TITLE))
    title_ta: Mapped[str | None] = mapped_column(String(MAX_TITLE))
    body_en: Mapped[str] = mapped_column(Text)
    body_si: Mapped[str | None] = mapped_column(Text)
    body_ta: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[utc_now]
    updated_by: Mapped[int | None]


class ShopDetails(Base):
    """The shop's own details, one row (id 1). An empty field falls back: a Sinhala or Tamil
    address or hours to the English one, anything else to its setting (SHOP_NAME …)."""

    __tablename__ = "content_shop_details"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str | None] = mapped_column(String(80))
    address_en: Mapped[str | None] = mapped_column(Text)
    address_si: Mapped[str | None] = mapped_column(Text)
    address_ta: Mapped[str | None] = mapped_column(Text)
    hotline: Mapped[str | None] = mapped_column(String(16))  # E.164
    whatsapp: Mapped[str | None] = mapped_column(String(16))  # E.164, a mobile number
    email: Mapped[str | None] = mapped_column(String(254))
    hours_en: Mapped[str | None] = mapped_column(Text)
    hours_si: Mapped[str | None] = mapped_column(Text)
    hours_ta: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[utc_now]
    updated_by: Mapped[int | None]
