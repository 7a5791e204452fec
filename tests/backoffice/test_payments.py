"""Payments in the back office: who gets in, the list and its filters, one payment with its
history (the gateway's payload for admins only, names masked), cash collected, slips
verified or rejected, refunds whole and in part with stock back as a choice, all audited."""

from __future__ import annotations

import io
import re
from html import unescape

import pytest
from PIL import Image

from app import db
from app.audit.models import AuditEntry
from app.db import transaction
from app.errors import Conflict
from app.inventory import services as inventory
from app.orders import services as orders
from app.payments import payhere, refunds, services as payments, slips
from tests.checkout.factories import place_guest_order, stocked
from tests.factories import make_customer, make_staff

TEA, SOAP = 1_250_00, 280_00
PAGES = ["/staff/payments", "/staff/payments/{id}", "/staff/payments/settings"]
WRITES = ["/staff/payments/{id}/collected", "/staff/payments/{id}/refund",
          "/staff/payments/settings"]


@pytest.fixture()
def manager(db_session):
    return make_staff("order_manager")


@pytest.fixture()
def manager_client(client, manager, sign_in_staff):
    return sign_in_staff(manager)


@pytest.fixture()
def cod(db_session):
    """Tea × 2 and soap × 1, cash on delivery to Galle (Rs. 3,130.00), not collected yet.
    Returns the order, its payment and the tea's variant id."""
    tea = stocked("Ceylon tea", units=10, price_cents=TEA, sku="TEA-1")
    soap = stocked("Herbal soap", units=10, price_cents=SOAP, sku="SOAP-1")
    order = place_guest_order((tea, 2), (soap, 1))  # 2 × 1,250 + 280 + 350 delivery
    return order, payments.payment_for(order.number, "cod"), tea.id


def _delivered(order):
    payments.mark_collected(order.number, order.total_cents)
    orders.change_status(order.number, "shipped")
    orders.change_status(order.number, "delivered")


def _units(variant_id: int) -> int:
    return inventory.available([variant_id])[variant_id]


def _text(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (300, 400), (250, 250, 250)).save(out, "PNG")
    return out.getvalue()


# ---- who gets in --------------------------------------------------------------------------------

@pytest.mark.parametrize("path", PAGES)
def test_anonymous_visitors_and_customers_are_sent_to_the_staff_sign_in(client, login, cod,
                                                                       path):
    _order, payment, _tea = cod
    assert client.get(path.format(id=payment.id)).status_code == 303
    login(make_customer())

    response = client.get(path.format(id=payment.id))

    assert response.status_code == 303 and response.location.startswith("/staff/login")


@pytest.mark.parametrize("path", WRITES)
def test_a_customer_cannot_post_to_staff_pages(client, login, cod, path):
    order, payment, _tea = cod
    login(make_customer())

    response = client.post(path.format(id=payment.id), data={"amount": "1.00"})

    assert response.status_code == 403
    assert payments.payment_for(order.number, "cod").status == "initiated"


@pytest.mark.parametrize("method, path",
                         [("get", p) for p in PAGES] + [("post", p) for p in WRITES])
def test_a_support_agent_gets_403(client, sign_in_staff, cod, method, path):
    order, payment, _tea = cod
    agent = sign_in_staff(make_staff("support_agent"))

    if method == "get":
        response = agent.get(path.format(id=payment.id))
    else:
        response = agent.post(path.format(id=payment.id),
                              data={"amount": "3,130.00", "reason": "x"})

    assert response.status_code == 403
    db.session.expire_all()
    assert payments.payment_for(order.number, "cod").status == "initiated"


def test_the_menu_shows_payments_to_order_managers_only(client, sign_in_staff, manager):
    manager_page = sign_in_staff(manager).get("/staff/").text
    assert 'href="/staff/payments"' in manager_page
    client.post("/staff/logout")
    agent_page = sign_in_staff(make_staff("support_agent")).get("/staff/").text
    assert 'href="/staff/payments"' not in agent_page


# ---- the list -----------------------------------------------------------------------------------

