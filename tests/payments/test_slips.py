"""Bank transfer: the shop's bank details on the order page and in the mail, the customer's
slip (a picture or a PDF, judged by its content, at most 10 MB), who may see it, and staff
verifying (the order is paid) or rejecting it (the customer is told and may send another)."""

from __future__ import annotations

import io
import re

import pytest
from fpdf import FPDF
from PIL import Image

from app import db
from app.audit.models import AuditEntry
from app.errors import Conflict, Forbidden, NotFound
from app.orders import services as orders
from app.payments import services as payments, slips
from app.payments.models import TransferSlip
from app.storage import storage
from tests.checkout.factories import GALLE, guest_cart, place_guest_order, starter_delivery, stocked
from tests.conftest import Outbox
from tests.factories import make_customer, make_staff

BANK = "Bank: Commercial Bank | Account number: 1000 2345 6789"


@pytest.fixture(scope="module")
def app(migrated, tmp_root):
    """The test app, with the slip pages' blueprint (registered by the app factory once
    app/__init__.py names it; until then, here) and a bank account of its own."""
    from tests.conftest import _create_test_app, base_config

    application = _create_test_app({**base_config(migrated, tmp_root),
                                    "SHOP_BANK_DETAILS": BANK,
                                    "MEDIA_URL": f"file://{tmp_root / 'media-slips'}"})
    if "payment_slips" not in application.blueprints:
        from app.payments.slip_views import bp

        application.register_blueprint(bp)
    return application


def png(width=600, height=800) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (240, 240, 230)).save(out, "PNG")
    return out.getvalue()


def pdf() -> bytes:
    document = FPDF()
    document.add_page()
    document.set_font("helvetica", size=12)
    document.cell(text="Commercial Bank - transfer of Rs. 2,850.00 - ref KD-2026-000001")
    return bytes(document.output())


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture()
def shopper(db_session):
    return make_customer()


@pytest.fixture()
def awaiting(shopper):
    """The customer's bank-transfer order, waiting for the money."""
    from app.checkout.services import CheckoutChoices, Contact, place_order

    starter_delivery()
    cart = guest_cart((stocked("Ceylon tea", units=5, price_cents=1_250_00), 2))
    order, _ = place_order(cart, CheckoutChoices(
        payment_method="bank_transfer", delivery_option="island-wide", address=GALLE,
        contact=Contact(name=shopper.name, email=shopper.email, phone="0771234567")),
        user=shopper)
    return order


def _upload(client, order, data: bytes, name: str = "slip.png", token: str | None = None):
    path = (f"/orders/{order.number}/slip" if token
            else f"/account/orders/{order.number}/slip")
    form = {"slip": (io.BytesIO(data), name)}
    if token:
        form["t"] = token
    return client.post(path, data=form, content_type="multipart/form-data")


def _stored_files() -> set:
    root = storage().root / slips.KEY_PREFIX
    return set(root.rglob("*")) if root.exists() else set()


def _slips(order) -> list[TransferSlip]:
    db.session.expire_all()
    return slips.slips_for(order.number)


# ---- the bank details --------------------------------------------------------------------------

def test_the_order_page_and_the_placed_mail_carry_the_bank_details(client, login, shopper,
                                                                   awaiting, outbox):
    login(shopper)

    page = _text(client.get(f"/account/orders/{awaiting.number}").text)

    assert "Transfer Rs. " in page and "Account number: 1000 2345 6789" in page
    assert f"Reference: {awaiting.number}" in page
    assert "Photo or PDF of the transfer slip" in page
    [placed] = outbox.to(shopper.email, "order")
    assert "Account number: 1000 2345 6789" in Outbox.text(placed)
    assert "Account number: 1000 2345 6789" in placed.get_body(("html",)).get_content()


def test_a_cash_on_delivery_order_shows_no_bank_details(client, db_session):
    order = place_guest_order(stocked())
    token = orders.guest_token(order.number)

    page = client.get(f"/orders/{order.number}?t={token}").text

    assert "1000 2345 6789" not in page and "transfer slip" not in page


