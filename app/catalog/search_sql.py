"""Product search's SQL, one engine per database: the ids of published products matching
a query's words, best first, without scoring every match (`_Engine`), and the lookups the
spelling fix needs (`has_match`, `near_names`). app/catalog/search.py cuts the query into
words and decides what to search; this module only asks the database.

SQLite: an FTS5 trigram table (migration 0004) and btree indexes of each name and the brand
(0028). PostgreSQL: pg_trgm and tsvector expression indexes (0004) and the same btree
indexes in the "C" collation (0028).
"""

from __future__ import annotations

import functools
from abc import ABC, abstractmethod

from sqlalchemy import TextClause, text

from app import db, prepared

SEARCHED = ("name_en", "name_si", "name_ta", "brand")
MIN_POOL = 100  # candidates ranked in a tier even when a caller asks for a few (see `_pool`)
_NEAR_ROWS = 100  # rows looked at for spelling candidates


def _like_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def engine_for_session() -> _Engine:
    """The engine for the database the session uses."""
    name = db.session.get_bind().dialect.name
    return _Postgres() if name == "postgresql" else _SQLite()


class _Engine(ABC):
    """The best `limit` matches without scoring every match.

    1. `_anywhere`: the first `_pool(limit) + 1` matches the index gives (by id), unscored.
       Fewer than that is every match (a narrow search, most searches): they are ranked in
       the same statement, and that is all.
    2. Otherwise the query is broad ("tea" in thousands of names at 100k products), and
       scoring every match was the cost of the search (a dozen string expressions a row,
       sorted, cut to the limit). The first statement ranks nothing then; a second one
       looks the best tiers of the ranking up directly, each from an index and bounded the
       same way: names or brand equal to the query (`exact`: btree indexes of migration
       0028), starting with it (`head`: the same indexes, a range), the query at the start
       of a word (`word_start`: tsvector on PostgreSQL, the FTS5 phrase " tea" on SQLite).
       Once a tier and the ones before it hold more than `limit` products, the next tiers
       cannot reach the first `limit` places and their lookup is skipped (`_only_if`), the
       first matches too (for the last tier: inside a word). These candidates, a few
       hundred at most, are scored and sorted (`_starts_sql`, `_tier_sql`).

    So a better tier is never crowded out by a worse one: an exact name comes first however
    many names merely contain the word, wherever it is in the table. Within the tier that
    holds more products than the pool (the broad word's), the order is among the pool's
    products, the first the index gives, not among all of them; `more` says so.

    A narrow search stays one statement, small to plan: the tiers' lookups in it too, even
    skipped, tripled its planning time (0.15 ms to 0.5 on PostgreSQL)."""

    column: str  # one column as the search compares it, `{}` for its name

    def ids(self, slots: list[list[str]], phrase: str,
            limit: int) -> tuple[list[int], bool]:
        """The best `limit` ids, and whether more products match than that."""
        pool = _pool(limit)
        params: dict[str, object] = {"n": pool + 1, "limit": limit, **_tier_params(phrase)}
        order = (f"ORDER BY {_tier_sql('{}')}, {_starts_sql(slots, params)} DESC, "
                 f"name_length, id LIMIT :limit")
        matches = f"matches AS MATERIALIZED ({self._anywhere(slots, params, ':n')})"
        # The count comes back even when nothing is ranked (no match, or too many).
        rows = prepared.rows(_statement(
            f"WITH {matches}, "  # noqa: S608
            f"counted AS MATERIALIZED (SELECT count(*) AS matched FROM matches), "
            f"{self._candidates('matches', _only_if('(SELECT matched FROM counted) < :n'))} "
            f"SELECT candidate.id, counted.matched FROM counted "
            f"LEFT JOIN candidate ON 1 = 1 {order}"), params)
        matched = rows[0][1]
        if matched <= pool:
            return [id_ for id_, _matched in rows if id_ is not None], matched > limit
        # The first matches again, for the last tier (inside a word), only when the better
        # ones leave places to fill.
        rest = _only_if("(SELECT count(*) FROM (SELECT id FROM head "
                        "UNION SELECT id FROM word_start) AS best) <= :limit")
        rows = prepared.rows(_statement(
            f"WITH {', '.join(self._best_tiers(slots, phrase, params))}, "  # noqa: S608
            f"matches AS MATERIALIZED ({self._anywhere(slots, params, rest)}), "
            f"found AS MATERIALIZED (SELECT id FROM head UNION SELECT id FROM word_start "
            f"UNION SELECT id FROM matches), "
            f"{self._candidates('found')} SELECT id FROM candidate {order}"), params)
        return [id_ for id_, in rows], True

    def _candidates(self, source: str, rows: str | None = None) -> str:
        """The CTE `candidate`: the products of the CTE `source` (at most `rows` of them),
        each column cleaned once for the ranking, not once an expression."""
        cleaned = ", ".join(f"{self.column.format(c)} AS {c}" for c in SEARCHED)
        return (f"candidate AS MATERIALIZED (SELECT id, length(name_en) AS name_length, "  # noqa: S608
                f"{cleaned} FROM catalog_product WHERE id IN (SELECT id FROM {source})"
                + (f" LIMIT {rows})" if rows else ")"))

    def _best_tiers(self, slots: list[list[str]], phrase: str,
                    params: dict[str, object]) -> list[str]:
        """The CTEs `exact`, `head` (exact or starting with `phrase`) and `word_start`."""
        # "Starts with" as a range of the index (both compare bytes: see migration 0028);
        # U+10FFFF is the highest character, so nothing starting with `phrase` is above.
        params["q_end"] = phrase + "\U0010ffff"
        starting = self._by_name("{column} >= :q_exact AND {column} < :q_end",
                                 _only_if("(SELECT count(DISTINCT id) FROM exact) <= :limit"))
        if len(slots) == 1 and all(len(a) < 3 for a in slots[0]):
            word_start = _NOTHING  # one short word matches at a word start only: `matches`
            # are all of this tier (and so looked up whenever the head leaves places)
        else:
            word_start = self._word_start(
                phrase, params, _only_if("(SELECT count(*) FROM head) <= :limit"))
        return [f"exact AS MATERIALIZED ({self._by_name('{column} = :q_exact', ':n')})",
                f"head AS MATERIALIZED (SELECT id FROM exact "  # noqa: S608
                f"UNION SELECT id FROM ({starting}) AS starting)",
                f"word_start AS MATERIALIZED ({word_start})"]

    # Each lookup below gives the SQL of the ids of published products, at most `rows` (the
    # SQL of a LIMIT), in the order its index gives them, unscored.

    @abstractmethod
    def _anywhere(self, slots: list[list[str]], params: dict[str, object], rows: str) -> str:
        """Matching every word (`slots`: each word's alternatives)."""

    @abstractmethod
    def _by_name(self, condition: str, rows: str) -> str:
        """Names or brand meeting `condition` (`{column}` in it stands for each column)."""

    @abstractmethod
    def _word_start(self, phrase: str, params: dict[str, object], rows: str) -> str:
        """With `phrase` at a word start."""


