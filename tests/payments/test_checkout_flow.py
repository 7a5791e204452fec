"""Paying by card through PayHere's hosted checkout, as the shopper meets it: the form built
for an order (fields, hash, absolute URLs), the "Pay for order" page, the place-order step
sending a PayHere order there, the return page that shows only what the ledger says (and
never pays by itself), the cancel page that leaves the order payable, and "Pay now" on the
order page. Run on SQLite and on PostgreSQL (`--db`)."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import time
from urllib.parse import parse_qs, urlsplit

import pytest

from app import db
from app.content import services as content
from app.errors import Invalid
from app.inventory import services as inventory
from app.orders import services as orders
from app.payments import checkout_flow, payhere, services as payments
from app.payments.sandbox import wait_for_notifications
from app.queue import wait_for_local_jobs
from tests.catalog.pages import attr, find, text, texts
from tests.checkout.factories import (
    customer_order,
    order_link_target,
    place_guest_order,
    service_with_slot,
    stocked,
)
from tests.factories import make_customer

MERCHANT = "1211149"
SECRET = "MzA0NjA3OTI1MTI4NjM4MjQ0MDcxNzM2OTMwNjY5MTM1MjcyMTQ0Mg=="
SHOP = "https://shop.example.lk"
GUEST = {"name": "Sarah Fernando", "email": "sarah@example.lk", "phone": "077 123 4567",
         "line1": "5 Church Street", "city": "Galle", "district": "galle",
         "postal_code": "80000"}


def md5(text_: str) -> str:
    return hashlib.md5(text_.encode()).hexdigest().upper()  # noqa: S324 — PayHere's formula


def payhere_settings(**overrides) -> dict:
    return {"PAYHERE_MERCHANT_ID": MERCHANT, "PAYHERE_MERCHANT_SECRET": SECRET,
            "PAYHERE_SANDBOX": True, "PAYHERE_LOCAL_SANDBOX": False, **overrides}


@pytest.fixture()
def ph_app(make_app):
    app = make_app(**payhere_settings(PUBLIC_URL=SHOP))
    yield app
    wait_for_notifications(app)
    wait_for_local_jobs(app)


def place_payhere_order(app, *, quantity: int = 2) -> tuple[str, str, int]:
    """A guest's PayHere order: (number, link token, total cents)."""
    with app.app_context():
        variant = stocked("Ceylon tea", units=5, price_cents=1_250_00)
        order = place_guest_order((variant, quantity), payment_method="payhere")
        result = order.number, orders.guest_token(order.number), order.total_cents
        db.session.remove()
    return result


def notify(app, number: str, total_cents: int, status: str = "2") -> None:
    """PayHere's signed notification, posted as PayHere posts it."""
    amount = payhere.format_amount(total_cents)
    answer = app.test_client().post("/payments/payhere/notify", data={
        "merchant_id": MERCHANT, "order_id": number, "payment_id": f"32002507{status[-1]}",
        "payhere_amount": amount, "payhere_currency": "LKR", "status_code": status,
        "md5sig": md5(MERCHANT + number + amount + "LKR" + status + md5(SECRET)),
        "status_message": "test", "method": "VISA"})
    assert answer.status_code == 200


def state(app, number: str) -> tuple[str, str]:
    with app.app_context():
        order = orders.find_by_number(number)
        result = order.status, payments.payment_for(number, "payhere").status
        db.session.remove()
    return result


def form_of(app, number: str, **kwargs) -> checkout_flow.HostedForm:
    with app.test_request_context(), app.app_context():
        form = checkout_flow.hosted_form(orders.find_by_number(number), **kwargs)
        db.session.remove()
    return form


def polls(html: str) -> bool:
    return "hx-trigger" in find(html, id="payment-state")[0]["attrs"]


def no_inline_script(html: str) -> bool:
    return all("src" in tag["attrs"] for tag in find(html, tag="script"))


# ---- the form ---------------------------------------------------------------------------------

