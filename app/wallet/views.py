"""The customer's store credit on their account: what they have, what lapses when, and
every entry of the ledger with its reason."""

from __future__ import annotations

from flask import Blueprint
from flask_login import current_user, login_required

from app.wallet import points as loyalty, services as wallet
from app.wallet.labels import KIND_LABELS
from app.web import render

bp = Blueprint("wallet", __name__)

@bp.get("/account/credit")
@login_required
def credit_page():
    scheme = loyalty.scheme()
    held, lapsing = wallet.summary(current_user.id)
    points, points_lapsing = wallet.summary(current_user.id, loyalty.UNIT)
    return render("wallet/credit.html", balance=held, expiring=lapsing,
                  entries=wallet.history(current_user.id), labels=KIND_LABELS,
                  scheme=scheme, points=points, points_value=scheme.value_of(points),
                  points_expiring=points_lapsing,
                  points_entries=wallet.history(current_user.id, loyalty.UNIT))
