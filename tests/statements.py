"""The SQL statements the code under test sends, for the tests that hold a page or a service
to a fixed number of queries (no N+1), to none (a cache hit), or keep a table out of it.

    with statements_sent(app) as statements:
        client.get("/")
    assert len(statements) == 4

Recorded with SQLAlchemy's before_cursor_execute on the app's engine, whoever sends them
(the test, the request, a job's thread), unless `this_thread` says otherwise.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine


@contextlib.contextmanager
def statements_sent(app_or_engine: Flask | Engine, *,
                    this_thread: bool = False) -> Iterator[list[str]]:
    """The statements sent while the block runs, in order, as the list it yields.

    `app_or_engine`: an app (its engine) or an engine. `this_thread`: only those sent by the
    thread that opened the block (a request in the test client, not a job's thread)."""
    engine = (app_or_engine if isinstance(app_or_engine, Engine)
              else app_or_engine.extensions["kade_engine"])
    statements: list[str] = []
    opener = threading.get_ident()

    def record(conn, cursor, statement, parameters, context, executemany):
        if not this_thread or threading.get_ident() == opener:
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)