def test_the_form_carries_the_order_and_a_hash_computed_as_payhere_documents(ph_app):
    number, _token, total = place_payhere_order(ph_app)

    form = form_of(ph_app, number)

    assert form.action == "https://sandbox.payhere.lk/pay/checkout"
    fields = form.fields
    amount = f"{total // 100}.{total % 100:02d}"
    assert total == 2 * 1_250_00 + 350_00  # two teas, island-wide delivery
    assert {k: fields[k] for k in ("merchant_id", "order_id", "amount", "currency",
                                   "first_name", "last_name", "email", "phone", "address",
                                   "city", "country")} == {
        "merchant_id": MERCHANT, "order_id": number, "amount": amount, "currency": "LKR",
        "first_name": "Sarah", "last_name": "Fernando", "email": "sarah@example.lk",
        "phone": "+94771234567", "address": "5 Church Street", "city": "Galle",
        "country": "Sri Lanka"}
    assert fields["items"] == f"Order {number}: Ceylon tea × 2"
    # The hash, from PayHere's documented formula, here and not by the adapter:
    # UPPER(MD5(merchant_id + order_id + amount + currency + UPPER(MD5(merchant_secret))))
    assert fields["hash"] == md5(MERCHANT + number + amount + "LKR" + md5(SECRET))
    assert fields["notify_url"] == f"{SHOP}/payments/payhere/notify"
    for name, path in (("return_url", "/payments/payhere/return"),
                       ("cancel_url", "/payments/payhere/cancel")):
        url = urlsplit(fields[name])
        assert f"{url.scheme}://{url.netloc}{url.path}" == SHOP + path
        query = parse_qs(url.query)
        assert query["order_id"] == [number]
        # No order-link token travels through PayHere: only a return token, which opens
        # neither the order page nor its invoice.
        assert set(query) == {"order_id", "r", "since"}
        assert token_order(ph_app, query["r"][0]) is None
        client = ph_app.test_client()
        assert client.get(f"/orders/{number}?t={query['r'][0]}").status_code == 404
        assert client.get(f"/orders/{number}/invoice.pdf?t={query['r'][0]}"
                          ).status_code == 404
        assert query["since"][0].isdigit()


def test_without_the_sandbox_the_form_goes_to_payheres_live_checkout(make_app):
    app = make_app(**payhere_settings(PAYHERE_SANDBOX=False, PUBLIC_URL=SHOP))
    number, _token, _total = place_payhere_order(app)
    assert form_of(app, number).action == "https://www.payhere.lk/pay/checkout"
    wait_for_local_jobs(app)


def test_with_the_local_sandbox_the_form_comes_to_our_own_page(make_app):
    app = make_app(**payhere_settings(PAYHERE_LOCAL_SANDBOX=True, PUBLIC_URL=SHOP))
    number, _token, _total = place_payhere_order(app)
    assert form_of(app, number).action == f"{SHOP}/payhere-sandbox/pay/checkout"
    wait_for_local_jobs(app)


def test_no_form_when_payhere_is_not_configured(make_app, ph_app):
    number, _token, _total = place_payhere_order(ph_app)
    app = make_app(PAYHERE_MERCHANT_ID=None, PAYHERE_MERCHANT_SECRET=None,
                   PAYHERE_LOCAL_SANDBOX=False)
    with pytest.raises(Invalid) as refused:
        form_of(app, number)
    assert refused.value.field == "payment_method"


def test_a_service_booked_without_an_address_is_billed_at_the_shop(ph_app):
    with ph_app.app_context():
        variant, slot = service_with_slot("Laptop servicing")
        order = place_guest_order((variant, 1, slot), payment_method="payhere",
                                  delivery_option=None, address=None)
        number = order.number
        db.session.remove()
    fields = form_of(ph_app, number).fields
    # SHOP_ADDRESS "No. 1, Galle Road, Colombo 03"
    assert (fields["address"], fields["city"]) == ("No. 1, Galle Road", "Colombo 03")


def test_a_long_list_of_items_is_cut_to_payheres_255_characters(ph_app):
    with ph_app.app_context():
        variants = [(stocked(f"{word} handwoven Dumbara mat with a long descriptive name",
                             units=3), 1) for word in ("Red", "Blue", "Green", "Gold", "Grey")]
        number = place_guest_order(*variants, payment_method="payhere").number
        db.session.remove()
    items = form_of(ph_app, number).fields["items"]
    assert len(items) == 255 and items.endswith("…") and items.startswith(f"Order {number}: ")


@pytest.mark.parametrize(("name", "first", "last"), [
    ("Sarah Fernando", "Sarah", "Fernando"),
    ("K. A. Nimal Perera", "K. A. Nimal", "Perera"),
    ("Madonna", "Madonna", "Madonna"),
    ("  ", "", ""),
])
def test_names_are_split_into_first_and_last(name, first, last):
    assert checkout_flow.split_name(name) == (first, last)


