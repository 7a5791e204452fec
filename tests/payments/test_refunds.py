"""Refunds: never more than is left, the order and the ledger in step, stock back only when
chosen (and never twice), the customer told, and PayHere's Refund API spoken to a server on
127.0.0.1 that follows PayHere's protocol (OAuth client-credentials token, then the refund)."""

from __future__ import annotations

import base64
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import pytest

from app import db
from app.audit.models import AuditEntry
from app.db import transaction
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.inventory import services as inventory
from app.orders import services as orders
from app.payments import payhere, refunds, services as payments
from app.payments.models import Payment, PaymentEvent, Refund
from tests.checkout.factories import place_guest_order, stocked
from tests.conftest import Outbox
from tests.factories import make_staff

MERCHANT = "1211149"
SECRET = "MzA0NjA3OTI1MTI4NjM4MjQ0MDcxNzM2OTMwNjY5MTM1MjcyMTQ0Mg=="
APP_ID = "4OVx33RVOPg4DzdZUzq4A94D2"
APP_SECRET = "8n4VCj25MXp4JLDFyvsE9h4a8qgbPaZUI4JEWK4FCvop"  # noqa: S105 — PayHere's doc sample
TEA, SOAP = 1_250_00, 280_00


# ---- an order of two lines, delivered and paid in cash ----------------------------------------

def _delivered(*, tea_units=2, soap_units=1, method="cod"):
    """Tea × 2 and soap × 1 (cash on delivery to Galle), collected, shipped and delivered."""
    tea = stocked("Ceylon tea", units=10, price_cents=TEA, sku="TEA-1")
    soap = stocked("Herbal soap", units=10, price_cents=SOAP, sku="SOAP-1")
    order = place_guest_order((tea, tea_units), (soap, soap_units), payment_method=method)
    payments.mark_collected(order.number, order.total_cents)
    orders.change_status(order.number, "shipped")
    orders.change_status(order.number, "delivered")
    return order, tea, soap


def _line(order, sku):
    return next(line for line in orders.find_by_number(order.number).lines if line.sku == sku)


def _on_hand(variant) -> int:
    return inventory.available([variant.id])[variant.id]


@pytest.fixture()
def manager(db_session):
    return make_staff("order_manager")


@pytest.fixture()
def delivered(db_session):
    return _delivered()


def test_a_partial_refund_of_one_line_leaves_the_order_partly_refunded_and_the_books_balanced(
        delivered, manager, outbox):
    order, tea, soap = delivered
    tea_before, soap_before = _on_hand(tea), _on_hand(soap)

    refund = refunds.refund(order.number, TEA, lines={_line(order, "TEA-1").id: 1},
                            restock=True, reason="One box arrived crushed", actor=manager)

    order = orders.find_by_number(order.number)
    payment = payments.payment_for(order.number, "cod")
    assert order.status == "partially_refunded"
    assert (payment.status, payment.captured_cents, payment.refunded_cents) == (
        "partially_refunded", order.total_cents, TEA)
    assert payment.captured_cents - payment.refunded_cents == order.total_cents - TEA
    assert sum(e.amount_cents for e in payment.events if e.kind == "refunded") == TEA
    assert (_on_hand(tea), _on_hand(soap)) == (tea_before + 1, soap_before)
    assert inventory.ledger_problems() == []
    assert (refund.mode, refund.state) == ("manual", "to_pay_back")  # cash: paid back by hand
    assert [(rl.units, rl.restocked_units) for rl in refund.lines] == [(1, 1)]
    mail = outbox.to("sarah@example.lk", f"order:{order.number}:order_refunded")
    assert len(mail) == 1 and "Rs. 1,250.00" in Outbox.text(mail[0])
    assert db.session.query(AuditEntry).filter_by(action="payments.refund",
                                                  success=True).count() == 1
    timeline = orders.public_events(order)[-1]
    assert (timeline.status, timeline.note) == ("partially_refunded", "Rs. 1,250.00 refunded.")


def test_a_preview_states_the_refund_and_changes_nothing(delivered, manager, outbox):
    order, tea, _soap = delivered
    tea_before = _on_hand(tea)
    sent_before = len(outbox.messages())

    plan = refunds.preview(order.number, TEA, lines={_line(order, "TEA-1").id: 1},
                           restock=True, reason="  One box arrived crushed ", actor=manager)

    assert (plan.amount_cents, plan.left_cents, plan.fully) == (TEA, order.total_cents, False)
    assert plan.reason == "One box arrived crushed" and plan.through_payhere is False
    assert [(line.sku, units, back) for line, units, back in plan.units] == [("TEA-1", 1, 1)]
    assert payments.payment_for(order.number, "cod").refunded_cents == 0
    assert refunds.refunds_of(order.number) == [] and _on_hand(tea) == tea_before
    assert len(outbox.messages()) == sent_before
    assert db.session.query(AuditEntry).filter_by(action="payments.refund").count() == 0


