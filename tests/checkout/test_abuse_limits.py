"""Nobody holds a shop's stock with fake orders: orders waiting for payment are capped per
mobile number (or customer) and per delivery address, a number places only so many orders an
hour, and placing orders is limited per client address, on the web and the API alike."""

from __future__ import annotations

import dataclasses
import uuid

import pytest
from sqlalchemy import func, select

from app.checkout.services import Contact, TooManyOrders, place_order
from app.errors import Invalid
from app.inventory import services as inventory
from app.orders import services as orders
from app.orders.models import Order
from tests.api.helpers import assert_problem, bearer, error_fields, sign_in
from tests.catalog.pages import texts
from tests.checkout.factories import (
    GALLE,
    GUEST,
    guest_cart,
    guest_choices,
    starter_delivery,
    stocked,
)
from tests.checkout.test_views import GUEST as WEB_GUEST, add, page, place, step
from tests.factories import make_customer

CAP_MESSAGE = "orders waiting for payment for this mobile number or address"


@pytest.fixture()
def tea(db_session):
    starter_delivery()
    return stocked("Ceylon tea", units=100, price_cents=1_000_00)


def _count(db_session, **where) -> int:
    query = select(func.count()).select_from(Order)
    for name, value in where.items():
        query = query.where(getattr(Order, name) == value)
    return db_session.scalar(query)


def _elsewhere(n: int):
    return dataclasses.replace(GALLE, line1=f"{n} Lighthouse Street")


def _other_phone(n: int) -> Contact:
    return dataclasses.replace(GUEST, phone=f"0772{n:06d}")


def test_thirty_unpaid_guest_orders_from_one_phone_are_refused_after_the_cap(app, tea,
                                                                            db_session):
    cap = app.config["UNPAID_ORDERS_PER_PHONE"]
    placed, refused = [], []

    for n in range(30):  # each to another address: the phone is what they share
        cart = guest_cart((tea, 1))
        try:
            order, _ = place_order(cart, guest_choices(payment_method="bank_transfer",
                                                       address=_elsewhere(n)))
            placed.append(order.number)
        except Invalid as refusal:
            refused.append(refusal)

    assert len(placed) == cap and len(refused) == 30 - cap
    assert {r.field for r in refused} == {"payment_method"}
    assert CAP_MESSAGE in str(refused[0].message)
    assert f"already {cap} orders" in str(refused[0].message)
    assert inventory.available([tea.id]) == {tea.id: 100 - cap}  # only the capped few hold stock


def test_one_address_is_capped_whatever_phones_the_orders_give(app, tea, db_session):
    cap = app.config["UNPAID_ORDERS_PER_PLACE"]
    for n in range(cap):
        place_order(guest_cart((tea, 1)), guest_choices(payment_method="bank_transfer",
                                                        contact=_other_phone(n)))

    # The same place spelt another way is the same place.
    respelt = dataclasses.replace(GALLE, line1="5, CHURCH  street.", city="galle")
    with pytest.raises(Invalid) as refused:
        place_order(guest_cart((tea, 1)), guest_choices(
            payment_method="bank_transfer", contact=_other_phone(99), address=respelt))

    assert CAP_MESSAGE in str(refused.value.message)


def test_cash_on_delivery_and_a_paid_or_cancelled_order_free_the_way(app, tea, db_session):
    cap = app.config["UNPAID_ORDERS_PER_PHONE"]
    numbers = [place_order(guest_cart((tea, 1)), guest_choices(
        payment_method="bank_transfer", address=_elsewhere(n)))[0].number for n in range(cap)]

    cod, _ = place_order(guest_cart((tea, 1)), guest_choices(payment_method="cod",
                                                            address=_elsewhere(50)))
    assert cod.status == "processing"
    orders.cancel_by_customer(orders.find_by_number(numbers[0]))
    again, _ = place_order(guest_cart((tea, 1)), guest_choices(
        payment_method="bank_transfer", address=_elsewhere(51)))

    assert again.status == "pending_payment"


