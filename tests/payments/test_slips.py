"""Bank transfer: the shop's bank details on the order page and in the mail, the customer's
slip (a picture or a PDF, judged by its content, at most 10 MB), who may see it, and staff
verifying (the order is paid) or rejecting it (the customer is told and may send another)."""

from __future__ import annotations

import io
import re

import pytest
from fpdf import FPDF
from PIL import Image
from pypdf import PdfReader

from app import db
from app.audit.models import AuditEntry
from app.errors import Conflict, Forbidden, NotFound
from app.orders import services as orders
from app.payments import services as payments, slips
from app.payments.models import TransferSlip
from app.security import pii
from app.storage import storage
from tests.backoffice.conftest import sign_in_staff  # noqa: F401 (a fixture)
from tests.checkout.factories import GALLE, guest_cart, place_guest_order, starter_delivery, stocked
from tests.conftest import Outbox
from tests.factories import make_customer, make_staff
from tests.pictures import png_claiming

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
    else:  # rewritten page by page: the same text, nothing that acts
        assert served.mimetype == "application/pdf"
        assert "ref KD-2026-000001" in PdfReader(io.BytesIO(served.data)).pages[0].extract_text()
    extension = "webp" if kind == "png" else "pdf"
    assert served.headers["Content-Disposition"] == (
        f'attachment; filename="{awaiting.number}-slip-{slip.id}.{extension}"')
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


# ---- private: sealed at rest, a download for its own people only --------------------------------

def test_a_slip_is_a_private_download_for_its_customer_and_payment_staff_only(
        app, client, login, shopper, awaiting, request):
    slip = slips.upload_slip(awaiting.number, png(), user_id=shopper.id)
    own, staff_file = (f"/account/orders/{awaiting.number}/slips/{slip.id}",
                       f"/staff/payments/slips/{slip.id}/file")
    login(shopper)
    staff_sign_in = request.getfixturevalue("sign_in_staff")  # the back office's own
    manager = staff_sign_in(make_staff("order_manager"), c=app.test_client())
    stranger = app.test_client()
    login(make_customer(), c=stranger)
    anonymous = app.test_client()

    for response in (client.get(own), manager.get(staff_file)):
        assert response.status_code == 200 and response.data[8:12] == b"WEBP"
        assert response.headers["Content-Disposition"].startswith("attachment;")
        assert response.headers["Cache-Control"] == "private, no-store"
    assert stranger.get(own).status_code == 404
    assert stranger.get(f"/orders/{awaiting.number}/slips/{slip.id}").status_code == 404
    assert anonymous.get(f"/orders/{awaiting.number}/slips/{slip.id}").status_code == 404
    assert anonymous.get(own).status_code in (302, 303)  # to the sign-in, no file
    assert anonymous.get(staff_file).status_code in (302, 303)
    for someone in (client, manager, stranger, anonymous):  # never at /media/, even to itself
        assert someone.get(f"/media/{slip.storage_key}").status_code == 404


def test_a_guests_slip_is_a_private_download_through_their_link(app, db_session):
    order = place_guest_order(stocked(units=3), payment_method="bank_transfer")
    slip = slips.upload_slip(order.number, pdf())
    token = orders.guest_token(order.number)
    guest = app.test_client()

    served = guest.get(f"/orders/{order.number}/slips/{slip.id}?t={token}")

    assert served.status_code == 200 and served.mimetype == "application/pdf"
    assert served.headers["Content-Disposition"] == (
        f'attachment; filename="{order.number}-slip-{slip.id}.pdf"')
    assert served.headers["Cache-Control"] == "private, no-store"
    assert guest.get(f"/orders/{order.number}/slips/{slip.id}").status_code == 404


MAGIC = {"PNG": b"\x89PNG", "WebP": b"WEBP", "RIFF": b"RIFF", "PDF": b"%PDF", "JPEG": b"\xff\xd8"}


