"""Prebuilt Core SELECTs run straight on the driver's cursor, in the request's transaction.

The hot read paths (a product page, a listing's cards, a page's version) keep their
statements built once, at import. Executing one through `session.execute` still costs about
0.11 ms of CPU on top of the driver's own 0.11 ms (measured with a product page's first
query on PostgreSQL): the ORM's execute path, an execution context, the result's metadata
from `cursor.description` (psycopg makes a Column object for each column of each result)
and a Row per row. `rows()` compiles the statement once per dialect and then does what is
left: the bound values' and the result's type processing (UTCDateTime, JSON on SQLite …),
`cursor.execute`, `fetchall`. Plain tuples come back, in the statement's column order.

It keeps what the rest of the app relies on: the session's connection (its transaction, or
the autocommit connection of a page that only reads: app/db.py), the engine's
`before_cursor_execute` and `after_cursor_execute` events (the tests' statement counts),
and SQLAlchemy's error handling (wrapped errors; a lost server invalidates the pool, as
app/db.py's `handle_error` hook asks). A statement this cannot run as it is (a list of
values on SQLite, a name SQLAlchemy escapes, a literal rendered at execution) goes through
`session.execute`, with the same tuples back.

Where the request goes on to use or change what it read (the API's customer, the cart and
its lines), `adopt` makes the session's ORM object from such a row, as a query would have
loaded it. Unlike `session.execute`, `rows` does not flush first: read with it only what
the request has not changed yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import instance_state, set_committed_value
from sqlalchemy.sql import Executable

from app.db import WROTE, session, writes

# The app's prebuilt statements are a few dozen (some built once per shape: a number of
# categories, a sort). Statements built per call belong in session.execute; should one come
# here, the kept ones are dropped when there are this many, and rebuilt as they are used.
MAX_KEPT = 512


@dataclass(frozen=True, slots=True)
class _Compiled:
    statement: Executable  # held, so its id() is never another statement's
    sql: str | None  # None: run through session.execute
    defaults: dict[str, Any]
    positions: tuple[str, ...] | None  # the parameters' order, for a positional driver
    binds: tuple[tuple[str, Any], ...]  # (name, processor) for values to convert
    results: tuple[tuple[int, Any], ...]  # (column index, processor) for columns to convert
    lists: tuple[str, ...] = ()  # parameters sent as one array (psycopg adapts a list)
    writes: bool = False  # db.writes(statement): noted, as session.execute notes it


_kept: dict[tuple[int, str], _Compiled] = {}


def rows(statement: Executable, params: dict[str, Any] | None = None) -> list[tuple]:
    """The rows of the prebuilt SELECT (or text) `statement` with `params`, as plain tuples."""
    connection = session.connection()
    dialect = connection.dialect
    compiled = _kept.get((id(statement), dialect.name))
    if compiled is None or compiled.statement is not statement:
        compiled = _compile(statement, dialect)
    if compiled.sql is None:
        return [tuple(row) for row in session.execute(statement, params or {})]
    values = {**compiled.defaults, **params} if params else dict(compiled.defaults)
    for name, process in compiled.binds:
        values[name] = process(values[name])
    for name in compiled.lists:
        values[name] = list(values[name])
    parameters = (tuple(values[name] for name in compiled.positions)
                  if compiled.positions is not None else values)
    if compiled.writes:
        session().info[WROTE] = True  # app/db.py: its transaction must not end with COMMIT
    found = _run(connection, compiled.sql, parameters)
    if compiled.results:
        found = [_processed(row, compiled.results) for row in found]
    return found


def _processed(row: tuple, results: tuple[tuple[int, Any], ...]) -> tuple:
    row = list(row)
    for index, process in results:
        row[index] = process(row[index])
    return tuple(row)


def _run(connection, sql: str, parameters) -> list[tuple]:
    events = connection._has_events or connection.engine._has_events
    cursor = connection.connection.cursor()
    try:
        if events:
            connection.dispatch.before_cursor_execute(connection, cursor, sql, parameters,
                                                      None, False)
        cursor.execute(sql, parameters)
        if events:
            connection.dispatch.after_cursor_execute(connection, cursor, sql, parameters,
                                                     None, False)
        return cursor.fetchall()
    except Exception as error:
        # Wraps it as SQLAlchemy would (DBAPIError …), runs the engine's handle_error
        # hooks and invalidates the connection on a disconnect; always raises.
        connection._handle_dbapi_exception(error, sql, parameters, cursor, None)
        raise  # not reached
    finally:
        cursor.close()


def _compile(statement: Executable, dialect) -> _Compiled:
    compiled = statement.compile(dialect=dialect)
    sql, runnable = _array_lists(compiled, dialect)
    runnable = runnable and not (compiled.literal_execute_params or compiled.escaped_bind_names)
    results: list[tuple[int, Any]] = []
    for index, column in enumerate(compiled._result_columns):
        process = column.type._cached_result_processor(dialect, None)
        if process is not None:
            results.append((index, process))
    made = _Compiled(
        statement=statement, sql=sql if runnable else None,
        defaults=compiled.construct_params(_check=False) if runnable else {},
        positions=tuple(compiled.positiontup) if runnable and compiled.positional else None,
        binds=tuple(compiled._bind_processors.items()) if runnable else (),
        results=tuple(results),
        lists=tuple(compiled.bind_names[bind] for bind in compiled.post_compile_params),
        writes=writes(statement))
    if len(_kept) >= MAX_KEPT:
        _kept.clear()
    _kept[(id(statement), dialect.name)] = made
    return made


def _array_lists(compiled, dialect) -> tuple[str, bool]:
    """The statement's SQL with each `IN (:list)` made `= ANY(:list)` on PostgreSQL, and
    whether it can run as it is. A list becomes one array parameter: one statement text
    whatever the list's length, which the driver prepares once (SQLAlchemy writes a
    placeholder per item at execution, a new text for each length). Anything else
    SQLAlchemy completes at execution (or a list elsewhere) cannot."""
    sql = compiled.string
    if not compiled.post_compile_params:
        return sql, True
    if dialect.name != "postgresql":
        return sql, False
    for bind in compiled.post_compile_params:
        name = compiled.bind_names[bind]
        if not bind.expanding or bind.type._cached_bind_processor(dialect) is not None:
            return sql, False
        for before, after in ((f" NOT IN (__[POSTCOMPILE_{name}])", f" <> ALL(%({name})s)"),
                              (f" IN (__[POSTCOMPILE_{name}])", f" = ANY(%({name})s)")):
            sql = sql.replace(before, after)
    return sql, "__[POSTCOMPILE_" not in sql


# ---- persistent objects from prebuilt rows ------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Entity:
    """A model's mapped columns, in the order `columns` selects them, and what `adopt` needs
    to make an instance of the model from them."""

    mapper: Any
    columns: tuple  # the table's Column objects: select(*entity.columns, ...)
    keys: tuple[str, ...]  # the attribute each column loads
    identity: tuple[int, ...]  # the primary key's positions among the columns


def entity(model) -> Entity:
    """`model`'s loadable columns, for a prebuilt statement that loads its instances (built
    once, at import, beside the statement)."""
    mapper = sa_inspect(model)
    props = [prop for prop in mapper.column_attrs if not prop.deferred]
    columns = tuple(prop.columns[0] for prop in props)
    identity = tuple(columns.index(column) for column in mapper.primary_key)
    return Entity(mapper, columns, tuple(prop.key for prop in props), identity)


def held(model: Entity, values: tuple):
    """The session's instance of `model` whose primary key `values` hold, if it has one."""
    return session.identity_map.get(
        model.mapper.identity_key_from_primary_key([values[i] for i in model.identity]))


def adopt(model: Entity, values: tuple, collections: dict[str, list] | None = None):
    """The session's instance of `model` for `values` (one for each of `model.columns`),
    made as the ORM makes a loaded one: persistent, its attributes loaded and
    unchanged, the relationships not given here loaded when first read. An instance the
    session holds already is returned as it is (an ORM query would not overwrite it
    either). For rows `rows` reads with less CPU than `session.execute` of an ORM select
    (the bearer token's customer: 0.53 ms a request where the ORM took 0.76): the API's
    customer, a signed-in page's visitor, the cart."""
    found = held(model, values)
    if found is not None:
        return found
    instance = model.mapper.class_manager.new_instance()
    state = instance_state(instance)
    state.dict.update(zip(model.keys, values, strict=True))
    for name, items in (collections or {}).items():
        set_committed_value(instance, name, items)
    make_transient_to_detached(instance)  # loaded and unchanged; the rest expired
    session.add(instance)
    return instance
