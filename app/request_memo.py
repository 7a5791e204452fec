"""Rows read once per request: what several services of one request all ask for.

A checkout request asks for the same variants (are they on sale? at what price? in stock?)
and the same customer's plan many times over: adding to the cart checks the variant, prices
the cart and checks every line's stock, and each of those read the variants again (9.5 reads
of three statements each, and 5 reads of the customer's subscription, in one add-view-place
journey: a third of its time). Within one request those answers cannot change but by the
request's own writes, so they are kept for the rest of it:

- only while serving a request (jobs, commands and tests outside a request read every time);
- forgotten the moment the request's session flushes a row of a watched table (a staff edit
  of a variant, a subscription started), runs an UPDATE, INSERT or DELETE statement on one
  (stock held by checkout's conditional UPDATE), or rolls back, so a request always sees
  its own writes;
- never across requests: another request's change shows in the next one, as before.

The kept values are the session's own objects (the session does not expire them on commit),
so keeping them costs no extra statement later.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable

from flask import g, has_request_context
from sqlalchemy import event

_MISSING = object()


class RequestMemo:
    """Values by key for the rest of the request, forgotten when the request's session
    writes a row of `watched` (model classes) or rolls back."""

    def __init__(self, name: str, watched: tuple[type, ...]):
        self.name = f"kade_request_memo_{name}"
        self.watched = watched
        # A statement names its table, not the model (and an annotated copy of the table).
        self.tables = frozenset(model.__tablename__ for model in watched)
        _memos.append(self)

    def _kept(self) -> dict | None:
        if not has_request_context():
            return None
        kept = g.get(self.name)
        if kept is None:
            kept = {}
            setattr(g, self.name, kept)
        return kept

    def get_or_read(self, key: Hashable, read: Callable[[], object]) -> object:
        kept = self._kept()
        if kept is None:
            return read()
        found = kept.get(key, _MISSING)
        if found is _MISSING:
            found = kept[key] = read()
        return found

    def prime(self, key: Hashable, value: object) -> None:
        """Keep `value` for `key` as if it had been read (what another statement of this
        request already read: app/accounts/read_along.py)."""
        kept = self._kept()
        if kept is not None:
            kept[key] = value

    def many(self, keys: Iterable[Hashable],
             read: Callable[[list[Hashable]], dict]) -> dict:
        """The values of `keys` that exist: those kept, and the rest read at once by
        `read(missing_keys)` (a dict of the ones found; a key it leaves out is kept as
        absent)."""
        keys = list(keys)
        kept = self._kept()
        if kept is None:
            return read(keys)
        missing = [key for key in keys if key not in kept]
        if missing:
            found = read(missing)
            for key in missing:
                kept[key] = found.get(key, _MISSING)
        return {key: kept[key] for key in keys if kept[key] is not _MISSING}

    def forget(self) -> None:
        if has_request_context():
            g.pop(self.name, None)


_memos: list[RequestMemo] = []


def _forget_touched(session, _context, _instances=None) -> None:
    if not has_request_context():
        return
    for memo in _memos:
        if g.get(memo.name) and any(isinstance(row, memo.watched) for rows in
                                    (session.new, session.dirty, session.deleted)
                                    for row in rows):
            memo.forget()


def _forget_written(state) -> None:
    """A statement that writes a watched table (not through the unit of work) forgets too."""
    if not (state.is_update or state.is_insert or state.is_delete) or not has_request_context():
        return
    table = getattr(getattr(state.statement, "table", None), "name", None)
    for memo in _memos:
        if g.get(memo.name) and table in memo.tables:
            memo.forget()


def _forget_all(_session, *_args) -> None:
    if has_request_context():
        for memo in _memos:
            memo.forget()


def init_app(session_class) -> None:
    """Listen to the app's session class (once a process)."""
    if not event.contains(session_class, "before_flush", _forget_touched):
        event.listen(session_class, "before_flush", _forget_touched)
        event.listen(session_class, "do_orm_execute", _forget_written)
        event.listen(session_class, "after_rollback", _forget_all)