@pytest.mark.parametrize("amount, error, message", [
    (0, Invalid, "Enter an amount above zero."),
    (-1, Invalid, "Enter an amount above zero."),
    (TEA * 10, Invalid, "You can refund at most Rs. 3,130.00."),
])
def test_a_preview_refuses_what_the_refund_would(delivered, manager, amount, error, message):
    order, _tea, _soap = delivered

    with pytest.raises(error) as refused:
        refunds.preview(order.number, amount, reason="Late", actor=manager)

    assert str(refused.value.message) == message


def test_a_preview_needs_the_permission(delivered):
    order, _tea, _soap = delivered

    with pytest.raises(Forbidden):
        refunds.preview(order.number, TEA, reason="Late", actor=make_staff("support_agent"))


def test_stock_stays_where_it_is_unless_staff_choose_to_return_it(delivered, manager):
    order, tea, soap = delivered
    tea_before = _on_hand(tea)

    refunds.refund(order.number, TEA, lines={_line(order, "TEA-1").id: 1}, restock=False,
                   reason="Goodwill", actor=manager)

    assert _on_hand(tea) == tea_before
    assert inventory.ledger_problems() == []


def test_refunding_the_rest_refunds_the_order_and_returns_no_unit_twice(delivered, manager):
    order, tea, _soap = delivered
    tea_line, soap_line = _line(order, "TEA-1"), _line(order, "SOAP-1")
    tea_before = _on_hand(tea)
    refunds.refund(order.number, TEA, lines={tea_line.id: 1}, restock=True, reason="Crushed",
                   actor=manager)

    rest = order.total_cents - TEA
    refunds.refund(order.number, rest, lines={tea_line.id: 1, soap_line.id: 1}, restock=True,
                   reason="Customer sent the rest back", actor=manager)

    assert orders.find_by_number(order.number).status == "refunded"
    payment = payments.payment_for(order.number, "cod")
    assert (payment.status, payment.refunded_cents) == ("refunded", order.total_cents)
    assert _on_hand(tea) == tea_before + 2  # both units sent, each back once
    with pytest.raises(Conflict):  # nothing left to refund
        refunds.refund(order.number, 100, lines={tea_line.id: 1}, restock=True,
                       reason="Again", actor=manager)
    assert _on_hand(tea) == tea_before + 2
    assert inventory.ledger_problems() == []


def test_only_units_that_were_sent_go_back_on_the_shelf(db_session, manager):
    tea = stocked("Ceylon tea", units=10, price_cents=TEA, sku="TEA-1")
    order = place_guest_order((tea, 2))
    payments.mark_collected(order.number, order.total_cents)
    line = _line(order, "TEA-1")
    orders.fulfil(order.number, {line.id: 1})  # one box sent, one still held
    available_before = _on_hand(tea)

    refunds.refund(order.number, 2 * TEA, lines={line.id: 2}, restock=True,
                   reason="Both boxes: one lost in the post, one not sent", actor=manager)

    assert _on_hand(tea) == available_before + 1  # the sent box; the held one stays held
    assert inventory.ledger_problems() == []
    assert orders.find_by_number(order.number).status == "processing"  # still to go out


def test_a_full_refund_before_shipping_ends_the_order_and_frees_what_it_held(db_session, manager):
    tea = stocked("Ceylon tea", units=5, price_cents=TEA)
    order = place_guest_order((tea, 2), payment_method="bank_transfer")
    with transaction():  # the transfer arrived
        payment = payments.payment_for(order.number, "bank_transfer")
        payment.events.append(PaymentEvent(kind="captured", amount_cents=order.total_cents,
                                           dedupe_key="test:capture"))
        payments.apply_outcome(payment, "captured", order.total_cents, None)
    assert _on_hand(tea) == 3

    refunds.refund(order.number, order.total_cents, reason="Changed their mind", actor=manager)

    assert orders.find_by_number(order.number).status == "refunded"
    assert _on_hand(tea) == 5 and inventory.held_units(order.number) == {}
    assert inventory.ledger_problems() == []


