"""What other domains read along with the signed-in user, in the lookup's own query.

Every request that signs someone in looks them up once: the browser's session
(app/accounts/sessions.py) or the API's bearer token (app/accounts/tokens.py). What the
domains above ask of that person on nearly every request (checkout: the units in the open
cart for the header's badge; plans: whether they have a live plan, which prices every cart;
recommendations: whether they let us personalise) would otherwise cost a query of its own
each. A domain registers a correlated scalar column here at create_app; the lookups add it
to their statement, and give its value back either on the user (`read_with`) or to the
domain's `on_read`, which keeps it for the rest of the request (a RequestMemo, so a write in
the request forgets it as it forgets what it read itself).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from app.accounts.models import User

_READ = "_kade_read_with_user"  # where the lookup leaves the values on the user


@dataclass(frozen=True)
class _Along:
    column_for: Callable  # the user's id column -> a correlated scalar subquery
    on_read: Callable | None  # (user_id, value) -> None, called after each lookup
    bearer: bool  # read by the API's token lookup too, not only the browser's


_registered: dict[str, _Along] = {}
_generation = 0  # counts registrations: a lookup rebuilds its statement when it moves


def register(name: str, column_for: Callable, *, on_read: Callable | None = None,
             bearer: bool = False) -> None:
    """Read `column_for(User.id)` (a scalar subquery correlated to the id it is given) in
    the same query as the signed-in user. Its value is `read_with(user, name)` for this
    request, and is passed to `on_read(user_id, value)` if given. The browser's lookup
    always reads it; the API's only with `bearer` (the API shows no cart badge)."""
    global _generation
    _registered[name] = _Along(column_for, on_read, bearer)
    _generation += 1


class Lookup:
    """A lookup's statement with the columns registered for it, built once (building a
    select costs more CPU than running it), again only after a registration.
    `build(columns)` makes the statement, the labelled columns at the end of its select."""

    def __init__(self, build: Callable[[list], object], *, bearer: bool):
        self._build, self._bearer = build, bearer
        self._built: tuple | None = None  # (generation, statement, names)

    def statement(self) -> tuple[object, tuple[str, ...]]:
        """(the statement, the names of the columns it reads along, in their order)."""
        if self._built is None or self._built[0] != _generation:
            names = tuple(name for name, along in _registered.items()
                          if along.bearer or not self._bearer)
            columns = [_registered[name].column_for(User.id).label(f"along_{name}")
                       for name in names]
            self._built = (_generation, self._build(columns), names)
        return self._built[1], self._built[2]


def deliver(user, names_: tuple[str, ...], values) -> None:
    """Leave what the lookup read on `user` and hand it to the domains that asked."""
    read = dict(zip(names_, values, strict=True))
    setattr(user, _READ, read)
    for name, value in read.items():
        on_read = _registered[name].on_read
        if on_read is not None:
            on_read(user.id, value)


def read_with(user, name: str, default=None):
    """The value of the column registered as `name`, as the lookup read it with `user` in
    this request; `default` for a user it did not load (just signed in, say)."""
    return getattr(user, _READ, {}).get(name, default)
