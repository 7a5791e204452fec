"""The JSON API for the mobile app: /api/v1 (see docs/API.md)."""

from apiflask import APIBlueprint

bp = APIBlueprint("api", __name__, url_prefix="/api/v1")