@pytest.mark.parametrize("kind", ["png", "pdf"])
def test_a_slip_is_sealed_at_rest_and_its_customer_gets_it_back(client, login, shopper,
                                                                awaiting, kind):
    login(shopper)
    data, name = (png(), "slip.png") if kind == "png" else (pdf(), "slip.pdf")
    _upload(client, awaiting, data, name)
    [slip] = _slips(awaiting)

    stored = storage().read(slip.storage_key)
    served = client.get(f"/account/orders/{awaiting.number}/slips/{slip.id}")

    assert stored.startswith(pii.FILE_MAGIC)
    # Magics of four bytes or more only: random ciphertext holds a given two-byte run (JPEG's)
    # in its first 64 bytes about once in a thousand uploads.
    assert not any(magic in stored[:64] for magic in MAGIC.values() if len(magic) >= 4)
    assert b"%PDF" not in stored and b"ref KD-2026" not in stored
    assert served.status_code == 200 and served.data == pii.open_file(stored, slip.storage_key)
    assert served.data[:32] not in stored
    assert served.data.startswith(b"%PDF-" if kind == "pdf" else b"RIFF")
    assert slip.size_bytes == len(served.data)


def test_a_sealed_slip_moved_under_another_slips_key_is_not_served(client, login, shopper,
                                                                   awaiting):
    first = slips.upload_slip(awaiting.number, png(), user_id=shopper.id)
    second = slips.upload_slip(awaiting.number, png(30, 30), user_id=shopper.id)
    store = storage()
    store.save(second.storage_key, store.read(first.storage_key))
    login(shopper)

    response = client.get(f"/account/orders/{awaiting.number}/slips/{second.id}")

    assert response.status_code == 404


def test_a_slip_kept_in_plain_before_sealing_is_served_then_sealed(client, login, shopper,
                                                                   awaiting):
    slip = slips.upload_slip(awaiting.number, png(), user_id=shopper.id)
    store = storage()
    plain = pii.open_file(store.read(slip.storage_key), slip.storage_key)
    store.save(slip.storage_key, plain)  # as slips were kept before this change
    login(shopper)
    url = f"/account/orders/{awaiting.number}/slips/{slip.id}"

    before = client.get(url)
    sealed_count = slips.seal_stored_slips()
    after = client.get(url)

    assert before.status_code == 200 and before.data == plain
    assert sealed_count == 1 and slips.seal_stored_slips() == 0
    assert store.read(slip.storage_key).startswith(pii.FILE_MAGIC)
    assert after.status_code == 200 and after.data == plain


def test_rotating_the_pii_key_reseals_slips_and_they_still_open(app, client, login, shopper,
                                                                awaiting):
    import base64

    slip = slips.upload_slip(awaiting.number, png(), user_id=shopper.id)
    store = storage()
    old = pii.vault()
    spell = ",".join(f"{kid}:{base64.urlsafe_b64encode(key).decode()}"
                     for kid, key in old.keys.items())
    index = base64.urlsafe_b64encode(old.index_key).decode()
    login(shopper)
    try:
        pii.configure(f"{spell},slipnew:{base64.urlsafe_b64encode(b's' * 32).decode()}", index)
        result = app.test_cli_runner().invoke(args=["pii", "rotate-key"])
        served = client.get(f"/account/orders/{awaiting.number}/slips/{slip.id}")
        resealed_under = pii.vault().file_key_id(store.read(slip.storage_key))
    finally:
        pii.configure(spell, index)

    assert result.exit_code == 0 and "transfer slips: 1 files sealed" in result.output
    assert resealed_under == "slipnew"
    assert served.status_code == 200 and served.data[8:12] == b"WEBP"


# ---- what is kept of a file: nothing that acts, nothing that bursts -----------------------------

ACTING = {"/JS", "/JavaScript", "/OpenAction", "/AA", "/Launch", "/URI", "/EmbeddedFiles",
          "/EmbeddedFile", "/EF", "/FileAttachment"}


