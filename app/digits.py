"""Whole numbers that come as text (a form, a query string, a gateway's callback, a note):
ASCII digits only.

`str.isdigit()` also takes "²" and every script's digits ("٣", "௩"). `int()` refuses the
first, so a check with `isdigit()` alone let through a value that then failed with a 500
where a clear answer was due; and it reads the others, so an id typed in another script
found a record, and a postal code in other digits was kept as typed.
"""

from __future__ import annotations


def is_digits(text: str | None) -> bool:
    """Whether `text` is one or more of 0-9, and nothing else."""
    return bool(text) and text.isascii() and text.isdigit()


def whole_number(text: str | None, *, max_digits: int) -> int | None:
    """`text` as an int when it is at most `max_digits` ASCII digits, else None (the bound
    keeps it inside the database's integer columns)."""
    return int(text) if is_digits(text) and len(text) <= max_digits else None
