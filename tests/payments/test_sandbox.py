"""The local PayHere sandbox: it checks the form as PayHere would, and on Pay, Fail or Cancel
posts a signed notification from a background thread, over HTTP, to the shop's notify URL
and sends the browser back. It answers 404 in production mode and whenever it is off.
Run on SQLite and on PostgreSQL (`--db`)."""

from __future__ import annotations

import http.client
import threading
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from werkzeug.serving import make_server

from app import db
from app.inventory import services as inventory
from app.orders import services as orders
from app.payments import payhere, sandbox, services as payments
from app.payments.models import PaymentEvent
from app.queue import wait_for_local_jobs
from tests.catalog.pages import attr, find, text, texts
from tests.checkout.factories import place_guest_order, stocked
from tests.conftest import PRODUCTION_SETTINGS
from tests.payments.test_checkout_flow import MERCHANT, SECRET, md5, payhere_settings

ROUTES = ("/payhere-sandbox/pay/checkout", "/payhere-sandbox/pay/complete")


class LiveApp:
    """The app served over real HTTP on a free port, so the sandbox's background thread has
    somewhere to post; `client` talks to it by the same address (the host the notify URL
    is built from)."""

    def __init__(self, app, *, threaded: bool = True):
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=threaded)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.client = app.test_client()

    def get(self, path, **kwargs):
        return self.client.get(self.url + path, **kwargs)

    def post(self, path, **kwargs):
        return self.client.post(self.url + path, **kwargs)

    def stop(self):
        sandbox.wait_for_notifications(self.app)
        wait_for_local_jobs(self.app)
        self.server.shutdown()
        self.thread.join(10)


@pytest.fixture()
def live(make_app):
    served = LiveApp(make_app(**payhere_settings(PAYHERE_LOCAL_SANDBOX=True)))
    yield served
    served.stop()


def place_order(app) -> tuple[str, str, int]:
    """A guest's PayHere order waiting for payment: (number, link token, total cents)."""
    with app.app_context():
        variant = stocked("Ceylon tea", units=5, price_cents=1_250_00)
        placed = place_guest_order((variant, 2), payment_method="payhere")
        result = placed.number, orders.guest_token(placed.number), placed.total_cents
        db.session.remove()
    return result


@pytest.fixture()
def order(live):
    return place_order(live.app)


def pay_form(live, number: str, token: str) -> tuple[str, dict[str, str]]:
    """The form on the shop's "Pay for order" page: its action and hidden fields."""
    html = live.get(f"/payments/payhere/{number}/pay?t={token}").get_data(as_text=True)
    form = find(html, cls="payhere-form")[0]["attrs"]
    names = ("merchant_id", "return_url", "cancel_url", "notify_url", "first_name",
             "last_name", "email", "phone", "address", "city", "country", "order_id", "items",
             "currency", "amount", "hash")
    return form["action"], {name: attr(html, "value", name=name) for name in names}


def ledger(app, number: str) -> tuple[str, str, list[str]]:
    with app.app_context():
        order = orders.find_by_number(number)
        payment = payments.payment_for(number, "payhere")
        kinds = [e.kind for e in db.session.query(PaymentEvent).filter_by(
            payment_id=payment.id).order_by(PaymentEvent.id)]
        result = order.status, payment.status, kinds
        db.session.remove()
    return result


# ---- the checkout page -------------------------------------------------------------------------

def test_the_shops_form_comes_to_the_sandbox_which_shows_the_order(live, order):
    number, token, total = order
    action, fields = pay_form(live, number, token)
    assert action == f"{live.url}/payhere-sandbox/pay/checkout"

    page = live.post("/payhere-sandbox/pay/checkout", data=fields)

    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert text(html, tag="h1") == "Pay Rs. 2,850.00"
    assert text(html, id="sandbox-order") == number
    assert text(html, id="sandbox-amount") == f"LKR {payhere.format_amount(total)}"
    assert texts(html, tag="button") == ["Pay", "Fail", "Cancel"]
    assert attr(html, "value", name="hash") == fields["hash"]
    assert not find(html, tag="script")