# ---- placing the order on the web ----------------------------------------------------------

def _checkout_with_payhere(client, variant):
    assert client.post("/cart/items", data={"variant_id": variant.id,
                                            "quantity": 1}).status_code == 303
    assert client.post("/checkout", data={"step": "address", **GUEST}).status_code == 303
    assert client.post("/checkout", data={"step": "delivery",
                                          "delivery_option": "island-wide"}).status_code == 303
    assert client.post("/checkout", data={"step": "payment",
                                          "payment_method": "payhere"}).status_code == 303
    review = client.get("/checkout?step=review").get_data(as_text=True)
    assert "Card, eZ Cash or online banking (PayHere)" in review
    key = attr(review, "value", name="idempotency_key")
    return client.post("/checkout", data={"step": "place", "idempotency_key": key}), key


def test_placing_a_payhere_order_leads_to_the_pay_page(ph_app):
    with ph_app.app_context():
        from tests.checkout.factories import starter_delivery

        starter_delivery()
        variant = stocked("Ceylon tea", units=5, price_cents=1_250_00)
        db.session.remove()
    client = ph_app.test_client()

    placed, key = _checkout_with_payhere(client, variant)

    assert placed.status_code == 303
    location = urlsplit(placed.headers["Location"])
    number = re.fullmatch(r"/payments/payhere/(KD-\d{4}-\d{6})/pay", location.path).group(1)
    assert token_order(ph_app, parse_qs(location.query)["t"][0]) == number
    assert state(ph_app, number) == ("pending_payment", "initiated")
    with ph_app.app_context():
        assert inventory.held_units(number) == {variant.id: 1}
        db.session.remove()

    page = client.get(placed.headers["Location"])
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert text(html, tag="h1") == f"Pay for order {number}"
    assert text(html, id="pay-total") == "Rs. 1,600.00"
    form = find(html, cls="payhere-form")[0]["attrs"]
    assert (form["method"], form["action"], form["hx-boost"]) == (
        "post", "https://sandbox.payhere.lk/pay/checkout", "false")
    hidden = {i["attrs"]["name"]: i["attrs"]["value"]
              for i in find(html, tag="input", type="hidden")
              if i["attrs"]["name"] != "csrf_token"}
    assert hidden["order_id"] == number and hidden["amount"] == "1600.00"
    assert hidden["hash"] == md5(MERCHANT + number + "1600.00" + "LKR" + md5(SECRET))
    assert "Continue to PayHere" in texts(html, tag="button")
    assert no_inline_script(html)
    assert "no-store" in page.headers["Cache-Control"]

    # The same review page submitted again goes to the same order's pay page.
    again = client.post("/checkout", data={"step": "place", "idempotency_key": key})
    with ph_app.app_context():
        assert order_link_target(again.headers["Location"]) == order_link_target(
            placed.headers["Location"])


def token_order(app, token: str) -> str | None:
    """The order a guest token opens (None: none)."""
    with app.app_context():
        return orders.number_from_guest_token(token)


def test_a_customer_placing_a_payhere_order_goes_to_the_pay_page_without_a_token(
        ph_app, login):
    with ph_app.app_context():
        from tests.checkout.factories import starter_delivery

        starter_delivery()
        variant = stocked("Ceylon tea", units=5, price_cents=1_250_00)
        user = make_customer(email="nimal@example.lk")
        db.session.remove()
    client = ph_app.test_client()
    login(user, c=client)
    client.post("/cart/items", data={"variant_id": variant.id, "quantity": 1})
    client.post("/checkout", data={"step": "address", "address_id": "new",
                                   "recipient": "Nimal Perera", "address_phone": "0771234567",
                                   "line1": "12 Temple Road", "city": "Kandy",
                                   "district": "kandy"})
    client.post("/checkout", data={"step": "delivery", "delivery_option": "island-wide"})
    client.post("/checkout", data={"step": "payment", "payment_method": "payhere"})
    key = attr(client.get("/checkout?step=review").get_data(as_text=True), "value",
               name="idempotency_key")
    placed = client.post("/checkout", data={"step": "place", "idempotency_key": key})

    assert re.fullmatch(r"/payments/payhere/KD-\d{4}-\d{6}/pay", placed.headers["Location"])
    assert client.get(placed.headers["Location"]).status_code == 200
    # Signed out (a new browser), the same address without a token is the 404 page.
    assert ph_app.test_client().get(placed.headers["Location"]).status_code == 404


