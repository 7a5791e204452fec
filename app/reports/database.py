"""Where report queries run.

With DATABASE_REPLICA_URL set, every report reads the replica: the primary serves checkout
only. Without it, reports read the primary through a pool of their own whose connections
cut any statement off after REPORT_STATEMENT_TIMEOUT_MS and refuse writes
(`default_transaction_read_only`), so a report over years of orders fails fast with a clear
message instead of holding connections that shoppers' requests need. On SQLite (the
embedded default: one file, one machine) reports share the app's engine; there is no server
to protect.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from app import db
from app.errors import DomainError

ENGINE_KEY = "kade_reports_engine"
# PostgreSQL's SQLSTATE for a statement cancelled by statement_timeout.
QUERY_CANCELED = "57014"


class ReportTooSlow(DomainError):
    code = "report_too_slow"
    status = 503
    default_message = _l("This report took too long to read. Choose a shorter period, or "
                         "download it: downloads are prepared in the background.")


def init_app(app) -> None:
    app.extensions[ENGINE_KEY] = engine_for(app.config)


def engine_for(config):
    url = config.get("DATABASE_REPLICA_URL") or config["DATABASE_URL"]
    if url.startswith("sqlite"):
        return db.engine_for(url)
    return db.engine_for(url, {
        "statement_timeout": str(int(config["REPORT_STATEMENT_TIMEOUT_MS"])),
        "default_transaction_read_only": "on",
    }, **db.engine_options(config))


@contextmanager
def reading(*, timeout_ms: int | None = None) -> Iterator[Session]:
    """A session on the reports' connection for the queries of one report; nothing it does
    is kept. `timeout_ms` overrides the statement timeout (a report job has minutes, a page
    seconds). A statement cut off by the timeout raises ReportTooSlow."""
    engine = current_app.extensions[ENGINE_KEY]
    with Session(bind=engine, expire_on_commit=False) as reads:
        try:
            if timeout_ms is not None and engine.dialect.name == "postgresql":
                reads.connection().exec_driver_sql(
                    f"SET LOCAL statement_timeout = {int(timeout_ms)}")
            yield reads
        except OperationalError as error:
            if getattr(error.orig, "sqlstate", None) == QUERY_CANCELED:
                raise ReportTooSlow() from error
            raise
        finally:
            reads.rollback()