def test_money_that_came_after_a_cancellation_is_refunded_and_the_flag_cleared(
        db_session, manager):
    order = place_guest_order(stocked(units=3), payment_method="bank_transfer")
    orders.change_status(order.number, "cancelled")
    with transaction():  # the transfer arrived after the order expired
        payment = payments.payment_for(order.number, "bank_transfer")
        payments.apply_outcome(payment, "captured", order.total_cents, None)
    assert payment.flagged

    refunds.refund(order.number, order.total_cents, reason="Paid after it expired",
                   actor=manager)

    assert orders.find_by_number(order.number).status == "cancelled"
    assert (payment.status, payment.flagged) == ("refunded", None)


def _another_orders_line():
    other = place_guest_order(stocked("Kithul treacle", units=3, sku="KIT-1"))
    return other.lines[0].id


@pytest.mark.parametrize("case", [
    "above what is left", "negative", "zero", "another order's line", "more units than bought",
    "negative units", "no reason", "restock without items",
])
def test_bad_refunds_change_nothing(delivered, manager, case):
    order, tea, _soap = delivered
    tea_line = _line(order, "TEA-1")
    args = {"amount_cents": TEA, "lines": {tea_line.id: 1}, "restock": True,
            "reason": "Crushed"}
    field = {"above what is left": "amount", "negative": "amount", "zero": "amount",
             "no reason": "reason"}.get(case, "lines")
    if case == "above what is left":
        args["amount_cents"] = order.total_cents + 1
    elif case == "negative":
        args["amount_cents"] = -TEA
    elif case == "zero":
        args["amount_cents"] = 0
    elif case == "another order's line":
        args["lines"] = {_another_orders_line(): 1}
    elif case == "more units than bought":
        args["lines"] = {tea_line.id: 3}
    elif case == "negative units":
        args["lines"] = {tea_line.id: -1}
    elif case == "no reason":
        args["reason"] = "   "
    elif case == "restock without items":
        args["lines"] = {}
    tea_before = _on_hand(tea)

    with pytest.raises(Invalid) as refused:
        refunds.refund(order.number, args.pop("amount_cents"), actor=manager, **args)

    assert refused.value.field == field
    db.session.rollback()
    payment = payments.payment_for(order.number, "cod")
    assert (payment.status, payment.refunded_cents) == ("captured", 0)
    assert orders.find_by_number(order.number).status == "delivered"
    assert _on_hand(tea) == tea_before
    assert db.session.query(Refund).count() == 0


def test_an_unpaid_order_and_an_unknown_one_cannot_be_refunded(db_session, manager):
    order = place_guest_order(stocked())  # cash on delivery, not collected yet

    with pytest.raises(Conflict):
        refunds.refund(order.number, 100, reason="x", actor=manager)
    with pytest.raises(NotFound):
        refunds.refund("KD-2026-999999", 100, reason="x", actor=manager)


@pytest.mark.parametrize("role", ["support_agent", "catalog_manager", "marketing"])
def test_only_payment_staff_refund(delivered, role):
    order, _tea, _soap = delivered

    with pytest.raises(Forbidden):
        refunds.refund(order.number, TEA, reason="x", actor=make_staff(role))

    assert payments.payment_for(order.number, "cod").refunded_cents == 0


def test_the_same_refund_form_posted_twice_refunds_once(delivered, manager):
    order, _tea, _soap = delivered
    key = refunds.new_request_key()

    first = refunds.refund(order.number, TEA, reason="x", actor=manager, request_key=key)
    again = refunds.refund(order.number, TEA, reason="x", actor=manager, request_key=key)

    assert first.id == again.id
    assert payments.payment_for(order.number, "cod").refunded_cents == TEA


def test_a_manual_refund_is_marked_paid_back_once(delivered, manager):
    order, _tea, _soap = delivered
    refund = refunds.refund(order.number, TEA, reason="x", actor=manager)

    refunds.mark_paid_back(refund.id, actor=manager)

    assert refund.state == "paid_back" and refund.settled_by == manager.id
    with pytest.raises(Conflict):
        refunds.mark_paid_back(refund.id, actor=manager)
    with pytest.raises(Forbidden):
        refunds.mark_paid_back(refund.id, actor=make_staff("support_agent"))


# ---- PayHere's Refund API, on 127.0.0.1 --------------------------------------------------------