@pytest.mark.parametrize(("change", "problem"), [
    ({"amount": "1.00"}, "The hash does not match"),
    ({"order_id": "KD-2026-999999"}, "The hash does not match"),
    ({"hash": "0" * 32}, "The hash does not match"),
    ({"merchant_id": "999999"}, "Unknown merchant."),
    ({"amount": "2850"}, "two decimals"),
    ({"email": ""}, "Missing fields: email."),
    ({"notify_url": "http://attacker.example/payhere"}, "must be this shop"),
    ({"return_url": "https://elsewhere.example/thanks"}, "must be this shop"),
])
def test_a_form_payhere_would_refuse_is_refused(live, order, change, problem):
    number, token, _total = order
    _action, fields = pay_form(live, number, token)

    for route in ROUTES:
        answer = live.post(route, data={**fields, **change, "outcome": "pay"})
        assert answer.status_code == 400
        assert problem in answer.get_data(as_text=True)
    sandbox.wait_for_notifications(live.app)
    assert ledger(live.app, number) == ("pending_payment", "initiated", ["initiated"])


def test_a_form_signed_with_another_secret_is_refused(live, order):
    number, token, total = order
    _action, fields = pay_form(live, number, token)
    amount = payhere.format_amount(total)
    forged = md5(MERCHANT + number + amount + "LKR" + md5("not-the-secret"))

    answer = live.post(ROUTES[0], data={**fields, "hash": forged})

    assert answer.status_code == 400 and "The hash does not match" in answer.get_data(
        as_text=True)


def test_an_outcome_must_be_pay_fail_or_cancel(live, order):
    number, token, _total = order
    _action, fields = pay_form(live, number, token)
    answer = live.post(ROUTES[1], data={**fields, "outcome": "refund"})
    assert answer.status_code == 400
    assert ledger(live.app, number)[2] == ["initiated"]


# ---- the outcomes ------------------------------------------------------------------------------

def test_pay_posts_a_signed_notification_and_the_order_is_paid(live, order):
    number, token, _total = order
    _action, fields = pay_form(live, number, token)

    answer = live.post(ROUTES[1], data={**fields, "outcome": "pay"})

    assert answer.status_code == 303
    assert answer.headers["Location"] == fields["return_url"]  # it has the order id already
    sandbox.wait_for_notifications(live.app)  # the background post, over HTTP
    assert ledger(live.app, number) == ("paid", "captured", ["initiated", "captured"])
    back = urlsplit(answer.headers["Location"])
    html = live.get(f"{back.path}?{back.query}").get_data(as_text=True)
    assert text(html, tag="h1") == "Payment received"


def test_fail_leaves_the_order_waiting_and_the_return_page_says_so(live, order):
    number, token, _total = order
    _action, fields = pay_form(live, number, token)

    answer = live.post(ROUTES[1], data={**fields, "outcome": "fail"})

    assert answer.headers["Location"] == fields["return_url"]
    sandbox.wait_for_notifications(live.app)
    assert ledger(live.app, number) == ("pending_payment", "failed", ["initiated", "failed"])
    back = urlsplit(answer.headers["Location"])
    html = live.get(f"{back.path}?{back.query}").get_data(as_text=True)
    assert text(html, tag="h1") == "The payment did not go through"


def test_cancel_goes_to_the_cancel_page_and_the_order_stays_payable(live, order):
    number, token, _total = order
    _action, fields = pay_form(live, number, token)

    answer = live.post(ROUTES[1], data={**fields, "outcome": "cancel"})

    assert answer.status_code == 303
    back = urlsplit(answer.headers["Location"])
    assert back.path == "/payments/payhere/cancel"
    assert parse_qs(back.query)["order_id"] == [number]
    sandbox.wait_for_notifications(live.app)
    assert ledger(live.app, number) == ("pending_payment", "cancelled",
                                        ["initiated", "cancelled"])
    with live.app.app_context():
        assert sum(inventory.held_units(number).values()) == 2
        db.session.remove()
    html = live.get(f"{back.path}?{back.query}").get_data(as_text=True)
    assert "Try again" in texts(html, tag="button")


