"""/me/wallet: my store credit, what of it lapses when, and its ledger."""

from __future__ import annotations

from app.api.auth import auth, current_customer
from app.api.blueprint import bp
from app.api.openapi import error_responses
from app.api.wallet_schemas import PointsOut, WalletOut
from app.wallet import points as loyalty, services as wallet


@bp.get("/me/wallet")
@bp.auth_required(auth)
@bp.output(WalletOut)
@bp.doc(tags=["Me"], responses=error_responses(401))
def my_wallet():
    """My store credit

    `balance` is what checkout can spend now (POST /checkout's `store_credit_cents`);
    `expiring` what lapses when, soonest first; `entries` the newest 100 entries of the
    ledger, newest first. Credit comes from refunds taken as credit, the shop's goodwill and
    cashback; a cancelled order's credit comes back with its old expiry.
    """
    customer = current_customer()
    held, lapsing = wallet.summary(customer.id)
    return WalletOut.of(held, lapsing, wallet.history(customer.id))


@bp.get("/me/points")
@bp.auth_required(auth)
@bp.output(PointsOut)
@bp.doc(tags=["Me"], responses=error_responses(401))
def my_points():
    """My loyalty points

    `balance` in points and `value` what they pay at checkout now (POST /checkout's
    `points`); `scheme` how points are earned (on the money paid for an order, when it
    arrives) and how long they last; `expiring` what lapses when, soonest first; `entries`
    the newest 100 entries of the ledger, newest first.
    """
    customer = current_customer()
    scheme = loyalty.scheme()
    points, lapsing = wallet.summary(customer.id, loyalty.UNIT)
    return PointsOut.of(points, scheme, lapsing, wallet.history(customer.id, loyalty.UNIT))
