"""The staff back office at /staff."""

from flask import Blueprint

bp = Blueprint("staff", __name__, url_prefix="/staff")


@bp.get("/")
def home():  # replaced by the back-office shell
    return "staff"
