"""Product search in English, Sinhala and Tamil: ids ranked by relevance, and suggestions.

What a shopper types is cut into words by Unicode category, letters, digits *and* combining
marks, so a Sinhala or Tamil word stays whole (Python's `\\w` and SQLite's default tokenizer
split `කොළ` at its vowel sign). Each word must occur in a product's names or brand:

- a word of three or more characters anywhere, as a substring ("cinn" finds "Cinnamon");
- a shorter word at the start of a word ("තේ" finds "තේ කොළ", "tv" finds "TV stand");
- when nothing matches, a misspelt word (one wrong letter, two in long words) is replaced by
  the nearest words of the catalog's names, and the search runs once more ("peper" finds
  "Black pepper"); `SearchResult.corrected` then says what was searched.

Ranking: a name equal to the query first, then names starting with it, then names with it at
a word start, then the rest; within a group by how many query words start a word, then the
shorter name. Only published products are ever returned.

A broad word matches thousands of products; only a bounded set of candidates is ranked,
taken group by group from the indexes (app/catalog/search_sql.py), so the best groups are
always complete and `SearchResult.more` says when more products match than the ids returned.

The indexes come from migrations 0004 (an FTS5 trigram table on SQLite, pg_trgm and tsvector
expression indexes on PostgreSQL) and 0028 (each name and the brand, for the first two
groups). Descriptions are not searched: their boilerplate ("Delivered island-wide") would
make common words match the whole shop.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from sqlalchemy import select

from app import db, memo
from app.catalog.models import Product
from app.catalog.search_sql import engine_for_session

MAX_QUERY_CHARS = 100  # longer queries are cut: no product name is longer than a sentence
MAX_WORDS = 8
MAX_RESULTS = 5000
_JOINERS = {0x200D: None, 0x200C: None}  # ZWJ, ZWNJ: typed or not depending on the keyboard


@dataclass(frozen=True)
class SearchResult:
    ids: list[int]
    corrected: str | None = None  # the query as searched after a spelling fix
    more: bool = False  # more products match than `ids` holds: these are the best of them


@dataclass(frozen=True)
class Suggestion:
    name: str
    slug: str


def words(q: str) -> list[str]:
    """The query's words, normalised as the indexes store text: NFC, lower case, without
    zero-width joiners; punctuation and symbols separate words and are dropped."""
    return _split((q or "")[:MAX_QUERY_CHARS])[:MAX_WORDS]


def _split(value: str) -> list[str]:
    cleaned = unicodedata.normalize("NFC", value).lower().translate(_JOINERS)
    found: list[str] = []
    current: list[str] = []
    for ch in cleaned + " ":
        if unicodedata.category(ch)[0] in "LNM":
            current.append(ch)
        elif current:
            word = "".join(current)
            if word not in found:
                found.append(word)
            current = []
    return found


def search(q: str, *, limit: int = 1000) -> SearchResult:
    """Published products matching `q`, best first. Never raises for odd input: an empty,
    punctuation-only or very long query gives a result (often empty), not an error."""
    limit = max(1, min(int(limit), MAX_RESULTS))
    query_words = words(q)
    if not query_words:
        return SearchResult([])
    # The same words give the same ranking for everyone: remembered a few seconds.
    return memo.remember(("search", tuple(query_words), limit),
                         lambda: _search(query_words, limit))


def _search(query_words: list[str], limit: int) -> SearchResult:
    engine = engine_for_session()
    ids, more = engine.ids([[w] for w in query_words], " ".join(query_words), limit)
    if ids:
        return SearchResult(ids, more=more)
    slots = _respelled(query_words, engine)
    if slots is None:
        return SearchResult([])
    phrase = " ".join(slot[0] for slot in slots)
    ids, more = engine.ids(slots, phrase, limit)
    return SearchResult(ids, phrase if ids else None, more)


def search_ids(q: str, *, limit: int = 1000) -> list[int]:
    """Ids of published products matching `q`, most relevant first (see `search`)."""
    return search(q, limit=limit).ids


def suggest(q: str, limit: int = 6, *, locale: str = "en") -> list[Suggestion]:
    """A few product names for the search box, in the shopper's language; in Sinhala or
    Tamil when that is the script they are typing in."""
    if len("".join(words(q))) < 2:
        return []  # one letter: too many to choose from, and the box asks at every key
    ids = search_ids(q, limit=max(1, min(limit, 20)))
    if not ids:
        return []
    lang = _script(q) or (locale if locale in ("si", "ta") else "en")
    rows = db.session.execute(
        select(Product.id, Product.slug, Product.name_en, Product.name_si, Product.name_ta)
        .where(Product.id.in_(ids))).all()
    by_id = {row.id: row for row in rows}
    return [Suggestion(getattr(by_id[i], f"name_{lang}") or by_id[i].name_en, by_id[i].slug)
            for i in ids if i in by_id]


def is_search_object(name: str | None, type_: str) -> bool:
    """Schema objects of migrations 0004 and 0028 that the models do not declare (the FTS5
    table and its shadow tables, the expression indexes): the model comparison leaves them
    out."""
    if not name:
        return False
    if type_ == "table":
        return name.startswith("catalog_product_search")
    if type_ == "index":
        return name.startswith("ix_catalog_product_search_")
    return False


# -- internals ---------------------------------------------------------------------------

def _script(q: str) -> str | None:
    for ch in q[:MAX_QUERY_CHARS]:
        if "\u0d80" <= ch <= "\u0dff":
            return "si"
        if "\u0b80" <= ch <= "\u0bff":
            return "ta"
    return None


def _respelled(query_words: list[str], engine) -> list[list[str]] | None:
    """Each word that matches nothing, replaced by up to three near words of the catalog's
    names; None when no word could be fixed."""
    slots, changed = [], False
    for word in query_words:
        if len(word) < 4 or engine.has_match(word):
            slots.append([word])
            continue
        near = _nearest(word, engine.near_names(word))
        slots.append(near or [word])
        changed = changed or bool(near)
    return slots if changed else None


def _nearest(word: str, names: list[str]) -> list[str]:
    budget = 1 if len(word) < 8 else 2
    counts: dict[str, int] = {}
    for name in names:
        for candidate in _split(name):
            counts[candidate] = counts.get(candidate, 0) + 1
    scored = []
    for candidate, count in counts.items():
        if candidate == word or len(candidate) < 3:
            continue
        whole = _distance(word, candidate, budget)
        # A word still being typed: compare with the candidate's beginning too ("cinam" is
        # one letter from "cinnam", the start of "cinnamon"), ranked after whole words.
        start = min((_distance(word, candidate[:n], budget)
                     for n in (len(word) - 1, len(word), len(word) + 1)
                     if 3 <= n < len(candidate)), default=budget + 1)
        best = min(whole, start + 0.5)
        if best <= budget + 0.5:
            scored.append((best, -count, candidate))
    return [candidate for _, _, candidate in sorted(scored)[:3]]


def _distance(a: str, b: str, budget: int) -> int:
    """Optimal string alignment distance (a swap of two letters counts one), or budget + 1
    when it is over the budget."""
    if abs(len(a) - len(b)) > budget:
        return budget + 1
    previous2: list[int] | None = None
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        row = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + cost)
            if (previous2 is not None and i > 1 and j > 1 and ca == b[j - 2]
                    and a[i - 2] == cb):
                row[j] = min(row[j], previous2[j - 2] + 1)
        if min(row) > budget:
            return budget + 1
        previous2, previous = previous, row
    return min(previous[-1], budget + 1)
