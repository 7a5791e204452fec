"""Checkout's step rules and its "You save" figure (app.checkout.steps), on plain values: which
steps a cart needs, which are done, which one a shopper sees, where a problem sends them, and
what they save. Then the pages: the cart and the review page say the same "You save"."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from app.checkout import steps
from app.checkout.steps import StepFacts, step_names, step_to_show
from tests.catalog.pages import text
from tests.checkout.factories import starter_delivery, stocked

GOODS = step_names(needs_delivery=True, needs_address=True, signed_in=False)


@pytest.mark.parametrize("needs_delivery, needs_address, signed_in, names", [
    (True, True, False, ["address", "delivery", "payment", "review"]),
    (True, True, True, ["address", "delivery", "payment", "review"]),
    (False, True, False, ["address", "payment", "review"]),  # a service at home
    (False, True, True, ["address", "payment", "review"]),
    (False, False, False, ["details", "payment", "review"]),  # a guest buying services
    (False, False, True, ["payment", "review"]),  # a customer buying services
])
def test_the_steps_a_cart_needs(needs_delivery, needs_address, signed_in, names):
    assert step_names(needs_delivery=needs_delivery, needs_address=needs_address,
                      signed_in=signed_in) == names


def _facts(**given) -> StepFacts:
    return StepFacts(**{"signed_in": False, "has_contact": False, "district": None, **given})


@pytest.mark.parametrize("facts, first", [
    (_facts(), "address"),
    (_facts(has_contact=True), "address"),  # no district yet
    (_facts(district="galle"), "address"),  # a guest without contact details
    (_facts(district="galle", has_contact=True, in_service_area=False), "address"),
    (_facts(district="galle", has_contact=True), "delivery"),
    (_facts(district="galle", signed_in=True), "delivery"),
    (_facts(district="galle", has_contact=True, has_delivery_option=True), "payment"),
    (_facts(district="galle", has_contact=True, has_delivery_option=True,
            has_payment_method=True), "review"),
])
def test_the_first_open_step(facts, first):
    assert steps.first_open(GOODS, facts) == first


def test_a_guest_buying_services_is_done_with_details_once_they_gave_them():
    names = step_names(needs_delivery=False, needs_address=False, signed_in=False)

    assert steps.first_open(names, _facts()) == "details"
    assert steps.first_open(names, _facts(has_contact=True)) == "payment"


def test_the_costly_facts_are_asked_only_once_the_steps_before_are_done():
    asked = []

    def payment():
        asked.append("payment")
        return True

    open_address = _facts(has_payment_method=payment)
    all_done = _facts(district="galle", has_contact=True, has_delivery_option=lambda: True,
                      has_payment_method=payment)

    assert steps.first_open(GOODS, open_address) == "address" and asked == []
    assert steps.first_open(GOODS, all_done) == "review" and asked == ["payment"]


AT_PAYMENT = _facts(district="galle", has_contact=True, has_delivery_option=True)


@pytest.mark.parametrize("asked, posted, shown", [
    ("", False, ("payment", False)),  # /checkout shows the first open step in place
    ("address", False, ("address", False)),  # back to a step done
    ("payment", True, ("payment", False)),
    ("review", False, ("payment", True)),  # ahead of the first open step
    ("review", True, ("payment", True)),
    ("details", False, ("payment", True)),  # not a step of this cart
    ("nonsense", False, ("payment", True)),
    ("", True, ("payment", True)),  # a post naming no step
])
def test_which_step_a_shopper_sees(asked, posted, shown):
    assert step_to_show(GOODS, AT_PAYMENT, asked, posted=posted) == shown


def test_the_next_step():
    assert steps.next_after(GOODS, "address") == "delivery"
    assert steps.next_after(GOODS, "payment") == "review"
    with pytest.raises(ValueError):
        steps.next_after(GOODS, "details")


@pytest.mark.parametrize("field, names, step", [
    ("delivery_option", GOODS, "delivery"),
    ("payment_method", GOODS, "payment"),
    ("voucher", GOODS, "review"),
    ("district", GOODS, "address"),
    (None, GOODS, "address"),
    ("delivery_option", ["payment", "review"], "payment"),  # no delivery step: the first
])
def test_a_problem_sends_the_shopper_to_the_step_that_asks_for_it(field, names, step):
    assert steps.step_for_field(field, names) == step


def _line(unit, quantity, was=None):
    return SimpleNamespace(unit_cents=unit, quantity=quantity, compare_at_cents=was)


@pytest.mark.parametrize("lines, promotions, saved", [
    ([], 0, 0),
    ([_line(650_00, 3, was=800_00)], 0, 450_00),
    ([_line(650_00, 3, was=800_00)], 100_00, 550_00),
    ([_line(1_250_00, 1)], 300_00, 300_00),
    ([_line(500_00, 2, was=400_00)], 0, 0),  # a "was" price under the price saves nothing
])
def test_you_save_is_promotions_and_sale_prices_together(lines, promotions, saved):
    priced = SimpleNamespace(lines=lines, savings_cents=promotions)

    assert steps.you_save_cents(priced) == saved


def test_the_review_page_says_what_the_cart_says_you_save(client, db_session):
    starter_delivery()
    tea = stocked("Ceylon tea", units=5, price_cents=650_00)
    tea.compare_at_cents = 800_00
    db_session.commit()
    client.post("/cart/items", data={"variant_id": tea.id, "quantity": 3})
    client.post("/checkout", data={
        "step": "address", "name": "Sarah Fernando", "email": "sarah@example.lk",
        "phone": "077 123 4567", "line1": "5 Church Street", "city": "Galle",
        "district": "galle", "postal_code": "80000"})
    client.post("/checkout", data={"step": "delivery", "delivery_option": "island-wide"})
    client.post("/checkout", data={"step": "payment", "payment_method": "cod"})

    cart = client.get("/cart").get_data(as_text=True)
    review = client.get("/checkout?step=review").get_data(as_text=True)

    assert text(cart, cls="savings") == text(review, cls="savings") == "You save Rs. 450.00"
