"""The customer's order pages: list, detail with timeline, cancel, return request, and a
guest's order through the signed link in their mail. (Filled in by the storefront work.)"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("orders", __name__)


@bp.get("/account/orders/<number>")
def detail(number: str):
    raise NotImplementedError


@bp.get("/orders/<number>")
def guest_detail(number: str):
    raise NotImplementedError
