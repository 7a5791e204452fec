"""Payment links: staff (or the customer, from an expired link) send an SMS and a mail with a
short link that opens PayHere's checkout for the order on the customer's phone, no account
needed. The link expires (PAYMENT_LINK_HOURS); its page then offers a new one, sent to the
order's own contact only. Paid and cancelled orders say so; a forged code is the 404 page.
Run on SQLite and on PostgreSQL (`--db`)."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from app import db
from app.audit.models import AuditEntry
from app.db import utcnow
from app.errors import Conflict, Forbidden, NotFound
from app.orders import services as orders
from app.payments import links, services as payments
from app.payments.sandbox import wait_for_notifications
from app.queue import wait_for_local_jobs
from tests.backoffice.conftest import current_code
from tests.checkout.factories import customer_order, place_guest_order, stocked
from tests.factories import PASSWORD, make_customer, make_staff
from tests.payments.test_checkout_flow import notify, payhere_settings

SHOP = "https://shop.example.lk"
PHONE = "+94771234567"  # the factories' guest: Sarah Fernando, 077 123 4567
EMAIL = "sarah@example.lk"


@pytest.fixture()
def ph_app(make_app):
    app = make_app(**payhere_settings(PUBLIC_URL=SHOP))
    yield app
    wait_for_notifications(app)
    wait_for_local_jobs(app)


def _order(app, method: str = "payhere", quantity: int = 2) -> tuple[str, int]:
    """A guest's order: (number, total cents)."""
    with app.app_context():
        variant = stocked("Ceylon tea", units=5, price_cents=1_250_00)
        order = place_guest_order((variant, quantity), payment_method=method)
        result = order.number, order.total_cents
        db.session.remove()
    return result


def _send(app, number: str, **kwargs) -> links.PaymentLink:
    with app.test_request_context(), app.app_context():
        sent = links.send_payment_link(number, **kwargs)
        db.session.remove()
    return sent


def _code(app, number: str, *, hours_ago: float = 0) -> str:
    with app.app_context():
        code = links.make_code(orders.find_by_number(number),
                               issued_at=utcnow() - dt.timedelta(hours=hours_ago))
        db.session.remove()
    return code


def _mails(app, number: str) -> list:
    from tests.conftest import Outbox

    box = Outbox(app, Path(app.config["OUTBOX_DIR"]))
    return [m for m in box.messages()
            if m["X-Kade-Dedupe-Key"].startswith(f"order:{number}:payment_link:")]


def _texts(app, number: str) -> list[dict]:
    wait_for_local_jobs(app)
    folder = Path(app.config["OUTBOX_DIR"])
    return [json.loads(p.read_text()) for p in sorted(folder.glob("*.sms.json"))
            if f"order:{number}:payment_link:" in json.loads(p.read_text())["reference"]]


def _path(url: str) -> str:
    return urlsplit(url).path


def _status(app, number: str) -> str:
    with app.app_context():
        status = orders.find_by_number(number).status
        db.session.remove()
    return status


# ---- sending -----------------------------------------------------------------------------------

def test_a_link_goes_by_sms_and_mail_to_the_orders_contact_and_into_its_timeline(ph_app):
    number, total = _order(ph_app)
    staff_id = _staff_id(ph_app)

    with ph_app.test_request_context(), ph_app.app_context():
        staff = db.session.get(_user_model(), staff_id)
        sent = links.send_payment_link(number, actor=staff)
        db.session.remove()

    assert sent.channels == ("email", "sms")
    assert sent.url.startswith(f"{SHOP}/pay/") and len(_path(sent.url)) < 40
    [mail] = _mails(ph_app, number)
    assert mail["To"] == EMAIL
    assert mail["Subject"] == f"Pay for your order {number}"
    body = mail.get_body(("plain",)).get_content()
    assert sent.url in body and "Rs. 2,850.00" in body
    [sms] = _texts(ph_app, number)
    assert sms["to"] == "94771234567"
    assert sent.url in sms["message"] and number in sms["message"]
    assert len(sms["message"]) <= 160  # one segment in English
    with ph_app.app_context():
        order = orders.find_by_number(number)
        note = order.events[-1]
        assert (note.kind, note.public, note.actor_kind) == ("note", False, "staff")
        assert note.note.startswith("Payment link sent by email and SMS, valid until ")
        entry = db.session.query(AuditEntry).filter_by(action="payments.link_sent").one()
        assert (entry.actor_id, entry.target_id) == (staff_id, number)
        db.session.remove()
    assert total == 2 * 1_250_00 + 350_00


