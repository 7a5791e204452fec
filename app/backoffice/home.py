"""The back-office start page: the areas this role may use."""

from __future__ import annotations

from app.backoffice import bp
from app.backoffice.guards import staff_required
from app.web import render


@bp.get("/")
@staff_required
def home():
    return render("staff/home.html")