def _only_if(condition: str) -> str:
    """A LIMIT of :n rows when `condition` holds, else of none. Both databases work a LIMIT
    out once, before the scan, and scan nothing for 0; in the WHERE clause SQLite tested the
    condition row by row, over every match of a broad word."""
    return f"CASE WHEN {condition} THEN :n ELSE 0 END"


_NOTHING = "SELECT 0 AS id WHERE 0 = 1"


def _starts_sql(slots: list[list[str]], params: dict[str, object]) -> str:
    """How many query words start a word ("tea" in "Green tea" before "Steamer"), over the
    cleaned columns of the ranking. Cheap on purpose, as the rest of the order: ts_rank (a
    to_tsvector a row) doubled the time of the whole query, similarity() tripled it, and
    bm25 (SQLite's) needs the full-text match of every candidate again."""
    everything = " || ' ' || ".join(SEARCHED)
    starts = []
    for i, alternatives in enumerate(slots):
        for j, alternative in enumerate(alternatives):
            params[f"s{i}_{j}"] = "% " + _like_escape(alternative) + "%"
        starts.append("CASE WHEN " + " OR ".join(
            f"(' ' || {everything}) LIKE :s{i}_{j} ESCAPE '\\'"
            for j in range(len(alternatives))) + " THEN 1 ELSE 0 END")
    return "(" + " + ".join(starts) + ")"


def _pool(limit: int) -> int:
    """Candidates a tier gives at most: the limit, and never so few that a short list (the
    suggestions, the desk's quick search) is the first products the index happens to hold."""
    return max(limit, MIN_POOL)


_SQLITE_COLUMN = "lower(replace(replace(coalesce({}, ''), char(8205), ''), char(8204), ''))"


