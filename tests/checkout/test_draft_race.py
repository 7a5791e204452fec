"""A staff draft holds nothing: shoppers can buy what it lists. Placing it holds the stock with
the same conditional update as a web checkout, so when the desk and the web race for the last
units, no more are sold than there are."""

from __future__ import annotations

from app import db
from app.accounts.addresses import AddressInput
from app.checkout import cart as carts, drafts
from app.checkout.models import Cart
from app.inventory import services as inventory
from app.inventory.services import OutOfStock
from app.orders.models import Order
from tests.checkout.factories import starter_delivery, stocked
from tests.checkout.races import checkouts_at_once
from tests.factories import make_customer, make_staff

UNITS = 6
SHOPPERS = 12
DRAFT_UNITS = 3


def test_a_draft_and_web_checkouts_race_for_the_last_units_without_overselling(app):
    with app.app_context():
        starter_delivery()
        variant_id = stocked("Last bottles of kithul treacle", units=UNITS).id
        staff = make_staff("order_manager")
        customer = make_customer(name="Caller From Kandy", phone="+94712345678")
        draft = drafts.start(actor=staff, customer_id=customer.id)
        drafts.add_item(draft.id, variant_id, DRAFT_UNITS, actor=staff)
        drafts.save_details(draft.id, drafts.DraftDetails(
            address=AddressInput(recipient="Caller From Kandy", phone="0812223344",
                                 line1="7 Peradeniya Road", city="Kandy", district="kandy"),
            delivery_option="island-wide", payment_method="cod"), actor=staff)
        # The draft holds nothing: every unit is still for sale.
        assert inventory.available([variant_id]) == {variant_id: UNITS}
        cart_ids = []
        for _ in range(SHOPPERS):
            cart = carts.open_cart(token=carts.new_token())
            carts.add_item(cart, variant_id, 1)
            cart_ids.append(cart.id)
        draft_id, staff_id = draft.id, staff.id
        db.session.remove()

    def place_draft(cart_id: int) -> None:
        from app.accounts import services as accounts

        drafts.place(cart_id, actor=accounts.get_user(staff_id))

    def outcome_of(error: Exception) -> str:
        if isinstance(error, OutOfStock):
            return "out of stock"
        return repr(error)

    outcomes = checkouts_at_once(app, [draft_id, *cart_ids], outcome_of,
                                 placed_by={draft_id: place_draft}, phone_prefix="0773")

    assert set(outcomes) <= {"ordered", "out of stock"}, set(outcomes)
    with app.app_context():
        placed = db.session.query(Order).all()
        sold = sum(line.quantity for order in placed for line in order.lines)
        assert sold == UNITS  # 12 shoppers for 6 units: every unit goes, none twice
        assert inventory.available([variant_id])[variant_id] == UNITS - sold >= 0
        assert inventory.ledger_problems() == []
        # Whatever the draft's fate, it is an order of 3 or still open for staff to change.
        draft = db.session.get(Cart, draft_id)
        phone_orders = [o for o in placed if o.channel == "phone"]
        if draft.status == "ordered":
            assert [sum(line.quantity for line in o.lines) for o in phone_orders] == [3]
        else:
            assert draft.status == "open" and phone_orders == []
        assert len(placed) == outcomes.count("ordered")
