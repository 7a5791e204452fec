"""What checkout tells the domains below it, at create_app: the catalog's product pages state
the delivery promise (fees, free delivery, cash on delivery) that checkout's delivery options
make; the catalog cannot ask checkout itself, since checkout prices from the catalog. And the
signed-in customer's lookup (accounts) reads the units in their open cart along, for the
header's badge on every page, so a signed-in page costs one query for both."""

from __future__ import annotations

from app.accounts import read_along
from app.catalog import services as catalog
from app.checkout import cart, delivery

catalog.promise_delivery_with(delivery.promise)
read_along.register(cart.CART_UNITS, cart.open_cart_units)
