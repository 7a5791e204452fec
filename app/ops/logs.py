"""JSON log lines with a request id. Events and ids only: never names, phones, emails, tokens."""

from __future__ import annotations

import json
import logging
import sys
import time
import uuid

from flask import g, has_request_context, request

_RESERVED = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "at": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _RESERVED and not key.startswith("_"):
                line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str, ensure_ascii=False)


_base_factory = logging.getLogRecordFactory()


def _record_with_request_id(*args, **kwargs) -> logging.LogRecord:
    """Every record made while serving a request carries that request's id."""
    record = _base_factory(*args, **kwargs)
    if has_request_context():
        record.request_id = g.get("request_id")
    return record


def configure(app) -> None:
    logging.setLogRecordFactory(_record_with_request_id)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    if not any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        root.addHandler(handler)
    root.setLevel(logging.INFO)
    # werkzeug's access lines carry query strings (which can hold tokens); we log our own.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    # Alembic announces every plugin it loads at INFO: noise on every `flask` command.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    access = logging.getLogger("kade.request")

    @app.before_request
    def _start():
        incoming = request.headers.get("X-Request-ID", "")
        ok = 8 <= len(incoming) <= 64 and incoming.replace("-", "").isalnum()
        g.request_id = incoming if ok else uuid.uuid4().hex
        g.request_started = time.perf_counter()

    @app.after_request
    def _finish(response):
        response.headers["X-Request-ID"] = g.get("request_id", "")
        elapsed = time.perf_counter() - g.get("request_started", time.perf_counter())
        # The route pattern, not the path: a path can carry a reset token or an email.
        rule = request.url_rule.rule if request.url_rule else None
        access.info("request", extra={"method": request.method, "route": rule,
                                      "status": response.status_code,
                                      "ms": round(elapsed * 1000, 1)})
        return response
