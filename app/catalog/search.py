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
a word start, then the rest; within a group by bm25 on SQLite, and on PostgreSQL by how many
query words start a word, then the shorter name. Only published products are ever returned.

The indexes come from migration 0004 (see there): an FTS5 trigram table on SQLite, pg_trgm and
tsvector expression indexes on PostgreSQL. Descriptions are not searched: their boilerplate
("Delivered island-wide") would make common words match the whole shop.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from sqlalchemy import select, text

from app import db, memo
from app.catalog.models import Product

MAX_QUERY_CHARS = 100  # longer queries are cut: no product name is longer than a sentence
MAX_WORDS = 8
MAX_RESULTS = 5000
SEARCHED = ("name_en", "name_si", "name_ta", "brand")
_JOINERS = {0x200D: None, 0x200C: None}  # ZWJ, ZWNJ: typed or not depending on the keyboard
_NEAR_ROWS = 100  # rows looked at for spelling candidates


@dataclass(frozen=True)
class SearchResult:
    ids: list[int]
    corrected: str | None = None  # the query as searched after a spelling fix


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
    # The same words give the same ranking for everyone: remembered a few seconds (the
    # ranking over thousands of matches is most of a broad search's cost).
    return memo.remember(("search", tuple(query_words), limit),
                         lambda: _search(query_words, limit))


def _search(query_words: list[str], limit: int) -> SearchResult:
    engine = _engine()
    ids = engine.ids([[w] for w in query_words], " ".join(query_words), limit)
    if ids:
        return SearchResult(ids)
    slots = _respelled(query_words, engine)
    if slots is None:
        return SearchResult([])
    phrase = " ".join(slot[0] for slot in slots)
    ids = engine.ids(slots, phrase, limit)
    return SearchResult(ids, phrase if ids else None)


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
    """Schema objects of migration 0004 that the models do not declare (the FTS5 table and
    its shadow tables, the expression indexes): the model comparison leaves them out."""
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


def _like_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _engine():
    name = db.session.get_bind().dialect.name
    return _Postgres() if name == "postgresql" else _SQLite()


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


class _SQLite:
    """FTS5 table `catalog_product_search` (trigram tokenizer), rowid = product id. Its
    columns hold the names and brand after a space, without zero-width joiners (triggers
    write them).

    CROSS JOIN keeps the full-text table the outer loop: left to itself SQLite may walk every
    published product through the status index and probe the index once for each."""

    def ids(self, slots: list[list[str]], phrase: str, limit: int) -> list[int]:
        params: dict[str, object] = {"limit": limit}
        where = ["p.status = 'published'"]
        match = []
        for i, alternatives in enumerate(slots):
            if all(len(a) >= 2 for a in alternatives):
                # Every column starts with a space, so " te" is a trigram: "te" at the start
                # of a word. Three characters or more match anywhere.
                match.append("(" + " OR ".join(
                    _fts_phrase(a if len(a) >= 3 else " " + a) for a in alternatives) + ")")
                continue
            # One letter: no trigram to look up; LIKE over every row, at a word start.
            conditions = []
            for j, alternative in enumerate(alternatives):
                key = f"w{i}_{j}"
                params[key] = ("% " if len(alternative) < 3 else "%") + _like_escape(
                    alternative) + "%"
                conditions += [f"f.{c} LIKE :{key} ESCAPE '\\'" for c in SEARCHED]
            where.append("(" + " OR ".join(conditions) + ")")
        if match:
            where.append("catalog_product_search MATCH :match")
            params["match"] = " AND ".join(match)
            text_rank = "bm25(catalog_product_search, 1.0, 1.0, 1.0, 0.5)"
        else:
            text_rank = "length(f.name_en)"
        params.update(_tier_params(phrase, lead=" "))
        # Only our own SQL is formatted in; what the shopper typed travels as bound values.
        sql = (f"SELECT p.id FROM catalog_product_search AS f "  # noqa: S608
               f"CROSS JOIN catalog_product AS p ON p.id = f.rowid "
               f"WHERE {' AND '.join(where)} "
               f"ORDER BY {_tier_sql('lower(f.{})')}, {text_rank}, p.id LIMIT :limit")
        return list(db.session.scalars(text(sql), params))

    def has_match(self, word: str) -> bool:
        return db.session.scalar(text(
            "SELECT 1 FROM catalog_product_search AS f CROSS JOIN catalog_product AS p "
            "ON p.id = f.rowid WHERE catalog_product_search MATCH :match "
            "AND p.status = 'published' LIMIT 1"), {"match": _fts_phrase(word)}) is not None

    def near_names(self, word: str) -> list[str]:
        trigrams = {word[i:i + 3] for i in range(len(word) - 2)}
        rows = db.session.execute(text(
            "SELECT f.name_en, f.name_si, f.name_ta, f.brand FROM catalog_product_search AS f "
            "CROSS JOIN catalog_product AS p ON p.id = f.rowid "
            "WHERE catalog_product_search MATCH :match AND p.status = 'published' "
            "ORDER BY bm25(catalog_product_search) LIMIT :limit"),
            {"match": " OR ".join(_fts_phrase(t) for t in sorted(trigrams)),
             "limit": _NEAR_ROWS}).all()
        return [value for row in rows for value in row if value]