# ---- the pay page ------------------------------------------------------------------------------

def test_the_pay_page_needs_the_orders_token_or_its_customer(ph_app, login):
    number, token, _total = place_payhere_order(ph_app)
    client = ph_app.test_client()
    url = f"/payments/payhere/{number}/pay"
    assert client.get(f"{url}?t={token}").status_code == 200
    assert client.get(url).status_code == 404
    assert client.get(f"{url}?t=forged").status_code == 404
    other_number, other_token, _ = place_payhere_order(ph_app)
    assert client.get(f"{url}?t={other_token}").status_code == 404
    assert client.get(f"/payments/payhere/KD-2026-999999/pay?t={token}").status_code == 404
    with ph_app.app_context():
        someone = make_customer(email="someone@example.lk")
        db.session.remove()
    login(someone, c=client)
    assert client.get(url).status_code == 404


def test_a_paid_order_is_not_offered_for_payment_again(ph_app):
    number, token, total = place_payhere_order(ph_app)
    notify(ph_app, number, total)
    client = ph_app.test_client()

    answer = client.get(f"/payments/payhere/{number}/pay?t={token}")

    assert answer.status_code == 303
    assert answer.headers["Location"] == f"/orders/{number}?t={token}"
    assert "This order is already paid." in client.get(answer.headers["Location"]).get_data(
        as_text=True)


def test_a_cash_on_delivery_order_has_no_pay_page(ph_app):
    with ph_app.app_context():
        order = place_guest_order(stocked("Ceylon tea", units=5))
        number, token = order.number, orders.guest_token(order.number)
        db.session.remove()
    client = ph_app.test_client()
    assert client.get(f"/payments/payhere/{number}/pay?t={token}").status_code == 404
    assert "Pay now" not in client.get(f"/orders/{number}?t={token}").get_data(as_text=True)


def test_the_order_page_offers_pay_now_while_the_order_waits(ph_app):
    number, token, total = place_payhere_order(ph_app)
    client = ph_app.test_client()
    html = client.get(f"/orders/{number}?t={token}").get_data(as_text=True)
    pay_now = [a for a in find(html, tag="a", role="button") if a["text"] == "Pay now"]
    assert pay_now[0]["attrs"]["href"] == f"/payments/payhere/{number}/pay?t={token}"

    notify(ph_app, number, total)
    assert "Pay now" not in client.get(f"/orders/{number}?t={token}").get_data(as_text=True)


# ---- back from PayHere ------------------------------------------------------------------------

def test_the_return_page_waits_for_payhere_and_never_pays_by_itself(ph_app):
    number, token, _total = place_payhere_order(ph_app)
    client = ph_app.test_client()
    url = f"/payments/payhere/return?order_id={number}&t={token}&since=1"

    # Whatever the browser brings along, the return page only reads the ledger.
    for extra in ("", "&status_code=2&payment_id=1&md5sig=X", "&n=5", "&n=" + "9" * 5000):
        page = client.get(url + extra)
        html = page.get_data(as_text=True)
        assert page.status_code == 200
        assert "We are waiting for PayHere to confirm your payment" in html
        poll = find(html, id="payment-state")[0]["attrs"]
        assert poll["hx-trigger"] == "every 3s" and "n=" in poll["hx-get"]
        assert find(html, tag="a", href=f"/payments/payhere/return?order_id={number}"
                                         f"&t={token}&since=1")  # the refresh link
        assert no_inline_script(html)
    odd_since = client.get(f"/payments/payhere/return?order_id={number}&t={token}"
                           f"&since={'9' * 5000}")
    assert odd_since.status_code == 200
    assert state(ph_app, number) == ("pending_payment", "initiated")


