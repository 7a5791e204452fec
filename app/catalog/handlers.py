"""What the catalog sets up at create_app: inventory names variants (checks an id, lists
staff's stock rows) with the catalog's own select, and sessions keep the facet counts."""

from __future__ import annotations

from app.catalog import facet_counts, services as catalog
from app.db import AppSession
from app.inventory import services as inventory

inventory.name_variants_with(catalog.variant_labels)

# The filter panel's counts per category follow every change made through a session.
facet_counts.keep_counts(AppSession)
