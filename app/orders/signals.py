"""What orders announce to other domains, in the transaction of the change.

A blinker signal, sent inside the order's transaction: a receiver's writes commit or roll
back with the change (promotions give a cancelled order's uses back). Messages to people go
through the outbox instead; these are for bookkeeping that must not drift from the order.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# sender: the order number. Receivers must not commit.
order_cancelled = _signals.signal("order-cancelled")
