"""Alembic environment: the URL comes from the app's config (DATABASE_URL)."""

from alembic import context
from sqlalchemy.types import TypeDecorator

from app.catalog.search import is_search_object
from app.db import Base, engine_for
from app.models import import_all

import_all()


def render_item(type_, obj, autogen_context):
    """Write our column types as the plain types they store, so old migrations never
    depend on today's app code."""
    if type_ == "type" and isinstance(obj, TypeDecorator):
        impl = obj.impl
        args = "timezone=True" if getattr(impl, "timezone", False) else ""
        return f"sa.{impl.__class__.__name__}({args})"
    return False


def include_name(name, type_, parent_names):
    """Leave out what the models do not declare on purpose: the search indexes of migrations
    0004 (SQLite's FTS5 table with its shadow tables, PostgreSQL's expression indexes) and
    0027 (expression indexes on the names)."""
    return not is_search_object(name, type_)


config = context.config
url = config.attributes.get("database_url") or config.get_main_option("sqlalchemy.url")


def run_offline() -> None:
    context.configure(url=url, target_metadata=Base.metadata, literal_binds=True,
                      render_as_batch=True, render_item=render_item,
                      include_name=include_name)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    engine = engine_for(url)
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Batch mode alters a SQLite table by rebuilding it and dropping the old one; with
            # foreign keys enforced, that drop deletes every row referencing the table through
            # ON DELETE CASCADE (rebuilding accounts_user would empty orders' customers,
            # tickets, addresses …). SQLite's own ALTER TABLE recipe: keys off for the change
            # (outside any transaction, where the pragma works: on the driver's connection,
            # before SQLAlchemy's BEGIN), checked before commit.
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
        try:
            # Batch mode lets SQLite alter tables (it rebuilds them); PostgreSQL alters in place.
            context.configure(connection=connection, target_metadata=Base.metadata,
                              render_as_batch=True, compare_type=True,
                              render_item=render_item, include_name=include_name)
            with context.begin_transaction():
                context.run_migrations()
                if sqlite:
                    dangling = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                    if dangling:
                        raise RuntimeError(f"migration left dangling keys: {dangling[:5]}")
            connection.commit()
        finally:
            if sqlite:
                connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")


if context.is_offline_mode():
    run_offline()
else:
    run_online()