class FakePayHere:
    """PayHere's Merchant API as documented: POST /merchant/v1/oauth/token (Basic auth,
    grant_type=client_credentials), POST /merchant/v1/payment/refund (Bearer token, JSON
    payment_id, description[, amount]) and POST /merchant/v1/subscription/cancel (Bearer
    token, JSON subscription_id), answering {"status": 1, "msg", "data"}."""

    TOKEN = "cb5c47fd-741c-489a-b69e-fd73155ca34e"  # noqa: S105

    def __init__(self):
        self.requests: list[dict] = []
        self.refund_answer = (200, {"status": 1, "msg": "Successfully processed the refund",
                                    "data": 560034010257})
        self.cancel_answer = (200, {"status": 1, "msg": "Successfully cancelled the "
                                                        "subscription", "data": None})
        self.token_status = 200
        self.refund_delay = 0.0  # seconds PayHere takes to answer a refund
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                fake.requests.append({"path": self.path, "headers": dict(self.headers),
                                      "body": body})
                if self.path == "/merchant/v1/oauth/token":
                    expected = "Basic " + base64.b64encode(
                        f"{APP_ID}:{APP_SECRET}".encode()).decode()
                    ok = (self.headers.get("Authorization") == expected
                          and parse_qs(body.decode()) == {"grant_type": ["client_credentials"]}
                          and fake.token_status == 200)
                    self._answer(200 if ok else 401, {
                        "access_token": fake.TOKEN, "token_type": "bearer",
                        "expires_in": 599, "scope": "SANDBOX"} if ok else {
                        "error": "invalid_client", "error_description": "Bad credentials"})
                elif self.path == "/merchant/v1/payment/refund":
                    if self.headers.get("Authorization") != f"Bearer {fake.TOKEN}":
                        self._answer(401, {"error": "invalid_token"})
                    else:
                        time.sleep(fake.refund_delay)
                        self._answer(*fake.refund_answer)
                elif self.path == "/merchant/v1/subscription/cancel":
                    if self.headers.get("Authorization") != f"Bearer {fake.TOKEN}":
                        self._answer(401, {"error": "invalid_token"})
                    else:
                        self._answer(*fake.cancel_answer)
                else:
                    self._answer(404, {})

            def _answer(self, status, data):
                text = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(text)))
                self.end_headers()
                self.wfile.write(text)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def refund_requests(self) -> list[dict]:
        return [json.loads(r["body"]) for r in self.requests
                if r["path"] == "/merchant/v1/payment/refund"]


@pytest.fixture()
def payhere_api():
    fake = FakePayHere()
    fake.thread.start()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


def _payhere_app(make_app, api_url, **extra):
    return make_app(PAYHERE_MERCHANT_ID=MERCHANT, PAYHERE_MERCHANT_SECRET=SECRET,
                    PAYHERE_APP_ID=APP_ID, PAYHERE_APP_SECRET=APP_SECRET,
                    PAYHERE_API_URL=api_url, **extra)


def _paid_by_card(app) -> tuple[str, int]:
    """An order paid through a signed PayHere notification, then delivered."""
    with app.app_context():
        tea = stocked("Ceylon tea", units=10, price_cents=TEA, sku="TEA-1")
        order = place_guest_order((tea, 2), payment_method="bank_transfer")
        payments.open_payment(order.number, "payhere", order.total_cents)
        db.session.commit()
        amount = payhere.format_amount(order.total_cents)
        outcome = payments.record_payhere_notification({
            "merchant_id": MERCHANT, "order_id": order.number, "payment_id": "320025071",
            "payhere_amount": amount, "payhere_currency": "LKR", "status_code": "2",
            "md5sig": payhere.notification_signature(MERCHANT, order.number, amount, "LKR",
                                                     "2", SECRET),
            "card_holder_name": "SARAH FERNANDO", "method": "VISA"})
        assert outcome == "applied"
        for status in ("processing", "shipped", "delivered"):
            orders.change_status(order.number, status)
        number, total = order.number, order.total_cents
        db.session.remove()
    return number, total


def _state(app, number):
    with app.app_context():
        payment = db.session.query(Payment).filter_by(order_number=number,
                                                      method="payhere").one()
        result = (orders.find_by_number(number).status, payment.status, payment.refunded_cents,
                  [(r.mode, r.state, r.provider_ref) for r in refunds.refunds_of(number)])
        db.session.remove()
    return result


def _refund(app, number, amount, **kwargs):
    with app.app_context():
        try:
            return refunds.refund(number, amount, reason="Out of stock", actor=None, **kwargs)
        finally:
            db.session.remove()


def test_a_whole_payhere_payment_is_refunded_through_payheres_api(make_app, payhere_api):
    app = _payhere_app(make_app, payhere_api.url)
    number, total = _paid_by_card(app)

    _refund(app, number, total)

    assert _state(app, number) == ("refunded", "refunded", total,
                                   [("gateway", "done", "560034010257")])
    token_request = payhere_api.requests[0]
    assert token_request["path"] == "/merchant/v1/oauth/token"
    [sent] = payhere_api.refund_requests()
    assert sent == {"payment_id": "320025071", "description": f"{number}: Out of stock"}
    mails = Outbox(app, Path(app.config["OUTBOX_DIR"])).to("sarah@example.lk")
    refunded = [m for m in mails if "order_refunded" in m["X-Kade-Dedupe-Key"]]
    assert "card or account you paid with" in Outbox.text(refunded[0])