def test_the_list_filters_by_method_status_flag_and_date(manager_client, cod):
    order, payment, _tea = cod
    transfer = place_guest_order(stocked("Kithul treacle", units=5, sku="KIT-1"),
                                 payment_method="bank_transfer")
    with transaction():
        payments.payment_for(transfer.number, "bank_transfer").flagged = "Amount differs"

    everything = _text(manager_client.get("/staff/payments").text)
    by_method = _text(manager_client.get("/staff/payments?method=cod").text)
    flagged = _text(manager_client.get("/staff/payments?flagged=y").text)
    by_status = _text(manager_client.get("/staff/payments?status=captured").text)
    past = _text(manager_client.get("/staff/payments?created_to=2020-01-01").text)

    assert order.number in everything and transfer.number in everything
    assert "2 payments" in everything
    assert order.number in by_method and transfer.number not in by_method
    assert transfer.number in flagged and order.number not in flagged
    assert "No payments match these filters." in by_status
    assert "No payments match these filters." in past


def test_bad_filters_are_explained(manager_client, cod):
    response = manager_client.get("/staff/payments?created_from=2026-05-01&created_to=2026-04-01")

    assert response.status_code == 422
    assert "The end date is before the start date." in response.text


def test_htmx_gets_the_results_only(manager_client, cod):
    response = manager_client.get("/staff/payments?method=cod", headers={"HX-Request": "true"})

    assert response.text.lstrip().startswith('<section id="payment-results"')


# ---- one payment --------------------------------------------------------------------------------

def _paid_by_card(app):
    """A PayHere payment captured by a signed notification (its payload names the holder)."""
    merchant, secret = "1211149", "c2VjcmV0"
    app.config.update(PAYHERE_MERCHANT_ID=merchant, PAYHERE_MERCHANT_SECRET=secret)
    try:
        order = place_guest_order(stocked("Ceylon tea", units=5, price_cents=TEA),
                                  payment_method="bank_transfer")
        payments.open_payment(order.number, "payhere", order.total_cents)
        db.session.commit()
        amount = payhere.format_amount(order.total_cents)
        assert payments.record_payhere_notification({
            "merchant_id": merchant, "order_id": order.number, "payment_id": "320025071",
            "payhere_amount": amount, "payhere_currency": "LKR", "status_code": "2",
            "md5sig": payhere.notification_signature(merchant, order.number, amount, "LKR",
                                                     "2", secret),
            "card_holder_name": "SARAH FERNANDO", "card_no": "************1292",
            "method": "VISA"}) == "applied"
    finally:
        app.config.update(PAYHERE_MERCHANT_ID=None, PAYHERE_MERCHANT_SECRET=None)
    return order, payments.payment_for(order.number, "payhere")


def test_admins_see_the_gateways_payload_with_the_card_holder_masked(app, client, admin_client,
                                                                     db_session):
    _order, payment = _paid_by_card(app)

    page = admin_client.get(f"/staff/payments/{payment.id}").text

    assert "What the gateway sent" in page
    assert "S**** F*******" in page and "SARAH FERNANDO" not in page
    assert "Money received" in _text(page) and "320025071" in page


def test_order_managers_see_the_history_without_the_payload(app, manager_client, db_session):
    _order, payment = _paid_by_card(app)

    page = manager_client.get(f"/staff/payments/{payment.id}").text

    assert "Money received" in _text(page) and "PayHere" in page
    assert "What the gateway sent" not in page and "S****" not in page


def test_a_mismatch_is_flagged_on_the_payment(manager_client, cod):
    _order, payment, _tea = cod
    with transaction():
        payments.payment_for(payment.order_number, "cod").flagged = "PayHere sent 100 LKR"

    page = manager_client.get(f"/staff/payments/{payment.id}").text

    assert 'role="alert"' in page and "PayHere sent 100 LKR" in page


def test_an_unknown_payment_is_404(manager_client, db_session):
    assert manager_client.get("/staff/payments/999999").status_code == 404
    assert manager_client.get("/staff/payments/order/KD-2026-999999").status_code == 404


def test_the_orders_payment_is_found_by_its_number(manager_client, cod):
    order, payment, _tea = cod

    response = manager_client.get(f"/staff/payments/order/{order.number}")

    assert response.status_code == 303
    assert response.location.endswith(f"/staff/payments/{payment.id}")


# ---- cash collected -----------------------------------------------------------------------------

