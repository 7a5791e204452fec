from __future__ import annotations

import time

from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app import db


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
    db.session.rollback()
    if config.get("REDIS_URL"):
        def ping():
            Redis.from_url(config["REDIS_URL"], socket_timeout=2, socket_connect_timeout=2).ping()

        checks["redis"] = _timed(ping)
    else:
        checks["redis"] = {"ok": True, "skipped": "no REDIS_URL: jobs run in-process"}
    return checks