def _names_reachable(data: bytes) -> set[str]:
    """Every name used as a key or a value anywhere the file's trailer leads."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

    found, seen, stack = set(), set(), [PdfReader(io.BytesIO(data)).trailer]
    while stack:
        node = stack.pop()
        if isinstance(node, IndirectObject):
            if (node.idnum, node.generation) in seen:
                continue
            seen.add((node.idnum, node.generation))
            node = node.get_object()
        if isinstance(node, DictionaryObject):
            found |= set(node)
            stack.extend(node.values())
        elif isinstance(node, ArrayObject):
            stack.extend(node)
        elif isinstance(node, NameObject):
            found.add(str(node))
    return found


def pdf_that_acts() -> bytes:
    """The bank's slip, with a script when opened, a script on the page, a launch, a link
    out, an embedded program and a file-attachment annotation."""
    from pypdf import PdfWriter
    from pypdf.generic import (
        ArrayObject,
        DecodedStreamObject,
        DictionaryObject,
        NameObject as N,
        NumberObject,
        TextStringObject,
    )

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf())))
    writer.add_attachment("invoice.exe", b"MZ not really a program")

    def action(kind: str, **fields) -> DictionaryObject:
        return DictionaryObject({N("/Type"): N("/Action"), N("/S"): N(kind), **{
            N(f"/{k}"): TextStringObject(v) for k, v in fields.items()}})

    writer._root_object["/Names"].get_object()[N("/JavaScript")] = DictionaryObject({
        N("/Names"): ArrayObject([TextStringObject("greeting"), writer._add_object(
            action("/JavaScript", JS="app.alert('named script');"))])})

    def link(act: DictionaryObject) -> DictionaryObject:
        return DictionaryObject({
            N("/Type"): N("/Annot"), N("/Subtype"): N("/Link"),
            N("/Rect"): ArrayObject([NumberObject(n) for n in (10, 10, 200, 40)]),
            N("/A"): writer._add_object(act)})

    embedded = DecodedStreamObject()
    embedded.set_data(b"MZ another program")
    embedded[N("/Type")] = N("/EmbeddedFile")
    attachment = DictionaryObject({
        N("/Type"): N("/Annot"), N("/Subtype"): N("/FileAttachment"),
        N("/Rect"): ArrayObject([NumberObject(n) for n in (0, 0, 20, 20)]),
        N("/FS"): DictionaryObject({
            N("/Type"): N("/Filespec"), N("/F"): TextStringObject("x.exe"),
            N("/EF"): DictionaryObject({N("/F"): writer._add_object(embedded)})})})
    writer._root_object[N("/OpenAction")] = writer._add_object(
        action("/JavaScript", JS="app.alert(1)"))
    page = writer.pages[0]
    page[N("/AA")] = DictionaryObject({N("/O"): action("/JavaScript", JS="app.alert(2)")})
    page[N("/Annots")] = ArrayObject([
        writer._add_object(link(action("/Launch", F="cmd.exe"))),
        writer._add_object(link(action("/URI", URI="https://evil.example/steal"))),
        writer._add_object(attachment)])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_pdf_slip_is_kept_without_scripts_launches_links_or_embedded_files(shopper, awaiting):
    acting = pdf_that_acts()
    assert ACTING <= _names_reachable(acting)  # the upload really does all of it

    slip = slips.upload_slip(awaiting.number, acting, user_id=shopper.id)

    stored = pii.open_file(storage().read(slip.storage_key), slip.storage_key)
    assert _names_reachable(stored) & ACTING == set()
    for name in ACTING:
        assert name.encode() not in stored
    assert b"evil.example" not in stored and b"MZ " not in stored
    reader = PdfReader(io.BytesIO(stored))
    assert len(reader.pages) == 1
    assert "ref KD-2026-000001" in reader.pages[0].extract_text()


def test_a_5_kb_png_of_30000_by_30000_pixels_is_refused_with_a_clear_message(
        client, login, shopper, awaiting):
    login(shopper)
    bomb = png_claiming(30_000, 30_000)
    assert len(bomb) < 8_000
    files_before = _stored_files()

    response = _upload(client, awaiting, bomb)

    assert response.status_code == 422
    assert "That picture has too many pixels for us to open (more than 12 megapixels)" in (
        _text(response.text))
    assert _slips(awaiting) == [] and _stored_files() == files_before


def test_an_order_with_all_its_slips_refuses_another_before_opening_it(client, login, shopper,
                                                                      awaiting):
    for _ in range(slips.MAX_SLIPS):
        slips.upload_slip(awaiting.number, png(40, 40), user_id=shopper.id)
    login(shopper)
    files_before = _stored_files()

    answers = [_upload(client, awaiting, data, name) for data, name in (
        (png_claiming(30_000, 30_000), "bomb.png"),  # opened, it would be "too many pixels"
        (TEXT, "notes.pdf"),                          # opened, it would be "not a picture"
        (pdf_that_acts(), "slip.pdf"))]

    for response in answers:
        assert response.status_code == 422
        assert "You have sent 5 slips for this order" in _text(response.text)
        assert "too many pixels" not in response.text and "not a picture" not in response.text
    assert len(_slips(awaiting)) == slips.MAX_SLIPS and _stored_files() == files_before