def test_staff_mark_cash_collected_and_the_order_is_paid(manager_client, manager, cod):
    order, payment, _tea = cod

    response = manager_client.post(f"/staff/payments/{payment.id}/collected",
                                   data={"amount": "3,130.00"})

    assert response.status_code == 303
    db.session.expire_all()
    assert payments.payment_for(order.number, "cod").status == "captured"
    assert orders.find_by_number(order.number).payment_status == "paid"
    entry = db.session.query(AuditEntry).filter_by(action="payments.cod_collected").one()
    assert entry.actor_id == manager.id
    page = _text(manager_client.get(f"/staff/payments/{payment.id}").text)
    assert "Mark cash collected" not in page and "Money received" in page


@pytest.mark.parametrize("amount, message", [
    ("100.00", "Rs. 3,130.00: that is what the customer pays at the door"),
    ("-5", "cannot be negative"),
    ("", "This field is required."),
])
def test_a_wrong_cash_amount_is_refused(manager_client, cod, amount, message):
    order, payment, _tea = cod

    response = manager_client.post(f"/staff/payments/{payment.id}/collected",
                                   data={"amount": amount})

    assert response.status_code == 422 and message in _text(response.text)
    db.session.expire_all()
    assert payments.payment_for(order.number, "cod").status == "initiated"


# ---- refunds ------------------------------------------------------------------------------------

def _refund_form(page: str) -> dict:
    key = re.search(r'name="request_key" type="hidden" value="([^"]+)"', page)
    if key is None:
        key = re.search(r'id="request_key" name="request_key" type="hidden" value="([^"]+)"',
                        page)
    return {"request_key": key.group(1) if key else ""}


def test_a_partial_refund_with_stock_back_from_the_payment_page(manager_client, manager, cod,
                                                                outbox):
    order, payment, tea = cod
    _delivered(order)
    tea_line = next(line for line in order.lines if line.sku == "TEA-1")
    page = manager_client.get(f"/staff/payments/{payment.id}").text
    before = _units(tea)

    response = manager_client.post(f"/staff/payments/{payment.id}/refund", data={
        **_refund_form(page), "amount": "1,250.00", f"units-{tea_line.id}": "1",
        "restock": "y", "reason": "One box arrived crushed", "confirm": "yes"})

    assert response.status_code == 303 and response.location.endswith("#refunds")
    db.session.expire_all()
    assert orders.find_by_number(order.number).status == "partially_refunded"
    assert payments.payment_for(order.number, "cod").refunded_cents == TEA
    assert _units(tea) == before + 1
    assert inventory.ledger_problems() == []
    page = _text(manager_client.get(f"/staff/payments/{payment.id}").text)
    assert "To be paid back by hand" in page and "One box arrived crushed" in page
    audit = db.session.query(AuditEntry).filter_by(action="payments.refund").one()
    assert audit.actor_id == manager.id and audit.details["restocked_units"] == 1


def test_a_full_refund_without_stock_back(manager_client, cod):
    order, payment, tea = cod
    _delivered(order)
    before = _units(tea)

    response = manager_client.post(f"/staff/payments/{payment.id}/refund", data={
        "amount": "3,130.00", "reason": "Never arrived", "confirm": "yes"})

    assert response.status_code == 303
    db.session.expire_all()
    assert orders.find_by_number(order.number).status == "refunded"
    assert _units(tea) == before


def test_the_same_refund_posted_twice_refunds_once(manager_client, cod):
    order, payment, _tea = cod
    _delivered(order)
    data = {"amount": "100.00", "reason": "Late", "request_key": refunds.new_request_key(),
            "confirm": "yes"}

    first = manager_client.post(f"/staff/payments/{payment.id}/refund", data=data)
    again = manager_client.post(f"/staff/payments/{payment.id}/refund", data=data)

    assert first.status_code == again.status_code == 303
    db.session.expire_all()
    assert payments.payment_for(order.number, "cod").refunded_cents == 100_00
    assert len(refunds.refunds_of(order.number)) == 1
    page = _text(manager_client.get(again.location).text)
    assert "This refund of Rs. 100.00 was already made; nothing more was refunded." in page


def _other_line():
    return place_guest_order(stocked("Kithul treacle", units=3, sku="KIT-1")).lines[0].id