def test_the_return_page_shows_the_payment_once_the_ledger_has_it(ph_app):
    number, token, total = place_payhere_order(ph_app)
    notify(ph_app, number, total)
    client = ph_app.test_client()

    # What htmx's polling gets: the status block alone, no longer polling.
    fragment = client.get(f"/payments/payhere/return?order_id={number}&t={token}&n=3",
                          headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in fragment
    assert text(fragment, tag="h1") == "Payment received"
    assert not polls(fragment)
    assert find(fragment, tag="a", href=f"/orders/{number}?t={token}")
    assert state(ph_app, number) == ("paid", "captured")


def test_a_failure_after_the_attempt_began_is_shown_with_a_way_to_try_again(ph_app):
    number, token, total = place_payhere_order(ph_app)
    notify(ph_app, number, total, "-2")
    client = ph_app.test_client()

    html = client.get(f"/payments/payhere/return?order_id={number}&t={token}&since=1"
                      ).get_data(as_text=True)

    assert text(html, tag="h1") == "The payment did not go through"
    assert find(html, cls="payhere-form") and "Try again" in html
    assert not polls(html)


def test_an_earlier_attempts_cancel_does_not_stand_for_this_attempt(ph_app):
    number, token, total = place_payhere_order(ph_app)
    notify(ph_app, number, total, "-1")  # the first attempt, cancelled
    later = 4_000_000_000  # this attempt began after it

    html = ph_app.test_client().get(
        f"/payments/payhere/return?order_id={number}&t={token}&since={later}"
    ).get_data(as_text=True)

    assert text(html, tag="h1") == "Waiting for PayHere"


def test_a_cancel_just_before_this_attempt_began_is_the_earlier_attempts(ph_app):
    # Cancel, then "Pay" again at once: the new attempt began a few milliseconds after the
    # cancel, in the same second. Back from paying before PayHere's notification arrives,
    # the shopper waits for it rather than reading the first attempt's cancel as this one's.
    from app.payments import services as payments

    number, token, total = place_payhere_order(ph_app)
    notify(ph_app, number, total, "-1")
    with ph_app.app_context():
        cancelled = payments.payment_for(number, "payhere").events[-1].created_at
    just_after = int(cancelled.replace(tzinfo=cancelled.tzinfo or dt.UTC).timestamp() * 1000) + 5

    html = ph_app.test_client().get(
        f"/payments/payhere/return?order_id={number}&t={token}&since={just_after}"
    ).get_data(as_text=True)

    assert text(html, tag="h1") == "Waiting for PayHere"


def test_the_return_page_stops_polling_after_a_while(ph_app):
    number, token, _total = place_payhere_order(ph_app)
    html = ph_app.test_client().get(
        f"/payments/payhere/return?order_id={number}&t={token}&n=200").get_data(as_text=True)
    assert "taking longer than usual" in html and not polls(html)


def test_the_return_page_of_a_cancelled_order(ph_app):
    number, token, _total = place_payhere_order(ph_app)
    with ph_app.app_context():
        orders.change_status(number, "cancelled")
        db.session.remove()
    html = ph_app.test_client().get(
        f"/payments/payhere/return?order_id={number}&t={token}").get_data(as_text=True)
    assert text(html, tag="h1") == "This order can no longer be paid"
    assert not find(html, cls="payhere-form")


def test_the_return_and_cancel_pages_need_the_orders_token(ph_app):
    number, _token, _total = place_payhere_order(ph_app)
    client = ph_app.test_client()
    for page in ("return", "cancel"):
        assert client.get(f"/payments/payhere/{page}?order_id={number}").status_code == 404
        assert client.get(f"/payments/payhere/{page}?order_id={number}&t=x").status_code == 404
        assert client.get(f"/payments/payhere/{page}").status_code == 404


def test_the_cancel_page_keeps_the_order_payable_with_a_new_form(ph_app):
    number, token, total = place_payhere_order(ph_app)
    notify(ph_app, number, total, "-1")
    client = ph_app.test_client()

    page = client.get(f"/payments/payhere/cancel?order_id={number}&t={token}")

    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert text(html, tag="h1") == "Payment cancelled"
    assert f"Your order {number} stays open until" in html
    form = find(html, cls="payhere-form")
    assert form and form[0]["attrs"]["action"] == "https://sandbox.payhere.lk/pay/checkout"
    assert "Try again" in texts(html, tag="button")
    assert attr(html, "value", name="hash") == md5(
        MERCHANT + number + payhere.format_amount(total) + "LKR" + md5(SECRET))
    assert state(ph_app, number) == ("pending_payment", "cancelled")
    with ph_app.app_context():
        assert sum(inventory.held_units(number).values()) == 2  # still reserved
        db.session.remove()
    assert "Pay now" in client.get(f"/orders/{number}?t={token}").get_data(as_text=True)


def test_the_cancel_page_of_an_order_paid_meanwhile(ph_app):
    number, token, total = place_payhere_order(ph_app)
    notify(ph_app, number, total)
    html = ph_app.test_client().get(
        f"/payments/payhere/cancel?order_id={number}&t={token}").get_data(as_text=True)
    assert text(html, tag="h1") == "This order is already paid"
    assert not find(html, cls="payhere-form")


# ---- the return token: PayHere's way back carries no order link ------------------------------

def _back_from_payhere(app, number: str, page: str = "return_url") -> str:
    """The path PayHere sends the shopper back to (return or cancel), as built for the form."""
    url = urlsplit(form_of(app, number, since=1).fields[page])
    return f"{url.path}?{url.query}"


def test_back_from_payhere_a_new_browser_sees_the_payment_state_only(ph_app):
    number, _token, total = place_payhere_order(ph_app)
    back = _back_from_payhere(ph_app, number)
    client = ph_app.test_client()  # the app's web view, or another device: no session

    waiting = client.get(back)
    html = waiting.get_data(as_text=True)
    assert waiting.status_code == 200 and "no-store" in waiting.headers["Cache-Control"]
    assert text(html, tag="h1") == "Waiting for PayHere"
    poll = find(html, id="payment-state")[0]["attrs"]["hx-get"]
    assert "r=" in poll and "t=" not in poll
    assert find(html, tag="a", href=f"/order-link?number={number}")  # "Find your order"
    assert "sarah@example.lk" not in html and "?t=" not in html

    notify(ph_app, number, total, "-2")
    failed = client.get(back).get_data(as_text=True)
    assert text(failed, tag="h1") == "The payment did not go through"
    # The "Try again" form carries the customer's name, email, phone and address.
    assert not find(failed, cls="payhere-form") and "sarah@example.lk" not in failed
    assert f"To try again, open your order {number} first." in failed

    notify(ph_app, number, total)
    paid = client.get(back).get_data(as_text=True)
    assert text(paid, tag="h1") == "Payment received"


def test_the_cancel_url_with_the_return_token_shows_no_form_to_a_new_browser(ph_app):
    number, _token, total = place_payhere_order(ph_app)
    notify(ph_app, number, total, "-1")

    page = ph_app.test_client().get(_back_from_payhere(ph_app, number, "cancel_url"))

    html = page.get_data(as_text=True)
    assert page.status_code == 200 and text(html, tag="h1") == "Payment cancelled"
    assert not find(html, cls="payhere-form") and "sarah@example.lk" not in html
    assert find(html, tag="a", href=f"/order-link?number={number}")


def test_the_browser_that_left_from_the_pay_page_gets_its_order_link_back(ph_app):
    number, token, total = place_payhere_order(ph_app)
    client = ph_app.test_client()
    assert client.get(f"/payments/payhere/{number}/pay?t={token}").status_code == 200
    notify(ph_app, number, total, "-2")

    html = client.get(_back_from_payhere(ph_app, number)).get_data(as_text=True)

    assert find(html, cls="payhere-form")  # try again, from here
    [link] = [a["attrs"]["href"] for a in find(html, tag="a")
              if a["text"] == "View your order"]
    assert token_order(ph_app, parse_qs(urlsplit(link).query)["t"][0]) == number
    assert client.get(link).status_code == 200


def test_a_customers_return_page_links_to_their_account_order(ph_app, login):
    with ph_app.app_context():
        nimal = make_customer(email="nimal@example.lk")
        variant = stocked("Ceylon tea", units=5)
        number = customer_order(nimal, (variant, 1), method="payhere").number
        db.session.remove()
    back = _back_from_payhere(ph_app, number)

    signed_out = ph_app.test_client().get(back).get_data(as_text=True)
    client = ph_app.test_client()
    login(nimal, c=client)
    signed_in = client.get(back).get_data(as_text=True)

    assert find(signed_out, tag="a", href=f"/account/orders/{number}")
    assert "nimal@example.lk" not in signed_out
    assert find(signed_in, tag="a", href=f"/account/orders/{number}")


def test_the_return_token_opens_no_other_page_and_no_other_order(ph_app):
    number, _token, _total = place_payhere_order(ph_app)
    other, _other_token, _ = place_payhere_order(ph_app)
    r = parse_qs(urlsplit(_back_from_payhere(ph_app, number)).query)["r"][0]
    client = ph_app.test_client()

    assert client.get(f"/payments/payhere/{number}/pay?r={r}").status_code == 404
    assert client.get(f"/payments/payhere/{number}/pay?t={r}").status_code == 404
    assert client.get(f"/orders/{number}?t={r}").status_code == 404
    assert client.get(f"/payments/payhere/return?order_id={other}&r={r}").status_code == 404
    assert client.get(f"/payments/payhere/return?order_id={number}&r={r}x").status_code == 404


def test_the_return_token_expires_and_ends_with_the_orders_links(ph_app, monkeypatch):
    from itsdangerous.timed import TimestampSigner

    number, _token, _total = place_payhere_order(ph_app)
    fresh = _back_from_payhere(ph_app, number)
    signed_at = int(time.time()) - checkout_flow.RETURN_TOKEN_HOURS * 3600 - 60
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: signed_at)
    stale = _back_from_payhere(ph_app, number)
    monkeypatch.undo()
    client = ph_app.test_client()

    assert client.get(fresh).status_code == 200
    assert client.get(stale).status_code == 404
    with ph_app.app_context():
        orders.revoke_links(orders.find_by_number(number))
        db.session.commit()
        db.session.remove()
    assert client.get(fresh).status_code == 404


