"""How the app's PostgreSQL connections are set up (app/db.py make_engine)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from app.db import make_engine


@pytest.mark.postgres_only
@pytest.mark.parametrize("query, timeout", [("", "0"),
                                            ("?options=-c%20statement_timeout%3D1234",
                                             "1234ms")])
def test_connections_run_without_jit_and_keep_the_urls_own_options(database_url, query,
                                                                    timeout):
    # JIT compiles a plan for tens of milliseconds: more than a page's query takes.
    engine = make_engine(database_url + query)
    try:
        with engine.connect() as connection:
            assert connection.execute(text("SHOW jit")).scalar() == "off"
            assert connection.execute(text("SHOW statement_timeout")).scalar() == timeout
    finally:
        engine.dispose()
