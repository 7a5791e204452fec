"""Gateways talking to us. PayHere's server-to-server notification comes here: no session,
no CSRF token (PayHere cannot have one); its md5sig is what proves it (payments.services)."""

from __future__ import annotations

from flask import Blueprint, request

from app.extensions import csrf, limiter
from app.payments import services as payments

bp = Blueprint("payments", __name__)


@bp.post("/payments/payhere/notify")
@csrf.exempt
@limiter.limit("120 per minute")
def payhere_notify():
    payments.record_payhere_notification(request.form.to_dict())
    # The same answer whatever happened: a forger learns nothing from it. PayHere retries
    # only on network failure, and every outcome is already recorded or logged.
    return "OK", 200, {"Content-Type": "text/plain; charset=utf-8"}
