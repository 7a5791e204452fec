"""How recommendations react to events, and what they ask of accounts: a customer's order
becomes purchase events (one per product line) and leaves their "buy again" and "for you"
lists (the cheap update until the nightly job), and an erased customer's events and lists
go. Registered by the app factory; each runs after the change committed. A second run of the
purchase handler buffers the lines again: the recommender counts an order's products once
(it reads purchases by order), so a double costs nothing but a row."""

from __future__ import annotations

from app.accounts import privacy as accounts_privacy, read_along
from app.events import handler
from app.events.services import PublishedEvent
from app.orders import services as orders
from app.recommendations import lists, tracking

# The customer's copy of their data holds what was noted of their visits and their choice.
accounts_privacy.holds_personal_data("recommendations", export=tracking.export_for)
# Whether the signed-in customer lets us personalise: every add to cart and signed-in page
# view asks, so their lookup reads it along (app/accounts/read_along.py).
read_along.register("personalised", tracking.choice_of, on_read=tracking.keep_choice,
                    bearer=True)


@handler("order.placed", name="recommendations.record_purchase")
def record_purchase(event: PublishedEvent) -> None:
    order = orders.find_by_number(event.data["number"])
    if order is None or order.user_id is None or not tracking.personalised(order.user_id):
        return  # a guest's purchases are in the orders themselves; no id to keep them under
    bought = set()
    for line in order.lines:
        if line.product_id is not None:
            bought.add(line.product_id)
            tracking.record("purchase", customer_id=order.user_id, product_id=line.product_id,
                            variant_id=line.variant_id, quantity=line.quantity,
                            when=order.placed_at)
    lists.drop_bought(order.user_id, bought)


@handler("customer.erased", name="recommendations.forget_customer")
def forget_customer(event: PublishedEvent) -> None:
    tracking.forget(event.data["user_id"])
