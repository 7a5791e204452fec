"""Plans: memberships and service packages customers pay for every period ("Kade Plus", "4
home-cleaning visits a month"), their subscriptions, and the benefits a member gets through
the pricing pipeline while the subscription is active or in its grace period.

`init_app` plugs the plan benefits into the pricing pipeline once per process.
"""

from __future__ import annotations


def init_app(app) -> None:
    from app.checkout import pricing
    from app.orders import signals
    from app.payments import services as payments
    from app.plans import benefits, payhere_flow

    # Before the promotions: a member price is the price promotions then work from.
    pricing.register_rule(benefits.RULE)
    # An order never carried out (cancelled, or refunded in full before it was sent).
    signals.order_withdrawn.connect(_give_back_visits, weak=False)
    # PayHere's notifications about plans come to the shop's one notification address.
    payments.route_payhere_notifications(payhere_flow.PREFIX, payhere_flow.record)


def _give_back_visits(order_number: str, **_) -> None:
    from app.plans import services

    services.give_back_credits(order_number)
