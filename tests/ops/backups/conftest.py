"""A shop on a database of its own for each backup test (the tests destroy and restore it,
which the suite's shared database must never suffer), with BACKUP_URL in a temp folder."""

from __future__ import annotations

import os
import secrets

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.conftest import base_config


@pytest.fixture()
def own_database(backend, tmp_path):
    """The URL of a new, empty database: a SQLite file, or a database of its own on the
    test PostgreSQL server (dropped afterwards, with any copy a restore set aside)."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'shop' / 'kade.db'}"
        return
    server = make_url(os.environ.get("TEST_POSTGRES_URL",
                                     "postgresql://postgres@127.0.0.1:5432/postgres")
                      ).set(drivername="postgresql+psycopg")
    name = f"kade_backup_{secrets.token_hex(4)}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield server.set(database=name).render_as_string(hide_password=False)
    from app.db import dispose_engines

    dispose_engines()
    with admin.connect() as conn:
        left = conn.execute(text("SELECT datname FROM pg_database WHERE datname LIKE :n"),
                            {"n": f"{name}%"}).scalars().all()
        for database in left:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
    admin.dispose()


def shop_config(database_url: str, tmp_path, **overrides) -> dict:
    return {**base_config(database_url, tmp_path),
            "BACKUP_URL": f"file://{tmp_path / 'backups'}", **overrides}


@pytest.fixture()
def make_shop(own_database, tmp_path):
    """`make_shop(**settings)`: an app over the own database, migrated to `revision`
    (None: left as it is, e.g. destroyed)."""
    from app import create_app, migrate

    def make(revision: str | None = "head", **overrides):
        if own_database.startswith("sqlite"):
            (tmp_path / "shop").mkdir(exist_ok=True)
        if revision:
            migrate.upgrade(own_database, revision)
        return create_app(shop_config(own_database, tmp_path, **overrides))

    return make


@pytest.fixture()
def shop(make_shop):
    app = make_shop()
    with app.app_context():
        yield app