# ---- uploading -----------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["png", "pdf"])
def test_the_customer_sends_a_slip_and_sees_it_waiting(client, login, shopper, awaiting, kind):
    login(shopper)
    data, name = (png(), "slip.png") if kind == "png" else (pdf(), "slip.pdf")

    response = _upload(client, awaiting, data, name)

    assert response.status_code == 303
    assert response.location.endswith(f"/account/orders/{awaiting.number}#payment")
    [slip] = _slips(awaiting)
    assert slip.status == "pending" and slip.uploaded_by == shopper.id
    assert slip.storage_key.startswith(f"private/slips/{awaiting.number}/")
    page = _text(client.get(f"/account/orders/{awaiting.number}").text)
    assert "Waiting for us to check it" in page and "Send another slip" in page
    served = client.get(f"/account/orders/{awaiting.number}/slips/{slip.id}")
    assert served.status_code == 200
    if kind == "png":  # re-encoded: no metadata from the customer's phone survives
        assert served.mimetype == "image/webp" and served.data[8:12] == b"WEBP"
        assert served.headers["Content-Disposition"].startswith("inline")
    else:
        assert served.mimetype == "application/pdf" and served.data == data
        assert served.headers["Content-Disposition"].startswith("attachment")
    assert "sandbox" in served.headers["Content-Security-Policy"]
    assert served.headers["Cache-Control"] == "private, no-store"
    assert db.session.query(AuditEntry).filter_by(action="payments.slip_uploaded").count() == 1


TEXT = b"Dear shop, I have paid. Regards, Sarah\n" * 20


@pytest.mark.parametrize("data, name, says", [
    (TEXT, "slip.pdf", "not a picture or a PDF"),
    (TEXT, "slip.jpg", "not a picture or a PDF"),
    (b"%PDF-1.7\n" + TEXT, "slip.pdf", "not a picture or a PDF"),  # a header, nothing else
    (b"%PDF-1.4\n" + TEXT + b"startxref\n9\n%%EOF\n", "slip.pdf", "not a picture or a PDF"),
    (b"GIF89a" + b"\x00" * 100, "slip.gif", "not a picture or a PDF"),
    (png()[:200], "slip.png", "not a picture or a PDF"),  # cut short
    (b"\x00" * (20 * 1024 * 1024), "slip.png", "under 10 MB"),
    (b"", "slip.png", "not a picture or a PDF"),
])
def test_what_is_not_a_slip_is_refused_and_nothing_is_kept(client, login, shopper, awaiting,
                                                           data, name, says):
    login(shopper)
    files_before = _stored_files()

    response = _upload(client, awaiting, data, name)

    assert response.status_code == 422
    assert says in _text(response.text)
    assert _slips(awaiting) == []
    assert _stored_files() == files_before


def test_a_slip_is_refused_when_the_order_waits_for_no_transfer(client, login, shopper,
                                                               awaiting):
    login(shopper)
    orders.change_status(awaiting.number, "cancelled")

    response = _upload(client, awaiting, png())

    assert response.status_code == 422
    assert "not waiting for a transfer" in _text(response.text)
    assert _slips(awaiting) == []


def test_five_slips_are_enough(shopper, awaiting):
    for _ in range(slips.MAX_SLIPS):
        slips.upload_slip(awaiting.number, png(40, 40), user_id=shopper.id)

    with pytest.raises(Conflict):
        slips.upload_slip(awaiting.number, png(40, 40), user_id=shopper.id)

    assert len(_slips(awaiting)) == slips.MAX_SLIPS


# ---- who may see it ---------------------------------------------------------------------------

