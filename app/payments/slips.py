"""Bank transfer slips: the customer's proof that they sent the money, and staff's answer.

A slip is a picture or a PDF, judged by its content, never its name: pictures go through the
catalog's checks and are re-encoded (no metadata, no GPS position of the customer's phone
survives); a PDF must start with a PDF header, end with a trailer and open as a PDF. At most
10 MB. Slips live in the media store under `private/slips/…` with a random name, and are
served only through the order's own pages (its customer, a guest's signed link, staff).

Staff verify a slip (the bank-transfer payment is captured and the order becomes paid) or
reject it (the customer is told why by mail and may upload another).
"""

from __future__ import annotations

import io
import logging
import re
import secrets

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app import db
from app.audit import services as audit
from app.catalog import images
from app.db import transaction, utcnow
from app.errors import Conflict, Invalid, NotFound
from app.notifications import services as notifications
from app.orders import services as orders
from app.payments import services as payments
from app.payments.models import PaymentEvent, TransferSlip
from app.security.roles import Permission, require
from app.storage import storage

log = logging.getLogger(__name__)

MAX_BYTES = 10 * 1024 * 1024
MAX_SLIPS = 5  # per order: enough for a retake or two, not a free file store
MAX_PDF_PAGES = 20
MAX_NOTE = 500
KEY_PREFIX = "private/slips"
STATUS_LABELS = {
    "pending": _l("Waiting for us to check it"),
    "verified": _l("Checked: payment received"),
    "rejected": _l("Not accepted"),
}
_PDF_HEADER = re.compile(rb"^%PDF-[12]\.\d")


class NotASlip(Invalid):
    code = "not_a_slip"
    default_message = _l("That file is not a picture or a PDF we can read. Upload a photo "
                         "(JPEG, PNG or WebP) or a PDF of your transfer slip.")


class SlipTooLarge(Invalid):
    code = "slip_too_large"
    default_message = _l("That file is too large. Upload one under 10 MB.")


# ---- checking what was sent -------------------------------------------------------------------

def _check_pdf(data: bytes) -> None:
    """A PDF header, a trailer, and a file that opens as a PDF with at least one page."""
    if not _PDF_HEADER.match(data) or b"%%EOF" not in data[-2048:] \
            or b"startxref" not in data[-4096:]:
        raise NotASlip(field="slip")
    try:
        from pypdf import PdfReader
        from pypdf.errors import PyPdfError
    except ImportError:  # pypdf not installed: the structure check below must do
        _check_pdf_structure(data)
        return
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise Invalid(_l("That PDF has a password. Upload one without a password, or a "
                             "photo of the slip."), field="slip")
        pages = len(reader.pages)
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError,
            RecursionError, OSError) as exc:
        raise NotASlip(field="slip") from exc
    if not 1 <= pages <= MAX_PDF_PAGES:
        raise NotASlip(field="slip")


def _check_pdf_structure(data: bytes) -> None:
    """Without pypdf: `startxref` must point at a cross-reference table or stream."""
    found = re.search(rb"startxref\s+(\d{1,10})\s+%%EOF", data[-4096:])
    if not found:
        raise NotASlip(field="slip")
    offset = int(found.group(1))
    target = data[offset:offset + 32]
    if not (target.startswith(b"xref") or re.match(rb"\d+\s+\d+\s+obj", target)):
        raise NotASlip(field="slip")


def check_slip(data: bytes) -> tuple[bytes, str, str]:
    """What to store for an upload: (bytes, content type, extension). Raises NotASlip,
    SlipTooLarge."""
    if len(data) > MAX_BYTES:
        raise SlipTooLarge(field="slip")
    if len(data) < 8:
        raise NotASlip(field="slip")
    if data.startswith(b"%PDF-"):
        _check_pdf(data)
        return data, "application/pdf", "pdf"
    try:
        picture = images.process(data)
    except images.ImageTooLarge as exc:
        raise SlipTooLarge(field="slip") from exc
    except images.NotAnImage as exc:
        raise NotASlip(field="slip") from exc
    return picture.full, "image/webp", "webp"


# ---- the customer ----------------------------------------------------------------------------

def can_upload(order) -> bool:
    return order.payment_method == "bank_transfer" and order.status == "pending_payment"


