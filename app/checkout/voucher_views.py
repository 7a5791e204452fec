"""The voucher field: apply a code to the cart, or remove it, from the cart page or the
review step. A plain form (redirected back with a message) or htmx (the cart comes back with
the message in it). Trying codes is rate limited per client address, so codes cannot be
guessed by brute force."""

from __future__ import annotations

from flask import Blueprint
from flask_babel import gettext as _

from app.checkout import cart as carts
from app.checkout.forms import VoucherForm
from app.checkout.views import _after_change, _customer_id, _first_error, _locale, current_cart
from app.errors import DomainError
from app.extensions import limiter

bp = Blueprint("vouchers", __name__)

# A shopper types a code or two; a script trying thousands meets this.
VOUCHER_LIMIT = "10 per minute;60 per hour"


@bp.post("/cart/voucher")
@limiter.limit(VOUCHER_LIMIT)
def apply():
    form = VoucherForm()
    back = form.next.data
    if not form.validate():
        return _after_change(_first_error(form), ok=False, status=422, back=back)
    cart = current_cart()
    if cart is None:
        return _after_change(_("Your cart is empty. Add something first, then enter the "
                               "code."), ok=False, status=422, back=back)
    try:
        state = carts.set_voucher(cart, form.code.data, locale=_locale(),
                                  customer_id=_customer_id())
    except DomainError as exc:
        return _after_change(exc.message, ok=False, status=exc.status, back=back)
    if state.applied:
        message = _("Code %(code)s applied.", code=state.code)
    else:
        message = state.note or _("Code %(code)s saved.", code=state.code)
    return _after_change(message, ok=True, back=back)


@bp.post("/cart/voucher/remove")
def remove():
    form = VoucherForm()
    cart = current_cart()
    if cart is not None and cart.voucher_code:
        carts.remove_voucher(cart)
    return _after_change(_("The code is removed."), ok=True, back=form.next.data)
