"""argon2id password hashing with OWASP's parameters, and the rules a new password meets."""

from __future__ import annotations

import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import lazy_gettext as _l

# OWASP Password Storage Cheat Sheet: argon2id, m=19 MiB, t=2, p=1.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)

MIN_LENGTH = 10
MAX_LENGTH = 128

# The demo shop's logins are printed by `flask seed demo` and the README: in production no
# account signs in with it, whatever database it came from (app.accounts.services).
DEMO_PASSWORD = "kade-demo-2026"  # noqa: S105 — published on purpose, refused in production

# Patterns that top every breached-password list; a password made only of them is refused.
_COMMON_WORDS = (
    "password", "passw0rd", "qwerty", "letmein", "welcome", "admin", "iloveyou", "monkey",
    "dragon", "abc123", "sunshine", "princess", "football", "srilanka", "colombo", "kade",
)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher.check_needs_rehash(stored_hash)


def weakness(password: str, *, personal: tuple[str, ...] = ()):
    """Why this password is too weak, or None. Messages are for the person choosing it."""
    if len(password) < MIN_LENGTH:
        return _l("Use at least %(n)d characters.", n=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return _l("Use at most %(n)d characters.", n=MAX_LENGTH)
    lowered = password.lower()
    if len(set(lowered)) <= 3:
        return _l("Use more than a few different characters.")
    if re.fullmatch(r"\d+", password) or _is_sequence(lowered):
        return _l("This password is too easy to guess.")
    stripped = re.sub(r"[\d\W_]+", "", lowered)
    if any(stripped == w or lowered.startswith(w) and len(lowered) - len(w) <= 4
           for w in _COMMON_WORDS):
        return _l("This password appears in lists of breached passwords.")
    for item in personal:
        item = item.lower().strip()
        if len(item) >= 4 and item in lowered:
            return _l("Do not use your name, email or phone in your password.")
    return None


def _is_sequence(text: str) -> bool:
    runs = ("0123456789", "abcdefghijklmnopqrstuvwxyz", "qwertyuiopasdfghjklzxcvbnm")
    return any(text in run or text in run[::-1] for run in runs)
