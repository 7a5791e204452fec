"""Checkouts that race: each cart checked out at the same instant by its own shopper, in its
own thread, app context, session and database connection, through the service the pages and
the API call. Shared by the no-oversell and the promotion-limit races."""

from __future__ import annotations

import threading
from collections.abc import Callable

from app import db
from app.checkout.models import Cart
from app.checkout.services import Contact, place_order
from tests.checkout.factories import guest_choices


def checkouts_at_once(app, cart_ids: list[int], outcome_of: Callable[[Exception], str],
                      *, phone_prefix: str = "0771",
                      placed_by: dict[int, Callable[[int], object]] | None = None) -> list[str]:
    """Check every cart out at once; returns "ordered" for each order placed, and for each
    refusal what `outcome_of(error)` names it. Each shopper has a mobile number of their own
    (one number placing them all would meet the per-phone checkout limit). `placed_by`
    names another way to place some carts (cart id -> a function of the id: a staff draft
    placed from the desk)."""
    start = threading.Barrier(len(cart_ids), timeout=60)
    outcomes: list[str] = []
    record = threading.Lock()

    def shop(cart_id: int) -> None:
        shopper = Contact(name="Race Shopper", email=f"race{cart_id}@example.lk",
                          phone=f"{phone_prefix}{cart_id:06d}")
        with app.app_context():
            cart = db.session.get(Cart, cart_id)
            cart.lines  # noqa: B018 — loaded now, so the race below is only the checkout
            db.session.commit()  # hand the connection back while waiting for the others
            start.wait()
            try:
                if placed_by and cart_id in placed_by:
                    placed_by[cart_id](cart_id)
                else:
                    place_order(cart, guest_choices(contact=shopper))
                outcome = "ordered"
            except Exception as error:  # named by the test; anything else it must show
                outcome = outcome_of(error)
            finally:
                db.session.remove()
            with record:
                outcomes.append(outcome)

    threads = [threading.Thread(target=shop, args=(cart_id,)) for cart_id in cart_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes
