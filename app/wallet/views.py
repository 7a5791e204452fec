"""The customer's store credit on their account: what they have, what lapses when, and
every entry of the ledger with its reason."""

from __future__ import annotations

from flask import Blueprint
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from app.wallet import points as loyalty, services as wallet
from app.web import render

bp = Blueprint("wallet", __name__)

# Each ledger entry's kind in the customer's words.
KIND_LABELS = {
    "refund": _l("Refund as store credit"),
    "goodwill": _l("From the shop"),
    "cashback": _l("Cashback"),
    "earned": _l("Earned on an order"),
    "taken_back": _l("Taken back: order cancelled or refunded"),
    "returned": _l("Back from a cancelled order"),
    "adjustment": _l("Correction by the shop"),
    "spent": _l("Spent on an order"),
    "expired": _l("Expired"),
}


@bp.get("/account/credit")
@login_required
def credit_page():
    scheme = loyalty.scheme()
    points = loyalty.balance(current_user.id)
    return render("wallet/credit.html", balance=wallet.balance(current_user.id),
                  expiring=wallet.expiring(current_user.id),
                  entries=wallet.history(current_user.id), labels=KIND_LABELS,
                  scheme=scheme, points=points, points_value=scheme.value_of(points),
                  points_expiring=wallet.expiring(current_user.id, loyalty.UNIT),
                  points_entries=wallet.history(current_user.id, loyalty.UNIT))