def test_a_server_serving_one_request_at_a_time_is_not_deadlocked(make_app):
    # The browser's choice is answered first; the notification follows from a thread, and
    # the single-threaded server takes it once it is free.
    served = LiveApp(make_app(**payhere_settings(PAYHERE_LOCAL_SANDBOX=True)), threaded=False)
    try:
        number, token, _total = place_order(served.app)
        _action, fields = pay_form(served, number, token)
        connection = http.client.HTTPConnection("127.0.0.1", served.server.server_port,
                                                timeout=10)
        connection.request("POST", ROUTES[1], body=urlencode({**fields, "outcome": "pay"}),
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
        answer = connection.getresponse()
        answer.read()
        connection.close()
        assert answer.status == 303
        sandbox.wait_for_notifications(served.app)
        assert ledger(served.app, number)[:2] == ("paid", "captured")
    finally:
        served.stop()


def test_the_notification_is_signed_as_payhere_signs_them(live):
    fields = {"order_id": "KD-2026-000123", "amount": "1250.00", "currency": "LKR",
              "first_name": "Sarah", "last_name": "Fernando"}
    with live.app.app_context():
        note = sandbox.signed_notification(fields, "2", "ok")
    assert note["md5sig"] == md5(MERCHANT + "KD-2026-000123" + "1250.00" + "LKR" + "2"
                                 + md5(SECRET))
    assert note["md5sig"] == "0E77A1A98574F3521A0EB6A167C4932F"  # ../shared/PAYHERE.md
    assert note["payment_id"].isdigit() and note["payhere_amount"] == "1250.00"


def test_with_csrf_on_the_choice_needs_the_pages_token(make_app):
    app = make_app(**payhere_settings(PAYHERE_LOCAL_SANDBOX=True, WTF_CSRF_ENABLED=True))
    answer = app.test_client().post(ROUTES[1], data={"outcome": "pay"})
    assert answer.status_code == 400
    assert "This form expired" in answer.get_data(as_text=True)


# ---- off --------------------------------------------------------------------------------------

@pytest.mark.parametrize("settings", [
    {"PAYHERE_LOCAL_SANDBOX": False},
    {"PAYHERE_LOCAL_SANDBOX": True, "PAYHERE_SANDBOX": False},
    {"PAYHERE_LOCAL_SANDBOX": True, **PRODUCTION_SETTINGS, "WTF_CSRF_ENABLED": True},
], ids=["local-sandbox-off", "payhere-sandbox-off", "production"])
def test_every_sandbox_route_is_a_404_when_it_is_off(make_app, settings):
    app = make_app(**payhere_settings(**settings))
    client = app.test_client()
    for route in ROUTES:
        assert client.get(route).status_code == 404
        assert client.post(route, data={"outcome": "pay"}).status_code == 404
    assert client.get("/payhere-sandbox/").status_code == 404


def test_the_sandbox_takes_posts_only(live):
    assert live.get(ROUTES[0]).status_code == 405


def test_the_default_development_settings_turn_the_local_sandbox_on(monkeypatch, tmp_path):
    from app import config

    for name in ("PAYHERE_MERCHANT_ID", "PAYHERE_MERCHANT_SECRET", "PAYHERE_SANDBOX",
                 "PAYHERE_LOCAL_SANDBOX", "KADE_ENV"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("KADE_INSTANCE_PATH", str(tmp_path))
    settings = config.from_environment()
    assert settings["PAYHERE_LOCAL_SANDBOX"] and settings["PAYHERE_SANDBOX"]
    assert settings["PAYHERE_MERCHANT_ID"] == config.PAYHERE_DEMO_MERCHANT_ID
    kept = (tmp_path / "payhere_merchant_secret").read_text()
    assert settings["PAYHERE_MERCHANT_SECRET"] == kept  # made once, kept like the others
    assert config.from_environment()["PAYHERE_MERCHANT_SECRET"] == kept

    monkeypatch.setenv("PAYHERE_MERCHANT_ID", "1211149")  # a real merchant: no local sandbox
    assert not config.from_environment()["PAYHERE_LOCAL_SANDBOX"]
    monkeypatch.delenv("PAYHERE_MERCHANT_ID")
    monkeypatch.setenv("KADE_ENV", "production")
    production = config.from_environment()
    assert not production["PAYHERE_LOCAL_SANDBOX"] and not production["PAYHERE_MERCHANT_ID"]