def test_a_customers_unpaid_orders_count_by_their_account(app, tea, db_session):
    from tests.checkout.factories import customer_order

    customer = make_customer()
    for _ in range(app.config["UNPAID_ORDERS_PER_PHONE"]):
        customer_order(customer, (tea, 1), method="bank_transfer")

    with pytest.raises(Invalid) as refused:
        customer_order(customer, (tea, 1), method="bank_transfer")

    assert refused.value.field == "payment_method"


def test_one_phone_places_only_so_many_orders_an_hour(app, tea, db_session):
    limit = app.config["ORDERS_PER_PHONE_PER_HOUR"]
    for n in range(limit):
        place_order(guest_cart((tea, 1)), guest_choices(payment_method="cod",
                                                        address=_elsewhere(n)))

    with pytest.raises(TooManyOrders) as refused:
        place_order(guest_cart((tea, 1)), guest_choices(payment_method="cod",
                                                        address=_elsewhere(99)))

    assert 0 < refused.value.retry_after <= 3601
    assert "many orders in the last hour" in str(refused.value.message)
    assert _count(db_session) == limit


# ---- the web shop ----------------------------------------------------------------------------

def _web_attempt(app, tea, n: int):
    """A guest, in a browser of their own, gets to the payment step and asks for a transfer."""
    client = app.test_client()
    add(client, tea)
    step(client, "address", **{**WEB_GUEST, "line1": f"{n} Lighthouse Street"})
    step(client, "delivery", delivery_option="island-wide")
    return client, step(client, "payment", payment_method="bank_transfer")


def test_the_web_shop_refuses_the_unpaid_orders_beyond_the_cap_with_a_form_error(app, tea,
                                                                                db_session):
    cap = app.config["UNPAID_ORDERS_PER_PHONE"]
    answers = []

    for n in range(30):
        client, chose = _web_attempt(app, tea, n)
        if chose.status_code == 303:
            answers.append(place(client).status_code)
        else:
            answers.append(chose.status_code)
            last = chose.get_data(as_text=True)

    assert answers == [303] * cap + [422] * (30 - cap)
    assert _count(db_session, status="pending_payment") == cap
    assert CAP_MESSAGE in last  # on the field, and beside the ways still offered
    assert 'id="payment_method-error"' in last
    offered = texts(last, cls="choice-text")
    assert [o.split(" ", 3)[:3] for o in offered] == [["Cash", "on", "delivery"]]


def test_a_transfer_chosen_before_the_cap_was_reached_is_refused_at_placing(app, tea,
                                                                           db_session):
    cap = app.config["UNPAID_ORDERS_PER_PHONE"]
    waiting = [_web_attempt(app, tea, n)[0] for n in range(cap + 1)]  # all chose a transfer

    for client in waiting[:cap]:
        assert place(client).status_code == 303
    late = waiting[cap]
    answer = late.post("/checkout", data={"step": "place", "idempotency_key": "k" * 20})

    assert answer.headers["Location"] == "/checkout?step=payment"
    assert CAP_MESSAGE in page(late, "payment")
    assert _count(db_session) == cap


def test_placing_orders_is_limited_per_client_address_but_the_steps_are_not(make_app, tea):
    limited = make_app(RATELIMIT_ENABLED=True, CHECKOUT_RATE_LIMIT="3 per minute")
    client = limited.test_client()
    add(client, tea)

    steps_answers = [step(client, "address", **WEB_GUEST).status_code for _ in range(6)]
    places = [client.post("/checkout", data={"step": "place", "idempotency_key": "x" * 20})
              .status_code for _ in range(4)]

    assert 429 not in steps_answers
    assert 429 not in places[:3] and places[3] == 429


# ---- the API --------------------------------------------------------------------------------