@pytest.mark.parametrize("case, message", [
    ("too much", "You can refund at most Rs. 3,130.00."),
    ("negative", "cannot be negative"),
    ("zero", "Enter an amount above zero."),
    ("empty", "This field is required."),
    ("not a number", "Enter an amount in rupees"),
    ("another order's line", "That item is not in this order."),
    ("units not whole", "Enter the units of each item as whole numbers."),
    ("negative units", "whole number from 0"),
    ("no reason", "Say why the money goes back."),
])
@pytest.mark.parametrize("confirm", [False, True], ids=["review", "confirm"])
def test_bad_refunds_are_explained_and_change_nothing(manager_client, cod, case, message,
                                                      confirm):
    order, payment, tea = cod
    _delivered(order)
    tea_line = next(line for line in order.lines if line.sku == "TEA-1")
    data = {"amount": "100.00", "reason": "Late", f"units-{tea_line.id}": "1", "restock": "y"}
    if confirm:  # a forged or stale confirmation is checked as closely as the form
        data["confirm"] = "yes"
    if case == "too much":
        data["amount"] = "3,130.01"
    elif case == "negative":
        data["amount"] = "-100.00"
    elif case == "zero":
        data["amount"] = "0.00"
    elif case == "empty":
        data["amount"] = ""
    elif case == "not a number":
        data["amount"] = "a lot"
    elif case == "another order's line":
        data[f"units-{_other_line()}"] = "1"
    elif case == "units not whole":
        data[f"units-{tea_line.id}"] = "1.5"
    elif case == "negative units":
        data[f"units-{tea_line.id}"] = "-1"
    elif case == "no reason":
        data["reason"] = ""
    before = _units(tea)

    response = manager_client.post(f"/staff/payments/{payment.id}/refund", data=data)

    assert response.status_code == 422
    assert message in _text(response.text)
    db.session.expire_all()
    assert payments.payment_for(order.number, "cod").refunded_cents == 0
    assert orders.find_by_number(order.number).status == "delivered"
    assert _units(tea) == before


def test_an_unpaid_payment_offers_no_refund_and_refuses_one(manager_client, cod):
    _order, payment, _tea = cod
    page = manager_client.get(f"/staff/payments/{payment.id}").text
    assert "Mark cash collected" in page and 'id="refund"' not in page

    response = manager_client.post(f"/staff/payments/{payment.id}/refund",
                                   data={"amount": "100.00", "reason": "x"})

    assert response.status_code == 409
    assert "Nothing has been paid on this order" in _text(response.text)


def _hidden(page: str) -> dict:
    """The hidden fields of the confirmation form, as the browser would post them back."""
    form = page[page.index('class="confirm-actions"'):]
    form = form[:form.index("</form>")]
    return {name: value.replace("&#39;", "'").replace("&amp;", "&")
            for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"',
                                          form)}


def test_the_refund_form_starts_empty_and_offers_each_lines_value(manager_client, cod):
    order, payment, _tea = cod
    _delivered(order)

    page = manager_client.get(f"/staff/payments/{payment.id}").text

    assert re.search(r'<input[^>]*id="refund-amount"[^>]*value=""', page)
    assert 'value="3130.00"' not in page
    text = _text(page)
    assert "Line: Ceylon tea × 2 — Rs. 2,500.00" in text
    assert "Line: Herbal soap × 1 — Rs. 280.00" in text
    assert "Everything left — Rs. 3,130.00" in text
    tea_line = next(line for line in order.lines if line.sku == "TEA-1")
    filled = manager_client.get(f"/staff/payments/{payment.id}?fill=line-{tea_line.id}").text
    assert re.search(r'<input[^>]*id="refund-amount"[^>]*value="2500.00"', filled)
    assert re.search(rf'name="units-{tea_line.id}"[^>]*value="2"', filled)
    db.session.expire_all()
    assert payments.payment_for(order.number, "cod").refunded_cents == 0


