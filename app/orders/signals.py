"""What orders announce to other domains, in the transaction of the change.

A blinker signal, sent inside the order's transaction: a receiver's writes commit or roll
back with the change (promotions give a withdrawn order's uses back). Messages to people go
through the outbox instead; these are for bookkeeping that must not drift from the order.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# sender: the order number. Receivers must not commit.
order_cancelled = _signals.signal("order-cancelled")
# The order will never be carried out: cancelled, or refunded in full before anything was
# sent. Orders put back its stock and booked times; receivers give back what else it held
# (a plan's visits, a promotion's uses). Sent before order_cancelled for a cancel.
order_withdrawn = _signals.signal("order-withdrawn")