def test_the_link_speaks_the_orders_language(ph_app):
    number, _total = _order(ph_app)
    with ph_app.app_context():
        orders.find_by_number(number).locale = "si"
        db.session.commit()
        db.session.remove()

    sent = _send(ph_app, number)

    [sms] = _texts(ph_app, number)
    assert sent.url in sms["message"]
    assert "රු.2,850.00" in sms["message"]  # the amount as Sinhala writes it


def test_two_presses_in_the_same_second_send_one_link(ph_app):
    number, _total = _order(ph_app)
    now = utcnow()

    first, second = _send(ph_app, number, now=now), _send(ph_app, number, now=now)

    assert first.url == second.url
    assert len(_mails(ph_app, number)) == 1 and len(_texts(ph_app, number)) == 1
    with ph_app.app_context():
        notes = [e for e in orders.find_by_number(number).events
                 if e.kind == "note" and e.note.startswith("Payment link sent")]
        assert len(notes) == 1
        db.session.remove()


@pytest.mark.parametrize(("kind", "message"), [
    ("paid", "is already paid"),
    ("cancelled", "is cancelled: it cannot be paid"),
    ("cod", "is not paid online"),
])
def test_a_paid_cancelled_or_offline_order_gets_no_link(ph_app, kind, message):
    number, total = _order(ph_app, method="cod" if kind == "cod" else "payhere")
    if kind == "paid":
        notify(ph_app, number, total)
    elif kind == "cancelled":
        with ph_app.app_context():
            orders.change_status(number, "cancelled")
            db.session.remove()

    with pytest.raises(Conflict) as refused:
        _send(ph_app, number)

    assert message in str(refused.value.message)
    assert _mails(ph_app, number) == [] and _texts(ph_app, number) == []


def test_an_unknown_order_is_not_found_and_other_staff_are_refused(ph_app):
    number, _total = _order(ph_app)
    with pytest.raises(NotFound):
        _send(ph_app, "KD-2026-999999")
    with ph_app.test_request_context(), ph_app.app_context():
        agent = make_staff("support_agent")
        db.session.commit()
        with pytest.raises(Forbidden):
            links.send_payment_link(number, actor=agent)
        db.session.remove()
    assert _mails(ph_app, number) == []


def test_a_payhere_order_without_an_open_payment_gets_one(ph_app):
    number, total = _order(ph_app)
    with ph_app.app_context():
        payment = payments.payment_for(number, "payhere")
        for event in list(payment.events):
            db.session.delete(event)
        db.session.delete(payment)
        db.session.commit()
        db.session.remove()

    _send(ph_app, number)

    with ph_app.app_context():
        payment = payments.payment_for(number, "payhere")
        assert (payment.status, payment.amount_cents) == ("initiated", total)
        db.session.remove()


# ---- the page ----------------------------------------------------------------------------------

def test_the_page_shows_the_order_and_the_payhere_button_without_an_account(ph_app):
    number, _total = _order(ph_app)
    sent = _send(ph_app, number)

    page = ph_app.test_client().get(_path(sent.url))

    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f"Pay for order {number}" in html and "Ceylon tea" in html
    assert "Pay Rs. 2,850.00 with PayHere" in html
    assert 'action="https://sandbox.payhere.lk/pay/checkout"' in html
    assert f'name="order_id" value="{number}"' in html
    assert page.headers["Cache-Control"] == "private, no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"


def test_the_page_speaks_the_orders_language_until_the_customer_picks_another(ph_app):
    number, _total = _order(ph_app)
    with ph_app.app_context():
        orders.find_by_number(number).locale = "ta"
        db.session.commit()
        db.session.remove()
    code = _code(ph_app, number)
    client = ph_app.test_client()

    assert '<html lang="ta"' in client.get(f"/pay/{code}").text
    client.post("/language", data={"language": "en"})
    assert '<html lang="en"' in client.get(f"/pay/{code}").text


def test_paying_through_the_link_marks_the_order_paid_and_the_page_says_so(ph_app):
    number, total = _order(ph_app)
    sent = _send(ph_app, number)

    notify(ph_app, number, total)  # PayHere's word after the customer paid
    page = ph_app.test_client().get(_path(sent.url)).get_data(as_text=True)

    assert _status(ph_app, number) == "paid"
    assert f"Order {number} is paid" in page
    assert "with PayHere" not in page and "payhere-form" not in page


