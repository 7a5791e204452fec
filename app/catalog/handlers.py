"""What the catalog tells the domains below it, at create_app: inventory names variants
(checks an id, lists staff's stock rows) with the catalog's own select."""

from __future__ import annotations

from app.catalog import services as catalog
from app.inventory import services as inventory

inventory.name_variants_with(catalog.variant_labels)
