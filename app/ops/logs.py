"""JSON log lines with a request id. Events and ids only: never names, phones, emails, tokens.

One line per request (`request`, with its route, status and time) and per job (`job`, with
its name, queue, outcome and time; jobs/worker.py and app/queue.py). A job queued while
serving a request carries that request's id (RQ's job meta), and every line the job writes
says it: a shopper's checkout and the confirmation mail it queued are one search away."""

from __future__ import annotations

import json
import logging
import sys
import time
import uuid

from flask import g, request

from app.tracing import request_id

_RESERVED = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}
# Every request writes a line: one encoder, made once (json.dumps with options makes a new
# one per call), and the time's seconds formatted once per second.
_ENCODER = json.JSONEncoder(default=str, ensure_ascii=False)


class JsonFormatter(logging.Formatter):
    _second: tuple[int, str] = (-1, "")  # one tuple, replaced whole: threads share it

    def _at(self, created: float, msecs: float) -> str:
        second = int(created)
        kept, text = self._second
        if second != kept:
            text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
            self._second = (second, text)
        return f"{text}.{int(msecs):03d}Z"

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "at": self._at(record.created, record.msecs),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _RESERVED and key[:1] != "_":
                line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return _ENCODER.encode(line)


_base_factory = logging.getLogRecordFactory()


def _record_with_request_id(*args, **kwargs) -> logging.LogRecord:
    """Every record made while serving a request, or running a job one queued, carries
    that request's id."""
    record = _base_factory(*args, **kwargs)
    found = request_id()
    if found is not None:
        record.request_id = found
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
