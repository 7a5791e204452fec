"""Bank transfer slips: the customer's proof that they sent the money, and staff's answer.

A slip is a picture or a PDF, judged by its content, never its name: pictures go through the
catalog's checks (pixels counted from the header before anything is decoded) and are
re-encoded (no metadata, no GPS position of the customer's phone survives); a PDF must start
with a PDF header, end with a trailer and open as a PDF, and is rewritten page by page
without anything that acts (JavaScript, launch, links out, embedded files). At most 10 MB,
and an order over its slip limit is refused before any of that work is done.

Slips are personal data: they are sealed with the PII keys (app/security/pii.py) and kept in
the media store under `private/slips/…` with a random name, never served at `/media/`, only
through the order's own pages (its customer, a guest's signed link, staff). Slips stored
before sealing began are still read as they are, and `flask pii rotate-key` seals them.

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
from app.security import pii
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

# Keys that make a PDF act rather than show: actions (/A on links and widgets, /AA on pages
# and fields, /OpenAction), scripts, links out, launches and embedded files. Annotations
# that only exist to carry such things go whole.
_ACTING_KEYS = frozenset({"/A", "/AA", "/OpenAction", "/JS", "/JavaScript", "/URI", "/Launch",
                          "/EmbeddedFiles", "/EmbeddedFile", "/EF", "/RichMediaContent"})
_ACTING_ANNOTATIONS = frozenset({"/FileAttachment", "/Sound", "/Movie", "/Screen",
                                 "/RichMedia", "/3D"})


def _clean_pdf(data: bytes) -> bytes:
    """A PDF header, a trailer, a file that opens as a PDF with 1 to MAX_PDF_PAGES pages;
    what is kept is a new file made of its pages alone, with everything that acts removed.
    Raises NotASlip, Invalid (a password)."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.errors import PyPdfError

    if not _PDF_HEADER.match(data) or b"%%EOF" not in data[-2048:] \
            or b"startxref" not in data[-4096:]:
        raise NotASlip(field="slip")
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise Invalid(_l("That PDF has a password. Upload one without a password, or a "
                             "photo of the slip."), field="slip")
        if not 1 <= len(reader.pages) <= MAX_PDF_PAGES:
            raise NotASlip(field="slip")
        # The document's own catalog (open action, names with scripts and embedded files,
        # forms, outline) is left behind: the new file holds only the pages, cleaned first
        # so nothing acting is even copied.
        writer = PdfWriter()
        for page in reader.pages:
            _strip_actions(page)
            writer.add_page(page)
        out = io.BytesIO()
        writer.write(out)
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError,
            RecursionError, OSError) as exc:
        raise NotASlip(field="slip") from exc
    return out.getvalue()


def _strip_actions(page) -> None:
    """Walk everything a page reaches (annotations, form fields, resources) and drop what
    acts. Iterative, with a visited set: a PDF's objects may point at each other in loops."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

    seen: set[int] = set()
    stack = [page]
    while stack:
        node = stack.pop()
        if isinstance(node, IndirectObject):
            node = node.get_object()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, DictionaryObject):
            for key in _ACTING_KEYS & set(node):
                del node[key]
            annotations = node.get("/Annots")
            if annotations is not None and isinstance(annotations.get_object(), ArrayObject):
                node[NameObject("/Annots")] = ArrayObject(
                    a for a in annotations.get_object()
                    if a.get_object().get("/Subtype") not in _ACTING_ANNOTATIONS)
            stack.extend(node.values())
        elif isinstance(node, ArrayObject):
            stack.extend(node)


def check_slip(data: bytes) -> tuple[bytes, str, str]:
    """What to store for an upload: (bytes, content type, extension). Raises NotASlip,
    SlipTooLarge, images.TooManyPixels."""
    if len(data) > MAX_BYTES:
        raise SlipTooLarge(field="slip")
    if len(data) < 8:
        raise NotASlip(field="slip")
    if data.startswith(b"%PDF-"):
        return _clean_pdf(data), "application/pdf", "pdf"
    try:
        picture = images.process(data, field="slip")
    except images.TooManyPixels:
        raise  # its own message: the file is small, its pixels are not
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
    # The limit first: an order that has all its slips costs no decoding (checked again
    # under the lock below, where two uploads at once are settled).
    _check_slip_count(order_number)
    stored, content_type, extension = check_slip(data)
    key = f"{KEY_PREFIX}/{order_number}/{secrets.token_urlsafe(18)}.{extension}"
    store = storage()
    store.save(key, pii.seal_file(stored, key), "application/octet-stream")
    try:
        with transaction():
            payment = payments.payment_for(order_number, "bank_transfer", lock=True)
            if payment is None or payment.status == "captured":
                raise Conflict(_l("This order is not waiting for a transfer any more."),
                               field="slip")
            _check_slip_count(order_number)
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


def _check_slip_count(order_number: str) -> None:
    count = db.session.scalar(select(func.count()).select_from(TransferSlip)
                              .where(TransferSlip.order_number == order_number))
    if count >= MAX_SLIPS:
        raise Conflict(_l("You have sent %(n)d slips for this order. We will contact "
                          "you about it.", n=MAX_SLIPS), field="slip")


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
    """The slip as it was checked and re-encoded, unsealed. Raises NotFound."""
    try:
        stored = storage().read(slip.storage_key)
    except (FileNotFoundError, ValueError) as exc:
        raise NotFound() from exc
    if pii.vault().file_key_id(stored) is None:
        return stored  # kept before slips were sealed; `flask pii rotate-key` seals it
    try:
        return pii.open_file(stored, slip.storage_key)
    except pii.PiiKeyError as exc:  # a key missing from PII_KEYS, or changed bytes
        log.exception("transfer_slip_unreadable", extra={"slip_id": slip.id})
        raise NotFound() from exc


def slip_filename(slip: TransferSlip) -> str:
    extension = "pdf" if slip.content_type == "application/pdf" else "webp"
    return f"{slip.order_number}-slip-{slip.id}.{extension}"


def seal_stored_slips() -> int:
    """Seal every slip file under the newest PII key: those kept in plain before sealing
    began, and those sealed under an older key. Safe to run again. Returns how many files
    changed."""
    vault = pii.vault()
    store = storage()
    changed = 0
    keys = db.session.scalars(select(TransferSlip.storage_key).order_by(TransferSlip.id))
    for key in keys:
        try:
            stored = store.read(key)
        except (FileNotFoundError, ValueError):
            log.warning("transfer_slip_file_missing", extra={"storage_key": key})
            continue
        kid = vault.file_key_id(stored)
        if kid == vault.active_key_id:
            continue
        plain = stored if kid is None else vault.open_file(stored, key)
        store.save(key, vault.seal_file(plain, key), "application/octet-stream")
        changed += 1
    return changed


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
        payments.apply_outcome(payment, "captured", payment.amount_cents, None, actor=actor)
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
                short_link=orders.short_link(order), reason=reason, total_cents=order.due_cents,
                can_upload=can_upload(order))
    return slip
