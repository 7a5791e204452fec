"""What other areas show under a product page, in the visitor's own fragment that htmx fetches
once the page is there (catalog.views.recently_viewed): one request for all of them, so a
first visit pays one set of headers, not one per area.

An area registers a function of the product's id that returns Markup (its own template's
output) or "" and records what it needs to; the catalog never imports the areas
(recommendations register "Often bought together" and note the view). A provider that fails
is left out, never the page."""

from __future__ import annotations

import logging
from collections.abc import Callable

from markupsafe import Markup

log = logging.getLogger(__name__)

Provider = Callable[[int], Markup | str]
_providers: list[Provider] = []


def register(provider: Provider) -> None:
    if provider not in _providers:
        _providers.append(provider)


def render(product_id: int) -> Markup:
    parts = []
    for provider in _providers:
        try:
            parts.append(provider(product_id))
        except Exception:  # noqa: BLE001 — an extra below the page never breaks it
            log.warning("below_product_failed", exc_info=True)
    return Markup("").join(part for part in parts if part)  # a plain str is escaped