def test_back_from_payhere_unpaid_the_customer_finds_the_payment_page_again(ph_app):
    number, _total = _order(ph_app)
    sent = _send(ph_app, number)
    client = ph_app.test_client()
    html = client.get(_path(sent.url)).get_data(as_text=True)
    cancel_url = re.search(r'name="cancel_url" value="([^"]+)"', html).group(1)

    back = client.get(cancel_url.replace("&amp;", "&").replace(SHOP, ""))

    assert back.status_code == 200
    assert "Payment cancelled" in back.text and "Back to the payment page" in back.text
    assert f'href="{_path(sent.url)}"' in back.text
    # Another browser, with only PayHere's return address, is not led to the link.
    other = ph_app.test_client().get(cancel_url.replace("&amp;", "&").replace(SHOP, ""))
    assert "Back to the payment page" not in other.text


def test_an_expired_link_says_so_and_offers_a_new_one(ph_app):
    number, _total = _order(ph_app)
    code = _code(ph_app, number, hours_ago=24)  # PAYMENT_LINK_HOURS is 24

    html = ph_app.test_client().get(f"/pay/{code}").get_data(as_text=True)

    assert "This payment link has expired" in html
    assert "Send me a new link" in html and "payhere-form" not in html
    assert "077 *** **67" in html and "s****@example.lk" in html
    assert PHONE not in html and "077 123 4567" not in html and EMAIL not in html
    assert ph_app.test_client().get(
        f"/pay/{_code(ph_app, number, hours_ago=23.9)}").get_data(as_text=True).count(
        "payhere-form") == 1


def test_the_lifetime_is_a_setting(make_app):
    app = make_app(**payhere_settings(PUBLIC_URL=SHOP), PAYMENT_LINK_HOURS=2)
    number, _total = _order(app)
    with app.app_context():
        view = links.open_link(_code(app, number, hours_ago=3))
        assert view.state == "expired"
        now = utcnow()
        assert links.open_link(_code(app, number), now=now + dt.timedelta(hours=1.9)
                               ).state == "payable"
        assert links.open_link(_code(app, number), now=now + dt.timedelta(hours=2.1)
                               ).state == "expired"
        db.session.remove()


def test_the_new_link_goes_to_the_orders_own_contact_not_to_one_typed_on_the_page(ph_app):
    number, _total = _order(ph_app)
    code = _code(ph_app, number, hours_ago=30)
    client = ph_app.test_client()

    answer = client.post(f"/pay/{code}/new-link",
                         data={"phone": "0719999999", "email": "thief@example.lk"},
                         follow_redirects=True)

    assert answer.status_code == 200
    assert "We have sent a new payment link to 077 *** **67 and s****@example.lk" in answer.text
    [mail] = _mails(ph_app, number)
    [sms] = _texts(ph_app, number)
    assert (mail["To"], sms["to"]) == (EMAIL, "94771234567")
    fresh = re.search(r"https?://\S+", sms["message"]).group(0)
    assert "Pay Rs. 2,850.00 with PayHere" in client.get(_path(fresh)).text
    with ph_app.app_context():
        assert orders.find_by_number(number).events[-1].actor_kind == "system"
        db.session.remove()


def test_a_cancelled_order_says_so_and_how_to_reach_the_shop(ph_app):
    number, _total = _order(ph_app)
    code = _code(ph_app, number)
    with ph_app.app_context():
        orders.change_status(number, "cancelled")
        db.session.remove()

    html = ph_app.test_client().get(f"/pay/{code}").get_data(as_text=True)

    assert f"Order {number} is cancelled" in html
    assert "tel:+94112345678" in html and "hello@kade.lk" in html
    assert "payhere-form" not in html and "Send me a new link" not in html
    # Nor can a new link be asked for.
    ph_app.test_client().post(f"/pay/{code}/new-link")
    assert _mails(ph_app, number) == []


def test_a_customers_account_order_opens_by_its_link_too(ph_app):
    with ph_app.app_context():
        nimal = make_customer(email="nimal@example.lk")
        order = customer_order(nimal, (stocked("Ceylon tea", units=5), 1), method="payhere")
        number = order.number
        db.session.remove()
    sent = _send(ph_app, number)

    html = ph_app.test_client().get(_path(sent.url)).get_data(as_text=True)

    assert "with PayHere" in html and f"Pay for order {number}" in html