class _SQLite(_Engine):
    """FTS5 table `catalog_product_search` (trigram tokenizer), rowid = product id. Its
    columns hold the names and brand after a space, without zero-width joiners (triggers
    write them). SQLite's lower() changes ASCII letters only, as it did in the ranking
    before: what is not ASCII is mostly Sinhala and Tamil, which have no case.

    CROSS JOIN keeps the full-text table the outer loop: left to itself SQLite may walk every
    published product through the status index and probe the index once for each. INDEXED
    BY likewise: without statistics (no ANALYZE) SQLite took the status index for the
    "starts with" ranges; and should a migration lose an index of 0028, the search fails in
    the tests rather than slows down in the shop."""

    column = _SQLITE_COLUMN

    def _by_name(self, condition: str, rows: str) -> str:
        # One lookup a column, each through its index: for an OR of the four SQLite took
        # the status index and read every published product, whatever its statistics.
        return " UNION ALL ".join(
            f"SELECT id FROM (SELECT id FROM catalog_product "  # noqa: S608
            f"INDEXED BY ix_catalog_product_search_{c} WHERE status = 'published' "
            f"AND {condition.format(column=self.column.format(c))} LIMIT {rows}) AS by_{c}"
            for c in SEARCHED)

    def _anywhere(self, slots: list[list[str]], params: dict[str, object], rows: str) -> str:
        where = ["p.status = 'published'"]
        match = []
        for i, alternatives in enumerate(slots):
            if all(len(a) >= 2 for a in alternatives):
                # Every column starts with a space, so " te" is a trigram: "te" at the
                # start of a word. Three characters or more match anywhere.
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
        return self._in_index_order(where, rows)

    def _word_start(self, phrase: str, params: dict[str, object], rows: str) -> str:
        # " green tea" is "green tea" at a word start, in one column.
        if len(phrase) < 2:
            return _NOTHING  # " t" is no trigram; `matches` has them all
        params["phrase_match"] = _fts_phrase(" " + phrase)
        return self._in_index_order(["p.status = 'published'",
                                     "catalog_product_search MATCH :phrase_match"], rows)

    def _in_index_order(self, where: list[str], rows: str) -> str:
        # By id, as the full-text index holds them: no bm25 to work out for every match.
        return (f"SELECT f.rowid AS id FROM catalog_product_search AS f "  # noqa: S608
                f"CROSS JOIN catalog_product AS p ON p.id = f.rowid "
                f"WHERE {' AND '.join(where)} LIMIT {rows}")

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


@functools.lru_cache(maxsize=512)
def _statement(sql: str) -> TextClause:
    """The search's statement for this SQL, made once: the SQL follows the query's shape
    (how many words, which tiers), not its words, which are bound. Kept, the statement is
    compiled once too (app/prepared.py)."""
    return text(sql)


def _fts_phrase(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


def _tier_params(phrase: str) -> dict[str, str]:
    escaped = _like_escape(phrase)
    return {"q_exact": phrase, "q_start": escaped + "%", "q_word": "% " + escaped + "%"}


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
# And of the name indexes of migration 0028, with their collation.
_PG_COLUMN = "lower(replace(replace(coalesce({}, ''), chr(8205), ''), chr(8204), ''))"


class _Postgres(_Engine):
    """Trigram GIN index on `_PG_TEXT` for substrings and typos; tsvector GIN index for words
    at a word start (short words, and the third tier); btree indexes on each column, in
    byte order, for names equal to or starting with the query."""

    column = _PG_COLUMN + ' COLLATE "C"'

    def _by_name(self, condition: str, rows: str) -> str:
        # One bitmap over the four indexes (a UNION of four lookups took longer to plan).
        either = " OR ".join(f"({condition.format(column=self.column.format(c))})"
                             for c in SEARCHED)
        return (f"SELECT id FROM catalog_product WHERE status = 'published' "  # noqa: S608
                f"AND ({either}) LIMIT {rows}")

    def _anywhere(self, slots: list[list[str]], params: dict[str, object], rows: str) -> str:
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
        return (f"SELECT id FROM catalog_product WHERE {' AND '.join(where)} "  # noqa: S608
                f"LIMIT {rows}")

    def _word_start(self, phrase: str, params: dict[str, object], rows: str) -> str:
        # The phrase's words in a row, the last one a word's beginning: 'green' <-> 'tea':*.
        # A row may have them at a word start and still not be of the third tier
        # ("black-tea"): the ranking sees to it.
        words = phrase.split(" ")
        params["phrase_query"] = " <-> ".join(
            [_quoted(w) for w in words[:-1]] + [_prefix_query(words[-1])])
        return (f"SELECT id FROM catalog_product WHERE status = 'published' "  # noqa: S608
                f"AND {_PG_WORDS} @@ to_tsquery('simple'::regconfig, :phrase_query) "
                f"LIMIT {rows}")

    def has_match(self, word: str) -> bool:
        return db.session.scalar(text(
            f"SELECT 1 FROM catalog_product WHERE status = 'published' "  # noqa: S608
            f"AND {_PG_TEXT} LIKE :pattern LIMIT 1"),
            {"pattern": "%" + _like_escape(word) + "%"}) is not None

    def near_names(self, word: str) -> list[str]:
        # The `<%` operator uses the trigram index; its threshold (0.5) is a setting every
        # connection of the app is made with (app/db.py SERVER_SETTINGS).
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


def _quoted(word: str) -> str:
    # Words hold only letters, digits and marks (see `words`), so quoting cannot break out.
    return "'" + word.replace("'", "''") + "'"


def _prefix_query(word: str) -> str:
    return _quoted(word) + ":*"
