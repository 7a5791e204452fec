"""The shop taking orders while a drill runs: a thread placing guest orders one after
another, each in its own app context and transaction, recording when each commit returned.
After the database is destroyed and restored, `lost_window` tells how much was lost."""

from __future__ import annotations

import datetime as dt
import threading

from app.db import utcnow


class OrderLoop:
    def __init__(self, app, pause: float = 0.05):
        self.app = app
        self.pause = pause
        self.placed: list[tuple[str, dt.datetime]] = []  # (order number, committed at UTC)
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="order-loop")

    def __enter__(self) -> OrderLoop:
        from tests.checkout.factories import starter_delivery, stocked

        with self.app.app_context():
            starter_delivery()
            self.variant = stocked("Drill tea", units=1_000_000)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        from app import db
        from tests.checkout.factories import place_guest_order

        while not self._stop.is_set():
            with self.app.app_context():
                try:
                    order = place_guest_order(self.variant)
                    self.placed.append((order.number, utcnow()))
                except Exception as exc:  # the database vanishing mid-drill is expected
                    self.errors.append(type(exc).__name__)
                finally:
                    db.session.remove()
            self._stop.wait(self.pause)

    def committed_before(self, moment: dt.datetime) -> set[str]:
        return {number for number, at in self.placed if at <= moment}


def lost_window(loop: OrderLoop, present: set[str]) -> dt.timedelta:
    """Wall time between the first order missing after the restore and the last order
    placed: how much of the shop's work the restore lost (zero when nothing was lost)."""
    missing = [at for number, at in loop.placed if number not in present]
    if not missing:
        return dt.timedelta(0)
    return loop.placed[-1][1] - min(missing)