@pytest.mark.parametrize("code", ["nonsense", "A" * 22, "A" * 500, "%F0%9F%98%80", "ZZZ-.-"])
def test_a_forged_or_broken_code_is_the_404_page(ph_app, code):
    _order(ph_app)
    client = ph_app.test_client()
    assert client.get(f"/pay/{code}").status_code == 404
    assert client.post(f"/pay/{code}/new-link").status_code == 404


def test_a_code_for_another_order_cannot_be_made_by_changing_the_id(ph_app):
    first, _ = _order(ph_app)
    second, _ = _order(ph_app)
    import base64

    raw = bytearray(base64.urlsafe_b64decode(_code(ph_app, first) + "=="))
    with ph_app.app_context():
        raw[0] = orders.find_by_number(second).id  # one byte of id for small ids
        db.session.remove()
    forged = base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()

    assert ph_app.test_client().get(f"/pay/{forged}").status_code == 404


def test_asking_for_new_links_is_limited(make_app):
    app = make_app(**payhere_settings(PUBLIC_URL=SHOP), RATELIMIT_ENABLED=True)
    number, _total = _order(app)
    code = _code(app, number, hours_ago=30)
    client = app.test_client()

    answers = [client.post(f"/pay/{code}/new-link").status_code for _ in range(4)]

    assert answers[:3] == [303, 303, 303] and answers[3] == 429
    assert client.get(f"/pay/{code}").status_code == 200  # the page itself still opens


def test_the_new_link_form_needs_its_csrf_token(make_app):
    app = make_app(**payhere_settings(PUBLIC_URL=SHOP), WTF_CSRF_ENABLED=True)
    number, _total = _order(app)
    code = _code(app, number, hours_ago=30)

    answer = app.test_client().post(f"/pay/{code}/new-link")

    assert answer.status_code in (400, 422)
    assert _mails(app, number) == []


# ---- the staff page ----------------------------------------------------------------------------

def _staff_id(app, role: str = "order_manager") -> int:
    with app.app_context():
        staff = make_staff(role)
        db.session.commit()
        staff_id = staff.id
        db.session.remove()
    return staff_id


def _user_model():
    from app.accounts.models import User

    return User


def _signed_in(app, role: str = "order_manager"):
    staff_id = _staff_id(app, role)
    with app.app_context():
        staff = db.session.get(_user_model(), staff_id)
        email, secret = staff.email, staff.totp_secret
        db.session.remove()
    client = app.test_client()
    client.post("/staff/login", data={"email": email, "password": PASSWORD})
    assert client.post("/staff/login/code",
                       data={"code": current_code(secret)}).status_code == 303
    return client


def test_staff_send_a_payment_link_from_the_order_page(ph_app):
    number, _total = _order(ph_app)
    staff = _signed_in(ph_app)
    page = staff.get(f"/staff/orders/{number}").text
    assert f'action="/staff/orders/{number}/payment-link"' in page

    answer = staff.post(f"/staff/orders/{number}/payment-link")

    assert answer.status_code == 303
    shown = staff.get(answer.location).text
    assert "Payment link sent by email and SMS; it works until" in shown
    assert "Payment link sent by email and SMS, valid until" in shown  # the timeline
    assert len(_mails(ph_app, number)) == 1 and len(_texts(ph_app, number)) == 1


def test_staff_see_no_button_for_an_order_not_paid_online_and_are_told_why(ph_app):
    number, _total = _order(ph_app, method="cod")
    staff = _signed_in(ph_app)
    assert "/payment-link" not in staff.get(f"/staff/orders/{number}").text

    answer = staff.post(f"/staff/orders/{number}/payment-link")

    assert "is not paid online" in staff.get(answer.location).text
    assert _mails(ph_app, number) == []


def test_only_order_staff_send_payment_links(ph_app):
    number, _total = _order(ph_app)
    agent = _signed_in(ph_app, "support_agent")
    assert agent.post(f"/staff/orders/{number}/payment-link").status_code == 403
    assert ph_app.test_client().post(f"/staff/orders/{number}/payment-link").status_code in (
        302, 303, 401, 403)
    assert _mails(ph_app, number) == []
