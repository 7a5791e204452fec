"""What the cart announces to other domains (blinker signals, sent after the change).

Recommendations listens to note cart adds; the cart does not know who listens, so checkout
never imports them."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# A shopper on the web put something in their cart. Sent after the add committed, in the
# request (a receiver may read who asks); keyword arguments: variant_id, quantity.
# Receivers must never raise or slow the page.
item_added = _signals.signal("cart-item-added")
