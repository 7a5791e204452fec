"""The customer's side of a bank transfer, on their order's page: the shop's bank details,
the slips they sent and what staff said, and the form to upload one. Guests do the same
through the signed link in their mail (the token travels with the form and the links).

Another customer's order or slip, a wrong token and an unknown number are all the 404 page,
as on the order pages themselves.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, g, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField

from app.errors import DomainError
from app.extensions import limiter
from app.forms import Form
from app.orders import services as orders
from app.orders.services import Order  # the type orders hands out
from app.payments import slips
from app.web import private_file, redirect_to

bp = Blueprint("payment_slips", __name__)

ACCEPT = "image/jpeg,image/png,image/webp,application/pdf"


class SlipForm(Form):
    slip = FileField(_l("Photo or PDF of the transfer slip"),
                     validators=[FileRequired(_l("Choose the photo or PDF of your slip."))],
                     render_kw={"accept": ACCEPT})
    t = HiddenField()  # a guest's order link token


def bank_details() -> list[str]:
    text = current_app.config.get("SHOP_BANK_DETAILS") or ""
    return [item.strip() for item in text.split("|") if item.strip()]


def _links(order: Order, token: str | None) -> dict:
    if token is None:
        return {"upload": url_for("payment_slips.upload", number=order.number),
                "file": lambda slip: url_for("payment_slips.slip_file", number=order.number,
                                             slip_id=slip.id),
                "order": url_for("orders.detail", number=order.number)}
    return {"upload": url_for("payment_slips.guest_upload", number=order.number),
            "file": lambda slip: url_for("payment_slips.guest_slip_file", number=order.number,
                                         slip_id=slip.id, t=token),
            "order": url_for("orders.guest_detail", number=order.number, t=token)}


def payment_panel(order: Order, token: str | None = None) -> dict | None:
    """What templates/payments/_order_payment.html shows for this order (None: nothing)."""
    if order.payment_method != "bank_transfer":
        return None
    found = slips.slips_for(order.number)
    return {"bank_details": bank_details(), "slips": found,
            "waiting": order.status == "pending_payment",
            "can_upload": slips.can_upload(order) and len(found) < slips.MAX_SLIPS,
            "links": _links(order, token), "labels": slips.STATUS_LABELS,
            "form": g.get("slip_form") or SlipForm(formdata=None, t=token or "")}


@bp.app_context_processor
def _panel():
    return {"order_payment_panel": payment_panel}


def _guest_order(number: str) -> tuple[Order, str]:
    token = request.values.get("t", "")
    if not token or len(token) > 200:
        abort(404)
    return orders.guest_order(number, token), token


def _upload(order: Order, token: str | None):
    form = SlipForm()
    if form.validate():
        data = form.slip.data.read(slips.MAX_BYTES + 1)
        try:
            slips.upload_slip(order.number, data,
                              user_id=current_user.id if token is None else None)
        except DomainError as exc:
            if exc.status == 404:
                raise
            form.slip.errors = [*form.slip.errors, str(exc.message)]
        else:
            flash(_("Thank you: we have your slip. We check it and tell you by mail."))
            return redirect_to(_links(order, token)["order"] + "#payment")
    from app.orders.views import detail_page  # the order page, shown again with the error

    g.slip_form = form
    return detail_page(order, token, status=422)


def _file(order: Order, slip_id: int) -> Response:
    slip = slips.order_slip(order.number, slip_id)
    return private_file(slips.slip_file(slip), slip.content_type, slips.slip_filename(slip))


# ---- customers --------------------------------------------------------------------------------

@bp.post("/account/orders/<number>/slip")
@login_required
@limiter.limit("20 per hour")
def upload(number: str):
    return _upload(orders.customer_order(number, current_user.id), None)


@bp.get("/account/orders/<number>/slips/<int:slip_id>")
@login_required
def slip_file(number: str, slip_id: int):
    return _file(orders.customer_order(number, current_user.id), slip_id)


# ---- guests, through the link in their mail ---------------------------------------------------

@bp.post("/orders/<number>/slip")
@limiter.limit("20 per hour")
def guest_upload(number: str):
    order, token = _guest_order(number)
    return _upload(order, token)


@bp.get("/orders/<number>/slips/<int:slip_id>")
def guest_slip_file(number: str, slip_id: int):
    order, _token = _guest_order(number)
    return _file(order, slip_id)
