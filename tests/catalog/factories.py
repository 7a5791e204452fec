"""Catalog test data, made through the catalog's own write services."""

from __future__ import annotations

import itertools

from app.catalog import editing, inputs

_seq = itertools.count(1)


def make_category(slug: str, *, parent: str | None = None, name: str | None = None):
    return editing.create_category(slug, name or slug.title(), parent_slug=parent)


def make_product(name: str, *, price_cents: int = 1000_00, status: str = "published",
                 category: str | None = None, kind: str = "product", sku: str | None = None,
                 attributes: dict | None = None, name_si: str | None = None,
                 name_ta: str | None = None, variants: list | None = None,
                 service_location: str = "shop", service_districts: tuple[str, ...] = ()):
    n = next(_seq)
    return editing.create_product(inputs.ProductInput(
        name_en=name, name_si=name_si, name_ta=name_ta, kind=kind, status=status,
        service_location=service_location, service_districts=tuple(service_districts),
        category_slug=category, attributes=attributes or {},
        duration_minutes=60 if kind == "service" else None,
        variants=variants or [inputs.VariantInput(sku=sku or f"T-{n:05d}",
                                                  price_cents=price_cents)]))
