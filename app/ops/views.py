"""Liveness, readiness and metrics for load balancers, orchestrators and Prometheus."""

import hmac

from flask import Blueprint, Response, abort, current_app, jsonify, request

from app.ops import metrics as counted, services as ops

bp = Blueprint("ops", __name__)


@bp.get("/healthz")
def healthz():
    """The process is up. Touches nothing else, so a slow database never kills the process."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    """Ready for traffic: the database answers, and Redis when one is configured. The backup
    entry is for people and monitors: a late backup is an alert, not a reason to take the
    shop out of the load balancer, so it never makes this answer 503."""
    checks = ops.readiness(current_app.config)
    ready = all(c["ok"] for c in checks.values())
    return jsonify(status="ok" if ready else "unavailable", checks=checks,
                   backup=ops.backup_freshness()), 200 if ready else 503


@bp.get("/metrics")
def metrics():
    """Prometheus text format. With METRICS_TOKEN set, only `Authorization: Bearer <it>`.
    In production without a token there are no metrics to scrape (404): the page tells
    anyone the shop's backup age and traffic, so it is never open there by default."""
    token = current_app.config.get("METRICS_TOKEN")
    if not token and current_app.config.get("KADE_ENV") == "production":
        abort(404)
    if token:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), token.encode()):
            abort(401)
    body, content_type = counted.render()
    return Response(body, content_type=content_type)