def test_a_refund_is_shown_for_confirmation_and_refunds_only_when_confirmed(
        manager_client, cod, outbox):
    order, payment, _tea = cod
    _delivered(order)
    tea_line = next(line for line in order.lines if line.sku == "TEA-1")
    page = manager_client.get(f"/staff/payments/{payment.id}").text

    review = manager_client.post(f"/staff/payments/{payment.id}/refund", data={
        **_refund_form(page), "amount": "1250", f"units-{tea_line.id}": "1",
        "reason": "One box arrived crushed"})

    assert review.status_code == 200
    text = _text(review.text)
    assert "Refund Rs. 1,250.00 on order " + order.number in text
    assert "Cash on delivery payment of Rs. 3,130.00" in text
    assert "you pay it back to the customer by hand" in text
    assert "One box arrived crushed" in text and "Ceylon tea × 1" in text
    assert "Confirm: refund Rs. 1,250.00" in text
    db.session.expire_all()
    assert payments.payment_for(order.number, "cod").refunded_cents == 0
    assert refunds.refunds_of(order.number) == []

    hidden = _hidden(review.text)
    assert hidden["amount"] == "1250.00" and hidden[f"units-{tea_line.id}"] == "1"
    assert hidden["csrf_token"] and hidden["request_key"]
    done = manager_client.post(f"/staff/payments/{payment.id}/refund",
                               data={**hidden, "confirm": "yes"})

    assert done.status_code == 303
    db.session.expire_all()
    assert payments.payment_for(order.number, "cod").refunded_cents == TEA
    assert "Refund of Rs. 1,250.00 recorded." in _text(manager_client.get(done.location).text)


def test_cancelling_the_confirmation_refunds_nothing(manager_client, cod):
    order, payment, _tea = cod
    _delivered(order)
    review = manager_client.post(f"/staff/payments/{payment.id}/refund",
                                 data={"amount": "500", "reason": "Late"})
    cancel = re.search(r'<a href="([^"]+)" role="button"[^>]*>Cancel: refund nothing',
                       review.text)

    page = manager_client.get(cancel.group(1))

    assert page.status_code == 200 and "Review the refund" in page.text
    db.session.expire_all()
    assert payments.payment_for(order.number, "cod").refunded_cents == 0


def test_change_brings_the_form_back_filled_in(manager_client, cod):
    order, payment, _tea = cod
    _delivered(order)
    review = manager_client.post(f"/staff/payments/{payment.id}/refund",
                                 data={"amount": "500", "reason": "Late"})

    back = manager_client.post(f"/staff/payments/{payment.id}/refund",
                               data={**_hidden(review.text), "edit": "yes"})

    assert back.status_code == 200
    assert re.search(r'<input[^>]*id="refund-amount"[^>]*value="500.00"', back.text)
    assert re.search(r">\s*Late</textarea>", back.text)
    db.session.expire_all()
    assert payments.payment_for(order.number, "cod").refunded_cents == 0


def test_a_confirmation_that_came_too_late_is_refused(manager_client, manager, cod):
    order, payment, _tea = cod
    _delivered(order)
    review = manager_client.post(f"/staff/payments/{payment.id}/refund",
                                 data={"amount": "3,000.00", "reason": "Late"})
    refunds.refund(order.number, 1_000_00, reason="Another colleague was quicker",
                   actor=manager)

    response = manager_client.post(f"/staff/payments/{payment.id}/refund",
                                   data={**_hidden(review.text), "confirm": "yes"})

    assert response.status_code == 422
    assert "You can refund at most Rs. 2,130.00." in _text(response.text)
    db.session.expire_all()
    assert payments.payment_for(order.number, "cod").refunded_cents == 1_000_00


def test_the_confirmation_needs_the_csrf_token(app, manager_client, cod):
    order, payment, _tea = cod
    _delivered(order)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = manager_client.post(f"/staff/payments/{payment.id}/refund", data={
            "amount": "100", "reason": "Late", "confirm": "yes"})
    finally:
        app.config["WTF_CSRF_ENABLED"] = False

    assert response.status_code in (400, 422)
    db.session.expire_all()
    assert payments.payment_for(order.number, "cod").refunded_cents == 0


def test_a_manual_refund_is_marked_paid_back(manager_client, manager, cod):
    order, payment, _tea = cod
    _delivered(order)
    refund = refunds.refund(order.number, TEA, reason="Crushed", actor=manager)

    response = manager_client.post(f"/staff/payments/refunds/{refund.id}/paid-back")

    assert response.status_code == 303
    db.session.expire_all()
    assert refunds.refunds_of(order.number)[0].state == "paid_back"
    assert "Paid back by hand" in _text(manager_client.get(f"/staff/payments/{payment.id}").text)