def _fts_phrase(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


def _tier_params(phrase: str, lead: str = "") -> dict[str, str]:
    """`lead`: what the indexed columns start with (a space on SQLite)."""
    escaped = _like_escape(phrase)
    return {"q_exact": lead + phrase, "q_start": lead + escaped + "%",
            "q_word": "% " + escaped + "%"}


def _tier_sql(lowered: str) -> str:
    """Exact name (or brand) first, then a name that starts with the query, then one with
    the query at a word start. `lowered` is the SQL of one column, lower case."""
    exact = " OR ".join(f"{lowered.format(c)} = :q_exact" for c in SEARCHED)
    start = " OR ".join(f"{lowered.format(c)} LIKE :q_start ESCAPE '\\'" for c in SEARCHED)
    word = " OR ".join(f"(' ' || {lowered.format(c)}) LIKE :q_word ESCAPE '\\'"
                       for c in SEARCHED)
    return (f"CASE WHEN {exact} THEN 0 WHEN {start} THEN 1 WHEN {word} THEN 2 ELSE 3 END")


# PostgreSQL: exactly the expression of the indexes in migration 0004.
_PG_TEXT = ("lower(replace(replace(" + " || ' ' || ".join(f"coalesce({c}, '')" for c in SEARCHED)
            + ", chr(8205), ''), chr(8204), ''))")
_PG_WORDS = f"to_tsvector('simple'::regconfig, {_PG_TEXT})"
_PG_COLUMN = "lower(replace(replace(coalesce({}, ''), chr(8205), ''), chr(8204), ''))"
_TYPO_THRESHOLD = "0.5"  # word_similarity: "peper" / "black pepper" is 0.625


class _Postgres:
    """Trigram GIN index on `_PG_TEXT` for substrings and typos; tsvector GIN index for short
    words (the start of a whole word)."""

    def ids(self, slots: list[list[str]], phrase: str, limit: int) -> list[int]:
        params: dict[str, object] = {"limit": limit}
        where = ["status = 'published'"]
        for i, alternatives in enumerate(slots):
            conditions = []
            for j, alternative in enumerate(alternatives):
                key = f"w{i}_{j}"
                if len(alternative) >= 3:
                    params[key] = "%" + _like_escape(alternative) + "%"
                    conditions.append(f"{_PG_TEXT} LIKE :{key}")
                else:
                    params[key] = _prefix_query(alternative)
                    conditions.append(f"{_PG_WORDS} @@ to_tsquery('simple'::regconfig, :{key})")
            where.append("(" + " OR ".join(conditions) + ")")
        # Within a tier: more query words at the start of a word first ("tea" in "Green
        # tea" before "Steamer"), then shorter names. Cheap on purpose: at 100k products a
        # broad word matches thousands of rows, and ts_rank (a to_tsvector per row) doubled
        # the time of the whole query, similarity() tripled it.
        starts = []
        for i, alternatives in enumerate(slots):
            for j, alternative in enumerate(alternatives):
                params[f"s{i}_{j}"] = "% " + _like_escape(alternative) + "%"
            starts.append("CASE WHEN " + " OR ".join(
                f"(' ' || {_PG_TEXT}) LIKE :s{i}_{j}" for j in range(len(alternatives)))
                + " THEN 1 ELSE 0 END")
        params.update(_tier_params(phrase))
        # Only our own SQL is formatted in; what the shopper typed travels as bound values.
        sql = (f"SELECT id FROM catalog_product WHERE {' AND '.join(where)} "  # noqa: S608
               f"ORDER BY {_tier_sql(_PG_COLUMN)}, {' + '.join(starts)} DESC, "
               f"length(name_en), id LIMIT :limit")
        return list(db.session.scalars(text(sql), params))

    def has_match(self, word: str) -> bool:
        return db.session.scalar(text(
            f"SELECT 1 FROM catalog_product WHERE status = 'published' "  # noqa: S608
            f"AND {_PG_TEXT} LIKE :pattern LIMIT 1"),
            {"pattern": "%" + _like_escape(word) + "%"}) is not None

    def near_names(self, word: str) -> list[str]:
        # The `<%` operator uses the trigram index; its threshold is a setting, changed for
        # this transaction only.
        db.session.execute(text(
            "SELECT set_config('pg_trgm.word_similarity_threshold', :t, true)"),
            {"t": _TYPO_THRESHOLD})
        # Ranking every row over the threshold is slow for a common word (thousands of rows
        # at 100k products): rank the first few hundred the index gives.
        rows = db.session.execute(text(
            f"SELECT name_en, name_si, name_ta, brand FROM ("  # noqa: S608
            f"SELECT id, name_en, name_si, name_ta, brand, {_PG_TEXT} AS searched "
            f"FROM catalog_product WHERE status = 'published' AND :word <% {_PG_TEXT} "
            f"LIMIT :pool) AS near ORDER BY word_similarity(:word, searched) DESC, id "
            f"LIMIT :limit"),
            {"word": word, "pool": 5 * _NEAR_ROWS, "limit": _NEAR_ROWS}).all()
        return [value for row in rows for value in row if value]


def _prefix_query(word: str) -> str:
    # Words hold only letters, digits and marks (see `words`), so quoting cannot break out.
    return "'" + word.replace("'", "''") + "':*"
