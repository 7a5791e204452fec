from __future__ import annotations

import time

from flask import current_app
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app import db
from app.redis_client import redis_for


def _timed(check) -> dict:
    started = time.perf_counter()
    try:
        check()
    except (SQLAlchemyError, RedisError, OSError) as exc:
        return {"ok": False, "error": type(exc).__name__,
                "ms": round((time.perf_counter() - started) * 1000, 1)}
    return {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 1)}


def readiness(config) -> dict[str, dict]:
    checks = {"database": _timed(lambda: db.session.execute(text("SELECT 1")))}
    db.end_reads()
    if config.get("REDIS_URL"):
        checks["redis"] = _timed(lambda: redis_for(current_app).ping())
    else:
        checks["redis"] = {"ok": True, "skipped": "no REDIS_URL: jobs run in-process"}
    return checks


def backup_freshness() -> dict:
    """How old the recovery point is, for /readyz. Never raises: a probe must answer."""
    from app.ops.backups import services as backups

    try:
        info = backups.status()
    except Exception as exc:  # noqa: BLE001 — a broken backup setup is reported, not raised
        db.end_reads()
        return {"ok": False, "error": type(exc).__name__}
    db.end_reads()
    archive = info["archive"] or {}
    return {"ok": not info["stale"], "stale": info["stale"],
            "age_seconds": info["recovery_point_age_seconds"],
            "last_backup_age_seconds": info["age_seconds"],
            "last_backup_id": info["last_backup_id"],
            "wal_archive_age_seconds": archive.get("age_seconds"),
            "max_age_seconds": info["max_age_seconds"]}