# ---- slips --------------------------------------------------------------------------------------

@pytest.fixture()
def slip(db_session):
    order = place_guest_order(stocked("Kithul treacle", units=5, sku="KIT-1"),
                              payment_method="bank_transfer")
    return slips.upload_slip(order.number, _png())


def test_staff_see_a_slip_and_verify_it(manager_client, slip, outbox):
    payment = payments.payment_for(slip.order_number, "bank_transfer")
    page = manager_client.get(f"/staff/payments/{payment.id}").text
    assert f'src="/staff/payments/slips/{slip.id}/file"' in page
    picture = manager_client.get(f"/staff/payments/slips/{slip.id}/file")
    assert picture.status_code == 200 and picture.mimetype == "image/webp"

    response = manager_client.post(f"/staff/payments/slips/{slip.id}/verify")

    assert response.status_code == 303
    db.session.expire_all()
    assert orders.find_by_number(slip.order_number).status == "paid"
    assert db.session.query(AuditEntry).filter_by(action="payments.slip_verified").count() == 1
    again = manager_client.post(f"/staff/payments/slips/{slip.id}/verify", follow_redirects=True)
    assert "already been checked" in _text(again.text)


def test_staff_reject_a_slip_with_a_reason(manager_client, slip, outbox):
    response = manager_client.post(f"/staff/payments/slips/{slip.id}/reject",
                                   data={"reason": "The amount is Rs. 250.00."})

    assert response.status_code == 303
    db.session.expire_all()
    assert slips.slips_for(slip.order_number)[0].status == "rejected"
    assert orders.find_by_number(slip.order_number).status == "pending_payment"
    assert len(outbox.to("sarah@example.lk", f"order:{slip.order_number}:slip_rejected")) == 1


def test_a_rejection_needs_a_reason(manager_client, slip):
    response = manager_client.post(f"/staff/payments/slips/{slip.id}/reject",
                                   data={"reason": ""})

    assert response.status_code == 422 and "Tell the customer why." in response.text
    db.session.expire_all()
    assert slips.slips_for(slip.order_number)[0].status == "pending"


def test_a_support_agent_cannot_see_or_check_slips(client, sign_in_staff, slip):
    agent = sign_in_staff(make_staff("support_agent"))

    assert agent.get(f"/staff/payments/slips/{slip.id}/file").status_code == 403
    assert agent.post(f"/staff/payments/slips/{slip.id}/verify").status_code == 403
    assert agent.post(f"/staff/payments/slips/{slip.id}/reject",
                      data={"reason": "x"}).status_code == 403
    db.session.expire_all()
    assert slips.slips_for(slip.order_number)[0].status == "pending"


def test_payment_events_are_listed_in_order(manager_client, cod):
    order, payment, _tea = cod
    _delivered(order)

    page = _text(manager_client.get(f"/staff/payments/{payment.id}").text)

    assert page.index("Started") < page.index("Money received")


def test_a_customers_refund_can_go_to_their_store_credit(manager_client, db_session):
    from app.wallet import services as wallet
    from tests.checkout.factories import customer_order
    from tests.factories import make_customer

    customer = make_customer()
    order = customer_order(customer, (stocked("Ceylon tea", units=5, price_cents=TEA), 1))
    payment = payments.payment_for(order.number, "cod")
    _delivered(order)
    page = manager_client.get(f"/staff/payments/{payment.id}").text
    assert "Give it as store credit" in page

    review = manager_client.post(f"/staff/payments/{payment.id}/refund", data={
        **_refund_form(page), "amount": "500", "as_credit": "y", "reason": "Box dented"})
    assert "Into the customer's store credit now." in _text(review.text)
    done = manager_client.post(f"/staff/payments/{payment.id}/refund",
                               data={**_hidden(review.text), "confirm": "yes"})

    assert done.status_code == 303
    assert "Rs. 500.00 is in the customer's store credit." in _text(
        manager_client.get(done.location).text)
    assert wallet.balance(customer.id) == 500_00
    assert "Given as store credit" in _text(manager_client.get(done.location).text)


