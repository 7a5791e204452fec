"""What the signed-in customer's lookup reads along (app/accounts/read_along.py): whether they
have a live plan and whether they let us personalise come in the lookup's own statement, the
browser's and the API's, and give the same answers as reading them apart did."""

from __future__ import annotations

import pytest

from app.plans import services as plans
from app.plans.services import PlanInput
from app.recommendations import tracking
from tests.api.helpers import bearer, sign_in
from tests.checkout.factories import starter_delivery, stocked
from tests.factories import make_address, make_customer
from tests.statements import statements_sent

CART = "/api/v1/cart?district=galle&delivery_option=island-wide"


@pytest.fixture()
def shop(db_session):
    starter_delivery()
    tea = stocked("Ceylon tea", units=50, price_cents=1_250_00)
    plus = plans.save_plan(PlanInput(
        code="kade-plus", name_en="Kade Plus", price_cents=990_00, free_delivery=True,
        member_prices={tea.id: 1_000_00}), actor=None)
    return tea, plus


def member(plan):
    customer = make_customer()
    make_address(customer.id)
    subscription = plans.subscribe(customer.id, plan.code, "bank_transfer")
    plans.pay_invoice(plans.open_invoice(subscription.id).id)
    return customer


def naming(statements: list[str], table: str) -> list[str]:
    return [s for s in statements if table in s]


def test_a_customer_without_a_plan_costs_no_query_for_it(client, shop):
    tea, _plus = shop
    token = bearer(sign_in(client, make_customer().email)["access_token"])

    with statements_sent(client.application, this_thread=True) as statements:
        added = client.post("/api/v1/cart/items", headers=token,
                            json={"variant_id": tea.id, "quantity": 2})
        cart = client.get(CART, headers=token).get_json()

    assert added.status_code == 201
    assert (cart["items"][0]["total"]["amount_cents"], cart["delivery_fee"]["amount_cents"]) == (
        2 * 1_250_00, 350_00)
    # Each request names the plans' and the choices' tables once: in the token's lookup.
    for table in ("plans_subscription", "recommendations_choice"):
        found = naming(statements, table)
        assert len(found) == 2, found
        assert all("accounts_api_token" in statement for statement in found), found


def test_a_members_plan_prices_the_api_cart(client, shop):
    tea, plus = shop
    customer = member(plus)
    token = bearer(sign_in(client, customer.email)["access_token"])

    client.post("/api/v1/cart/items", headers=token, json={"variant_id": tea.id, "quantity": 2})
    with statements_sent(client.application, this_thread=True) as statements:
        cart = client.get(CART, headers=token).get_json()

    assert cart["items"][0]["total"]["amount_cents"] == 2 * 1_000_00  # the member's price
    assert cart["delivery_fee"]["amount_cents"] == 0
    # The lookup says which subscription; the subscription itself is then read by its id.
    assert len(naming(statements, "plans_subscription")) == 2


def test_a_plan_started_in_the_request_is_seen_at_once(app, shop):
    tea, plus = shop
    customer = make_customer()
    make_address(customer.id)
    with app.test_request_context("/"):
        plans.keep_live_subscription_id(customer.id, None)  # as the lookup read it
        assert plans.live_subscription(customer.id) is None
        started = plans.subscribe(customer.id, plus.code, "bank_transfer")
        assert plans.live_subscription(customer.id).id == started.id


def test_a_customer_who_said_no_is_not_recorded_through_the_api(client, shop):
    tea, _plus = shop
    yes, no = make_customer(), make_customer()
    tracking.set_personalised(no.id, False)
    before = tracking.buffered()

    for customer in (no, yes):
        token = bearer(sign_in(client, customer.email)["access_token"])
        response = client.post("/api/v1/cart/items", headers=token,
                               json={"variant_id": tea.id, "quantity": 1})
        assert response.status_code == 201
        if customer is no:
            assert tracking.buffered() == before  # nothing of the one who said no
    assert tracking.buffered() == before + 1


def test_a_choice_saved_in_the_request_is_seen_at_once(app, db_session):
    customer = make_customer()
    with app.test_request_context("/"):
        tracking.keep_choice(customer.id, None)  # never chose: yes
        assert tracking.personalised(customer.id)
        tracking.set_personalised(customer.id, False)
        assert not tracking.personalised(customer.id)


def test_a_signed_in_page_reads_the_choice_with_the_visitor(client, login, shop):
    tea, _plus = shop
    customer = make_customer()
    login(customer)
    client.get(f"/p/{tea.product.slug}")

    with statements_sent(client.application, this_thread=True) as statements:
        page = client.get(f"/p/{tea.product.slug}")

    assert page.status_code == 200
    found = naming(statements, "recommendations_choice")
    assert len(found) == 1 and "accounts_login_session" in found[0], found