def upload_slip(order_number: str, data: bytes, *, user_id: int | None = None) -> TransferSlip:
    """Keep a customer's slip for staff to check. The caller has made sure the order is
    theirs (or the guest's link is right). Raises NotFound, Conflict, NotASlip,
    SlipTooLarge."""
    order = orders.find_by_number(order_number)
    if order is None:
        raise NotFound()
    if order.payment_method != "bank_transfer":
        raise Conflict(_l("This order is not paid by bank transfer."), field="slip")
    if order.status != "pending_payment":
        raise Conflict(_l("This order is not waiting for a transfer any more."), field="slip")
    stored, content_type, extension = check_slip(data)
    key = f"{KEY_PREFIX}/{order_number}/{secrets.token_urlsafe(18)}.{extension}"
    store = storage()
    store.save(key, stored, content_type)
    try:
        with transaction():
            payment = payments.payment_for(order_number, "bank_transfer", lock=True)
            if payment is None or payment.status == "captured":
                raise Conflict(_l("This order is not waiting for a transfer any more."),
                               field="slip")
            count = db.session.scalar(select(func.count()).select_from(TransferSlip)
                                      .where(TransferSlip.order_number == order_number))
            if count >= MAX_SLIPS:
                raise Conflict(_l("You have sent %(n)d slips for this order. We will contact "
                                  "you about it.", n=MAX_SLIPS), field="slip")
            slip = TransferSlip(payment_id=payment.id, order_number=order_number,
                                storage_key=key, content_type=content_type,
                                size_bytes=len(stored), status="pending", uploaded_by=user_id)
            db.session.add(slip)
            db.session.flush()
            audit.record("payments.slip_uploaded", actor_id=user_id, target_type="order",
                         target_id=order_number, slip_id=slip.id, content_type=content_type)
    except BaseException:
        store.delete(key)
        raise
    log.info("transfer_slip_uploaded", extra={"order_number": order_number,
                                              "slip_id": slip.id})
    return slip


def slips_for(order_number: str) -> list[TransferSlip]:
    """An order's slips, newest first."""
    return list(db.session.scalars(select(TransferSlip)
                                   .where(TransferSlip.order_number == order_number)
                                   .order_by(TransferSlip.id.desc())))


def order_slip(order_number: str, slip_id: int) -> TransferSlip:
    """A slip of this order (the caller checked the order is the reader's). NotFound for
    any other, so slip ids cannot be probed through someone's order."""
    slip = db.session.get(TransferSlip, slip_id)
    if slip is None or slip.order_number != order_number:
        raise NotFound()
    return slip


def slip_file(slip: TransferSlip) -> bytes:
    try:
        return storage().read(slip.storage_key)
    except (FileNotFoundError, ValueError) as exc:
        raise NotFound() from exc


# ---- staff -----------------------------------------------------------------------------------

def staff_slip(slip_id: int, *, actor=None) -> TransferSlip:
    require(actor, Permission.MANAGE_PAYMENTS)
    slip = db.session.get(TransferSlip, slip_id)
    if slip is None:
        raise NotFound()
    return slip


def _pending(slip_id: int) -> TransferSlip:
    slip = db.session.get(TransferSlip, slip_id, with_for_update=True)
    if slip is None:
        raise NotFound()
    if slip.status != "pending":
        raise Conflict(_l("This slip has already been checked."))
    return slip


def verify_slip(slip_id: int, *, actor=None) -> TransferSlip:
    """The money is in the shop's account: the payment is captured and the order paid
    (or, if it was cancelled meanwhile, the payment is flagged for a refund)."""
    require(actor, Permission.MANAGE_PAYMENTS)
    with transaction():
        slip = _pending(slip_id)
        payment = payments.payment_for(slip.order_number, "bank_transfer", lock=True)
        if payment is None:
            raise NotFound()
        if payment.status in payments.FINAL:
            raise Conflict(_l("This order's transfer has already been received."))
        actor_id = actor.id if actor else None
        payment.events.append(PaymentEvent(
            kind="captured", amount_cents=payment.amount_cents, actor_id=actor_id,
            dedupe_key=f"bank_transfer:{slip.order_number}:captured",
            note=f"transfer slip {slip.id} verified"))
        payments.apply_outcome(payment, "captured", payment.amount_cents, None)
        slip.status, slip.reviewed_at, slip.reviewed_by = "verified", utcnow(), actor_id
        audit.record("payments.slip_verified", actor_id=actor_id, target_type="order",
                     target_id=slip.order_number, slip_id=slip.id,
                     amount_cents=payment.amount_cents)
    return slip


def reject_slip(slip_id: int, reason: str, *, actor=None) -> TransferSlip:
    """Not the money (a wrong amount, an unreadable photo): the customer is told why and
    may upload another. Raises Invalid (reason), Conflict, NotFound."""
    require(actor, Permission.MANAGE_PAYMENTS)
    reason = (reason or "").strip()
    if not reason or len(reason) > MAX_NOTE:
        raise Invalid(_l("Tell the customer why, in up to %(n)d characters.", n=MAX_NOTE),
                      field="reason")
    with transaction():
        slip = _pending(slip_id)
        order = orders.find_by_number(slip.order_number)
        actor_id = actor.id if actor else None
        slip.status, slip.reviewed_at, slip.reviewed_by = "rejected", utcnow(), actor_id
        slip.review_note = reason
        audit.record("payments.slip_rejected", actor_id=actor_id, target_type="order",
                     target_id=slip.order_number, slip_id=slip.id)
        if order is not None:
            notifications.notify(
                "transfer_slip_rejected", email=order.contact_email,
                phone=order.contact_phone, locale=order.locale, user_id=order.user_id,
                dedupe_key=f"order:{order.number}:slip_rejected:{slip.id}",
                number=order.number, name=order.contact_name, link=orders.order_link(order),
                reason=reason, total_cents=order.total_cents,
                can_upload=can_upload(order))
    return slip
