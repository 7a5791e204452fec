"""What checkout tells the domains below it, at create_app: the catalog's product pages state
the delivery promise (fees, free delivery, cash on delivery) that checkout's delivery options
make; the catalog cannot ask checkout itself, since checkout prices from the catalog."""

from __future__ import annotations

from app.catalog import services as catalog
from app.checkout import delivery

catalog.promise_delivery_with(delivery.promise)
