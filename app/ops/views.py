"""Liveness and readiness for load balancers and orchestrators."""

from flask import Blueprint, current_app, jsonify

from app.ops import services as ops

bp = Blueprint("ops", __name__)


@bp.get("/healthz")
def healthz():
    """The process is up. Touches nothing else, so a slow database never kills the process."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    """Ready for traffic: the database answers, and Redis when one is configured."""
    checks = ops.readiness(current_app.config)
    ready = all(c["ok"] for c in checks.values())
    return jsonify(status="ok" if ready else "unavailable", checks=checks), 200 if ready else 503
