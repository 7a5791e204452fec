"""Promotions and vouchers: automatic discounts, codes, bundles and free delivery.

`init_app` plugs the engine into the pricing pipeline once per process and has withdrawn
orders (cancelled, or refunded in full before they were sent) give their promotions' uses
back.
"""

from __future__ import annotations


def init_app(app) -> None:
    from app import revalidation
    from app.checkout import pricing
    from app.orders import signals
    from app.promotions import badges, engine

    pricing.register_rule(engine.RULE)
    # An order never carried out (cancelled, or refunded in full before it was sent).
    signals.order_withdrawn.connect(_give_back, weak=False)
    # Product cards and pages show badges: their ETags follow the promotions shown.
    revalidation.add_page_part(app, badges.version)


def _give_back(order_number: str, **_) -> None:
    from app.promotions import vouchers

    vouchers.release(order_number)
