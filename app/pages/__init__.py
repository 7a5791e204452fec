"""Pages that belong to no domain: home, language choice, error pages."""

from flask import Blueprint

bp = Blueprint("pages", __name__)

from app.pages import views  # noqa: E402,F401  (routes attach to bp)