# ---- "Payment received": the order and what happens next -----------------------------------------

def _words(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_payment_received_shows_the_order_and_what_happens_next(ph_app):
    number, token, total = place_payhere_order(ph_app)
    notify(ph_app, number, total)

    html = ph_app.test_client().get(
        f"/payments/payhere/return?order_id={number}&t={token}").get_data(as_text=True)

    words = _words(html)
    assert text(html, tag="h1") == "Payment received"
    assert "We pack your order and text you when it ships." in words
    assert "Ceylon tea" in texts(html, cls="summary-name")[0]
    assert "2 × Rs. 1,250.00" in words
    assert texts(html, cls="grand-total") == ["Paid", "Rs. 2,850.00"]
    assert "Delivery Rs. 350.00" in words
    assert "5 Church Street" in words and "Galle" in words
    assert find(html, tag="a", href=f"/orders/{number}?t={token}")
    assert "not confirmed yet" not in words


def test_a_payment_not_confirmed_yet_says_so_with_the_order(ph_app):
    number, token, _total = place_payhere_order(ph_app)

    html = ph_app.test_client().get(
        f"/payments/payhere/return?order_id={number}&t={token}&since=1").get_data(as_text=True)

    words = _words(html)
    assert "Your payment of Rs. 2,850.00 is not confirmed yet." in words
    assert "Please do not pay again." in words
    assert "When the payment is confirmed, we pack your order" in words
    assert texts(html, cls="grand-total") == ["Total", "Rs. 2,850.00"]
    assert polls(html)


def test_a_paid_booking_says_when_it_is(ph_app):
    with ph_app.app_context():
        variant, slot = service_with_slot("Laptop servicing")
        order = place_guest_order((variant, 1, slot), payment_method="payhere",
                                  delivery_option=None, address=None)
        number, token, total = order.number, orders.guest_token(order.number), order.total_cents
        from app.i18n import local_time

        when = local_time(order.lines[0].slot_starts_at)
        db.session.remove()
    notify(ph_app, number, total)

    html = ph_app.test_client().get(
        f"/payments/payhere/return?order_id={number}&t={token}").get_data(as_text=True)

    words = _words(html)
    assert f"Your booking for Laptop servicing on {when} is confirmed." in words
    assert "ships" not in words and "Deliver to" not in words


def test_with_only_the_return_token_the_paid_page_shows_no_order_details(ph_app):
    number, _token, total = place_payhere_order(ph_app)
    back = _back_from_payhere(ph_app, number)
    notify(ph_app, number, total)

    html = ph_app.test_client().get(back).get_data(as_text=True)

    assert text(html, tag="h1") == "Payment received"
    assert "5 Church Street" not in html and "Sarah" not in html
    assert not find(html, cls="summary-lines")


def test_a_service_at_the_shop_is_billed_at_the_address_staff_saved(ph_app):
    with ph_app.app_context():
        content.save_details({"address_en": "12 Temple Road, Kandy"})
        variant, slot = service_with_slot("Laptop servicing")
        order = place_guest_order((variant, 1, slot), payment_method="payhere",
                                  delivery_option=None, address=None)
        number = order.number
        db.session.remove()
    fields = form_of(ph_app, number).fields
    assert (fields["address"], fields["city"]) == ("12 Temple Road", "Kandy")