def test_a_guest_order_offers_no_store_credit_refund(manager_client, cod):
    order, payment, _tea = cod
    _delivered(order)
    page = manager_client.get(f"/staff/payments/{payment.id}").text
    assert "Give it as store credit" not in page

    forged = manager_client.post(f"/staff/payments/{payment.id}/refund", data={
        **_refund_form(page), "amount": "500", "as_credit": "y", "reason": "Box dented",
        "confirm": "yes"})

    assert forged.status_code == 422
    assert "A guest has no store credit" in _text(forged.text)
    db.session.expire_all()
    assert payments.payment_for(order.number, "cod").refunded_cents == 0


def test_the_confirmation_shows_a_refund_shared_with_the_points_paid(manager_client,
                                                                     db_session):
    from app.checkout import cart as carts
    from app.checkout.services import CheckoutChoices, place_order
    from app.wallet import services as wallet
    from tests.checkout.factories import starter_delivery
    from tests.factories import make_address, make_customer

    starter_delivery()
    customer = make_customer()
    address = make_address(customer.id)
    wallet.add(customer.id, 400, kind="earned", unit="points")
    cart = carts.open_cart(user_id=customer.id)
    carts.add_item(cart, stocked("Brass bowl", units=5, price_cents=1_250_00).id, 1)
    order, _ = place_order(cart, CheckoutChoices(payment_method="cod",
                                                 delivery_option="island-wide",
                                                 address_id=address.id, points=400),
                           user=customer)
    payments.mark_collected(order.number, order.due_cents)
    payment = payments.payment_for(order.number, "cod")
    page = manager_client.get(f"/staff/payments/{payment.id}").text

    review = manager_client.post(f"/staff/payments/{payment.id}/refund", data={
        **_refund_form(page), "amount": "800", "reason": "Dented"})

    text = _text(review.text)
    assert "Cash on delivery: Rs. 600.00" in text and "Loyalty points: Rs. 200.00" in text


# ---- a bank transfer received without a slip, and "paid" only from the money -------------------

def test_staff_record_a_transfer_received_without_a_slip(manager_client, manager):
    order = place_guest_order(stocked("Kithul treacle", units=5, sku="KIT-2"),
                              payment_method="bank_transfer")
    payment = payments.payment_for(order.number, "bank_transfer")
    unread = slips.upload_slip(order.number, _png())  # sent, not yet checked
    page = _text(manager_client.get(f"/staff/payments/{payment.id}").text)
    assert "Transfer received" in page and "Mark cash collected" not in page

    wrong = manager_client.post(f"/staff/payments/{payment.id}/collected",
                                data={"amount": "1.00"})
    assert wrong.status_code == 422
    assert "record a transfer when all of it is in the shop's account" in _text(wrong.text)
    response = manager_client.post(f"/staff/payments/{payment.id}/collected",
                                   data={"amount": f"{order.due_cents / 100:,.2f}"})

    assert response.status_code == 303
    db.session.expire_all()
    assert payments.payment_for(order.number, "bank_transfer").status == "captured"
    assert orders.find_by_number(order.number).status == "paid"
    entry = db.session.query(AuditEntry).filter_by(action="payments.transfer_received").one()
    assert entry.actor_id == manager.id
    with pytest.raises(Conflict):
        slips.verify_slip(unread.id, actor=manager)  # one capture, not two
    with pytest.raises(Conflict):
        slips.upload_slip(order.number, _png())  # nothing more to send


def test_staff_cannot_mark_an_order_paid_without_the_money(manager_client):
    order = place_guest_order(stocked("Kithul treacle", units=5, sku="KIT-3"),
                              payment_method="bank_transfer")
    page = manager_client.get(f"/staff/orders/{order.number}").text
    form = page[page.index('id="status-change"'):page.index('id="add-note"')]
    assert re.findall(r'<option[^>]*value="([a-z_]+)"', form) == ["cancelled"]

    response = manager_client.post(f"/staff/orders/{order.number}/status",
                                   data={"status": "paid"})

    assert response.status_code == 409
    assert "Record the money on the order's payment" in _text(response.text)
    db.session.expire_all()
    assert orders.find_by_number(order.number).status == "pending_payment"
    assert payments.payment_for(order.number, "bank_transfer").status == "initiated"