def test_another_customer_cannot_see_or_add_to_someone_elses_slips(client, login, shopper,
                                                                   awaiting):
    slip = slips.upload_slip(awaiting.number, png(), user_id=shopper.id)
    login(make_customer())

    assert client.get(f"/account/orders/{awaiting.number}/slips/{slip.id}").status_code == 404
    assert _upload(client, awaiting, png()).status_code == 404
    assert client.get(f"/orders/{awaiting.number}/slips/{slip.id}").status_code == 404
    assert client.get(
        f"/orders/{awaiting.number}/slips/{slip.id}?t=not-the-token").status_code == 404
    assert len(_slips(awaiting)) == 1


def test_a_slip_is_reached_only_through_its_own_order(client, login, shopper, awaiting):
    other = place_guest_order(stocked("Kithul treacle", units=3), payment_method="bank_transfer")
    foreign = slips.upload_slip(other.number, png())
    login(shopper)

    response = client.get(f"/account/orders/{awaiting.number}/slips/{foreign.id}")

    assert response.status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client, shopper, awaiting):
    slip = slips.upload_slip(awaiting.number, png(), user_id=shopper.id)

    response = client.get(f"/account/orders/{awaiting.number}/slips/{slip.id}")

    assert response.status_code in (302, 303) and "/account/login" in response.location


def test_a_guest_sends_and_sees_a_slip_through_their_signed_link(client, db_session):
    order = place_guest_order(stocked(units=3), payment_method="bank_transfer")
    token = orders.guest_token(order.number)

    response = _upload(client, order, png(), token=token)

    assert response.status_code == 303
    [slip] = _slips(order)
    assert slip.uploaded_by is None
    assert client.get(f"/orders/{order.number}/slips/{slip.id}?t={token}").status_code == 200
    assert _upload(client, order, png(), token="forged").status_code == 404
    assert client.get(f"/orders/{order.number}/slips/{slip.id}").status_code == 404


# ---- staff's answer -----------------------------------------------------------------------------

def test_verifying_a_slip_pays_the_order(shopper, awaiting, outbox):
    slip = slips.upload_slip(awaiting.number, png(), user_id=shopper.id)
    manager = make_staff("order_manager")

    slips.verify_slip(slip.id, actor=manager)

    order = orders.find_by_number(awaiting.number)
    payment = payments.payment_for(awaiting.number, "bank_transfer")
    assert (order.status, order.payment_status) == ("paid", "paid")
    assert (payment.status, payment.captured_cents) == ("captured", order.total_cents)
    assert slip.status == "verified" and slip.reviewed_by == manager.id
    assert [m["X-Kade-Dedupe-Key"] for m in outbox.to(shopper.email)].count(
        f"order:{order.number}:order_paid") == 1
    with pytest.raises(Conflict):
        slips.verify_slip(slip.id, actor=manager)


def test_a_rejected_slip_tells_the_customer_why_and_they_may_send_another(
        client, login, shopper, awaiting, outbox):
    slip = slips.upload_slip(awaiting.number, png(), user_id=shopper.id)

    slips.reject_slip(slip.id, "The amount on the slip is Rs. 250.00, not the total.",
                      actor=make_staff("order_manager"))

    [mail] = outbox.to(shopper.email, f"order:{awaiting.number}:slip_rejected")
    assert "Rs. 250.00, not the total" in Outbox.text(mail)
    assert payments.payment_for(awaiting.number, "bank_transfer").status == "initiated"
    login(shopper)
    page = _text(client.get(f"/account/orders/{awaiting.number}").text)
    assert "Not accepted" in page and "Why: The amount on the slip" in page
    assert _upload(client, awaiting, pdf(), "again.pdf").status_code == 303


def test_only_payment_staff_check_slips(shopper, awaiting):
    slip = slips.upload_slip(awaiting.number, png(), user_id=shopper.id)

    for role in ("support_agent", "catalog_manager"):
        with pytest.raises(Forbidden):
            slips.verify_slip(slip.id, actor=make_staff(role))
        with pytest.raises(Forbidden):
            slips.reject_slip(slip.id, "no", actor=make_staff(role))
    with pytest.raises(NotFound):
        slips.verify_slip(999_999, actor=make_staff("order_manager"))
    assert _slips(awaiting)[0].status == "pending"