def test_a_partial_payhere_refund_is_manual_unless_partial_refunds_are_switched_on(
        make_app, payhere_api):
    app = _payhere_app(make_app, payhere_api.url)
    number, _total = _paid_by_card(app)

    _refund(app, number, 500_00)

    assert payhere_api.requests == []
    assert _state(app, number)[3] == [("manual", "to_pay_back", None)]

    app = _payhere_app(make_app, payhere_api.url, PAYHERE_PARTIAL_REFUNDS=True)
    _refund(app, number, 250_00)

    [sent] = payhere_api.refund_requests()
    assert sent["amount"] == 250.00 and sent["payment_id"] == "320025071"
    assert _state(app, number)[:3] == ("partially_refunded", "partially_refunded", 750_00)


@pytest.mark.parametrize("failure", ["refused", "bad credentials", "server error",
                                     "unreachable"])
def test_when_payhere_says_no_nothing_changes_and_staff_read_why(make_app, payhere_api,
                                                                   failure):
    url = payhere_api.url
    if failure == "refused":
        payhere_api.refund_answer = (200, {"status": -1, "msg": "Payment already refunded"})
    elif failure == "bad credentials":
        payhere_api.token_status = 401
    elif failure == "server error":
        payhere_api.refund_answer = (500, {})
    else:
        url = "http://127.0.0.1:1"  # nobody listens there
    app = _payhere_app(make_app, url)
    number, total = _paid_by_card(app)

    with pytest.raises(refunds.RefundFailed) as failed:
        _refund(app, number, total)

    assert _state(app, number) == ("delivered", "captured", 0, [])
    message = str(failed.value.message)
    expected = {"refused": "Payment already refunded", "bad credentials": "credentials",
                "server error": "HTTP 500", "unreachable": "could not be reached"}[failure]
    assert expected in message
    with app.app_context():
        attempt = db.session.query(AuditEntry).filter_by(action="payments.refund").one()
        assert not attempt.success
        db.session.remove()


def test_without_api_credentials_a_payhere_refund_is_left_for_staff(make_app, payhere_api):
    app = make_app(PAYHERE_MERCHANT_ID=MERCHANT, PAYHERE_MERCHANT_SECRET=SECRET,
                   PAYHERE_API_URL=payhere_api.url)
    number, total = _paid_by_card(app)

    _refund(app, number, total)

    assert payhere_api.requests == []
    assert _state(app, number) == ("refunded", "refunded", total,
                                   [("manual", "to_pay_back", None)])


def test_a_refund_form_posted_twice_at_once_refunds_once_at_payhere(make_app, payhere_api):
    app = _payhere_app(make_app, payhere_api.url, PAYHERE_PARTIAL_REFUNDS=True)
    number, _total = _paid_by_card(app)
    # PayHere answers slowly: the second click arrives while the first waits for it.
    payhere_api.refund_delay = 0.5
    key = "double-click-key"
    start = threading.Barrier(2, timeout=60)
    outcomes: list[object] = []

    def click() -> None:
        start.wait()
        try:
            outcomes.append(_refund(app, number, 250_00, request_key=key).id)
        except Exception as error:  # the test shows whatever a click met
            outcomes.append(repr(error))

    clicks = [threading.Thread(target=click) for _ in range(2)]
    for thread in clicks:
        thread.start()
    for thread in clicks:
        thread.join(timeout=60)

    # Both clicks are shown the one refund; PayHere was asked once, for Rs 250.
    assert len(outcomes) == 2 and outcomes[0] == outcomes[1], outcomes
    assert [sent["amount"] for sent in payhere_api.refund_requests()] == [250.00]
    assert _state(app, number)[2:] == (250_00, [("gateway", "done", "560034010257")])


def test_marking_cash_collected_again_after_a_refund_changes_nothing(db_session):
    # A second click on "Cash collected" after the order was refunded: the collection is
    # on record already (its dedupe key), and the page was a 500.
    manager = make_staff("admin")
    order = place_guest_order((stocked("Jaggery", price_cents=800_00), 1))
    payments.mark_collected(order.number, order.due_cents, actor=manager)
    refunds.refund(order.number, order.due_cents, reason="Returned unopened", actor=manager)

    payment = payments.mark_collected(order.number, order.due_cents, actor=manager)

    assert payment.status == "refunded"
    db.session.expire_all()
    assert db.session.query(PaymentEvent).filter_by(kind="captured").count() == 1