def _api_checkout(client, headers, tea, method: str, n: int):
    client.post("/api/v1/cart/items", headers=headers, json={"variant_id": tea.id,
                                                             "quantity": 1})
    address = {"recipient": "Nimal Perera", "phone": "077 123 4567",
               "line1": f"{n} Lighthouse Street", "city": "Galle", "district": "galle"}
    return client.post("/api/v1/checkout", json={
        "address": address, "delivery_option": "island-wide", "payment_method": method},
        headers={**headers, "Idempotency-Key": str(uuid.uuid4())})


def test_the_api_refuses_unpaid_orders_beyond_the_cap_as_problem_json(app, client, tea):
    customer = make_customer()
    headers = bearer(sign_in(client, customer.email)["access_token"])
    cap = app.config["UNPAID_ORDERS_PER_PHONE"]

    answers = [_api_checkout(client, headers, tea, "bank_transfer", n) for n in range(30)]

    assert [a.status_code for a in answers] == [201] * cap + [422] * (30 - cap)
    problem = assert_problem(answers[-1], 422)
    assert error_fields(problem) == {"payment_method"}
    assert CAP_MESSAGE in problem["errors"][0]["message"]


def test_the_api_answers_429_past_the_hours_orders(app, client, tea):
    customer = make_customer()
    headers = bearer(sign_in(client, customer.email)["access_token"])
    limit = app.config["ORDERS_PER_PHONE_PER_HOUR"]

    answers = [_api_checkout(client, headers, tea, "cod", n) for n in range(limit + 1)]

    assert [a.status_code for a in answers] == [201] * limit + [429]
    assert_problem(answers[-1], 429, "too_many_orders")
    assert int(answers[-1].headers["Retry-After"]) > 0


def test_the_web_and_the_api_share_one_count_per_client_address(make_app, tea):
    limited = make_app(RATELIMIT_ENABLED=True, CHECKOUT_RATE_LIMIT="2 per minute")
    web, api = limited.test_client(), limited.test_client()
    customer = make_customer()
    headers = bearer(sign_in(api, customer.email)["access_token"])

    web.post("/checkout", data={"step": "place", "idempotency_key": "x" * 20})
    first = _api_checkout(api, headers, tea, "cod", 1)
    second = _api_checkout(api, headers, tea, "cod", 2)

    assert first.status_code == 201
    assert_problem(second, 429, "too_many_requests")


def test_checkouts_at_the_same_moment_do_not_slip_past_the_cap(app):
    """Twelve transfers from one number at once, each on its own connection: the count is
    taken again inside each transaction while the others wait, so exactly the cap wins."""
    import threading

    from app import db
    from app.checkout import cart as carts
    from app.checkout.models import Cart

    cap = app.config["UNPAID_ORDERS_PER_PHONE"]
    with app.app_context():
        starter_delivery()
        variant_id = stocked("Kithul treacle", units=50).id
        cart_ids = []
        for _ in range(12):
            cart = carts.open_cart(token=carts.new_token())
            carts.add_item(cart, variant_id, 1)
            cart_ids.append(cart.id)
        db.session.remove()
    start = threading.Barrier(12, timeout=60)
    outcomes, record = [], threading.Lock()

    def shop(n: int, cart_id: int) -> None:
        with app.app_context():
            cart = db.session.get(Cart, cart_id)
            cart.lines  # noqa: B018 — loaded now, so the race below is only the checkout
            db.session.commit()
            start.wait()
            try:
                place_order(cart, guest_choices(payment_method="bank_transfer",
                                                address=_elsewhere(n)))
                outcome = "placed"
            except Invalid as refusal:
                outcome = "capped" if CAP_MESSAGE in str(refusal.message) else repr(refusal)
            except Exception as error:  # anything else is a failure the test must show
                outcome = repr(error)
            finally:
                db.session.remove()
            with record:
                outcomes.append(outcome)

    threads = [threading.Thread(target=shop, args=(n, cart_id))
               for n, cart_id in enumerate(cart_ids)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert sorted(outcomes) == ["capped"] * (12 - cap) + ["placed"] * cap, outcomes
    with app.app_context():
        assert inventory.available([variant_id]) == {variant_id: 50 - cap}
        db.session.remove()
