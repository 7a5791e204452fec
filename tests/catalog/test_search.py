"""Search as a shopper meets it: words in three scripts, partial words, typos, ranking,
suggestions and the results page; odd input never breaks it. Runs on both backends."""

import pytest
from sqlalchemy import text

from app.catalog import editing, inputs, search, search_sql
from tests.catalog.factories import make_category, make_product

TEA_SI, TEA_TA = "තේ කොළ", "தேயிலை"


def names(ids):
    from app import db
    from app.catalog.models import Product

    by_id = {p.id: p.name_en for p in db.session.query(Product).filter(Product.id.in_(ids))}
    return [by_id[i] for i in ids]


def found(q, **kwargs):
    return names(search.search_ids(q, **kwargs))


@pytest.fixture()
def spices(db_session):
    make_product("Ceylon black tea leaves", name_si=TEA_SI, name_ta=TEA_TA)
    make_product("Green tea", name_si="කොළ තේ", name_ta="பச்சை தேநீர்")
    make_product("Cinnamon sticks", name_si="කුරුඳු පොතු", name_ta="இலவங்கப்பட்டை")
    make_product("Black pepper", name_si="ගම්මිරිස්", name_ta="மிளகு")
    make_product("Sri Lankan cooking class", name_si="ශ්‍රී ලාංකික ඉවුම් පිහුම් පන්තිය",
                 name_ta="இலங்கை சமையல் வகுப்பு", kind="service")


@pytest.mark.parametrize(("q", "first"), [
    (TEA_SI, "Ceylon black tea leaves"),  # a Sinhala name, two words
    ("කොළ", "Green tea"),  # a Sinhala word inside a name: "කොළ තේ" starts with it
    (TEA_TA, "Ceylon black tea leaves"),  # Tamil, with its vowel signs
    ("இலவங்க", "Cinnamon sticks"),  # the start of a Tamil word
    ("cinn", "Cinnamon sticks"),  # the start of an English word
    ("PEPP", "Black pepper"),  # any case
    ("amon", "Cinnamon sticks"),  # the middle of a word
])
def test_a_word_in_any_script_finds_the_product(spices, q, first):
    assert found(q)[0] == first


def test_a_sinhala_word_inside_two_names_finds_both(spices):
    assert sorted(found("කොළ")) == ["Ceylon black tea leaves", "Green tea"]


def test_the_exact_sinhala_name_comes_before_the_same_words_reversed(spices):
    assert found(TEA_SI) == ["Ceylon black tea leaves", "Green tea"]


def test_sinhala_found_with_or_without_the_zero_width_joiner(spices):
    with_zwj, without = "ශ්‍රී", "ශ්රී"

    assert found(with_zwj) == ["Sri Lankan cooking class"]
    assert found(without) == ["Sri Lankan cooking class"]


@pytest.mark.parametrize(("q", "first", "corrected"), [
    ("cinamon", "Cinnamon sticks", "cinnamon"),
    ("peper", "Black pepper", "pepper"),
    ("blakc peper", "Black pepper", "black pepper"),  # two letters swapped counts as one
    ("cinamo", "Cinnamon sticks", "cinnamon"),  # a typo in a word still being typed
    ("இலவங்கபட்டை", "Cinnamon sticks", "இலவங்கப்பட்டை"),  # Tamil, one letter missing
])
def test_a_one_letter_typo_still_finds_the_product(spices, q, first, corrected):
    result = search.search(q)

    assert names(result.ids)[0] == first
    assert result.corrected == corrected


def test_a_correct_word_is_not_corrected(spices):
    assert search.search("pepper").corrected is None


def test_nothing_near_means_nothing_found(spices):
    assert search.search("xylophone") == search.SearchResult([], None)


def test_exact_name_first_then_name_start_then_word_start_then_inside(db_session):
    for name in ["Steamer", "Green tea", "Tea cup", "Tea"]:
        make_product(name)

    assert found("tea") == ["Tea", "Tea cup", "Green tea", "Steamer"]


def test_every_word_must_match(spices):
    assert found("black tea") == ["Ceylon black tea leaves"]
    assert found("black coffee") == []


def test_short_words_match_at_the_start_of_a_word(db_session):
    make_product("TV stand")
    make_product("Tea")
    make_product("Green tea", name_si="කොළ තේ")

    assert found("tv") == ["TV stand"]
    assert found("te") == ["Tea", "Green tea"]
    assert found("ea") == []
    assert found("තේ") == ["Green tea"]


def test_brand_is_searched(db_session):
    editing.create_product(inputs.ProductInput(
        name_en="Wireless earbuds", brand="Lumo", status="published",
        variants=[inputs.VariantInput(sku="B-1", price_cents=100)]))
    make_product("Lumberjack shirt")

    assert found("lumo") == ["Wireless earbuds"]


def test_drafts_and_archived_products_are_never_found(db_session):
    make_product("Draft tea", status="draft", name_si="තේ")
    make_product("Archived tea", status="archived")
    make_product("Hidden cinnamon", status="draft")

    assert found("tea") == []
    assert found("te") == []
    assert found("තේ") == []
    assert search.search("cinamon") == search.SearchResult([], None)
    assert search.suggest("tea") == []


def test_a_renamed_or_deleted_product_leaves_the_index(db_session):
    from app import db

    kettle = make_product("Kettle")
    toaster = make_product("Toaster")
    kettle.name_en = "Electric kettle"
    kettle.name_si = "විදුලි කේතලය"
    db.session.delete(toaster)
    db.session.commit()

    assert found("electric") == ["Electric kettle"]
    assert found("කේතලය") == ["Electric kettle"]
    assert found("toaster") == []


def test_limit(db_session):
    for n in range(5):
        make_product(f"Tea {n}")

    assert len(search.search_ids("tea", limit=3)) == 3


# -- broad words: more matches than are ranked -------------------------------------------

@pytest.fixture()
def small_pool(monkeypatch):
    """Fewer candidates a tier (the shop's are a hundred or more): a dozen products make a
    broad word here, as thousands do in the shop."""
    monkeypatch.setattr(search_sql, "MIN_POOL", 4)


def test_a_broad_word_still_ranks_the_exact_name_first_then_names_starting_with_it(
        db_session, small_pool):
    for n in range(6):
        make_product(f"Steamer {n}")  # "tea" inside a word, and the first in the table
    for n in range(6):
        make_product(f"Ceylon tea {n}")  # at a word start
    make_product("Tea strainer")
    make_product("Tea cup")
    make_product("Tea")  # the exact name, added last: the highest id

    result = search.search("tea", limit=4)

    assert names(result.ids)[:3] == ["Tea", "Tea cup", "Tea strainer"]
    assert names(result.ids)[3].startswith("Ceylon tea ")  # a word start before "Steamer"
    assert result.more


@pytest.mark.parametrize(("q", "others", "language"), [
    ("තේ", "කළු තේ {}", "si"),  # Sinhala, a word of two letters: a word start
    ("தேநீர்", "கருப்பு தேநீர் {}", "ta"),  # Tamil: trigrams
    ("green tea", "Fresh green tea {}", "en"),  # two words
])
def test_a_broad_query_in_any_script_still_ranks_the_exact_name_first(
        db_session, small_pool, q, others, language):
    def named(name, english):
        return (make_product(name) if language == "en"
                else make_product(english, **{f"name_{language}": name}))

    for n in range(8):
        named(others.format(n), f"Product {n}")
    exact = named(q, "Exact")

    assert search.search_ids(q, limit=3)[0] == exact.id


def test_a_search_says_when_more_products_match_than_it_lists(db_session):
    for n in range(5):
        make_product(f"Tea {n}")

    assert search.search("tea", limit=5).more is False
    assert search.search("tea", limit=4).more is True
    assert search.search("tea", limit=4).ids == search.search("tea", limit=5).ids[:4]
    assert search.search("kettle").more is False


def test_a_broad_word_lists_its_best_matches_in_the_same_order_as_a_narrow_one(
        db_session, monkeypatch):
    for name in ["Steamer", "Green tea", "Tea cup", "Tea", "Black tea", "Tea towel"]:
        make_product(name)
    everything = found("tea")

    monkeypatch.setattr(search_sql, "MIN_POOL", 2)
    result = search.search("tea", limit=2)

    assert names(result.ids) == everything[:2] == ["Tea", "Tea cup"]
    assert result.more


@pytest.mark.parametrize("q", [
    "", "   ", "!!!", "%", "_", "%_", "\\", '"', "'", "*", "-", "—", "()", "NEAR(",
    "tea\" OR \"x", "' OR 1=1 --", "'; DROP TABLE catalog_product; --", "te%", "t_a",
    "a" * 5000, "tea " * 1250, TEA_SI * 1000, "\x00tea", "ේ", "①②", "🍵", "\u200d",
    "AND", "OR NOT", "name_en:tea", "{name_en}: tea", "^tea", "tea*",
])
def test_odd_queries_never_break_search(spices, q):
    ids = search.search_ids(q)
    suggestions = search.suggest(q)

    assert len(ids) <= 5
    assert len(suggestions) <= 6


@pytest.mark.parametrize("q", ["%", "_", "%_", "!!!", "", "' OR 1=1 --"])
def test_wildcards_and_punctuation_match_nothing(spices, q):
    assert search.search_ids(q) == []


def test_wildcards_inside_a_query_are_plain_characters(db_session):
    make_product("100% cotton sarong")
    make_product("Cotton shirt")

    assert found("100%") == ["100% cotton sarong"]
    assert found("cott%") == ["Cotton shirt", "100% cotton sarong"]  # "%" separates words


def test_query_words(db_session):
    assert search.words("  Ceylon   TEA! ") == ["ceylon", "tea"]
    assert search.words(TEA_SI) == ["තේ", "කොළ"]  # vowel signs stay inside the words
    assert search.words("ශ්‍රී") == ["ශ්රී"]
    assert search.words("x" * 5000) == ["x" * search.MAX_QUERY_CHARS]
    assert search.words("%_'\"--") == []


def test_suggestions_are_in_the_shoppers_language_or_the_script_typed(spices):
    english = search.suggest("ceylon")
    sinhala_ui = search.suggest("tea", locale="si")
    typed_tamil = search.suggest(TEA_TA, locale="en")

    assert english == [search.Suggestion("Ceylon black tea leaves", "ceylon-black-tea-leaves")]
    assert sorted(s.name for s in sinhala_ui) == sorted([TEA_SI, "කොළ තේ"])
    assert typed_tamil[0].name == TEA_TA


def test_suggestions_fall_back_to_english_without_a_translation(db_session):
    make_product("Kithul treacle")

    assert search.suggest("kithul", locale="ta") == [
        search.Suggestion("Kithul treacle", "kithul-treacle")]


def test_suggestions_are_few(db_session):
    for n in range(10):
        make_product(f"Tea {n}")

    assert len(search.suggest("tea")) == 6
    assert len(search.suggest("tea", limit=3)) == 3


@pytest.mark.postgres_only
def test_postgresql_uses_the_search_indexes(spices, backend):
    from sqlalchemy import event

    from app import db

    # A handful of rows is cheaper to scan than to look up: other products (in this
    # transaction only, rolled back after the test, as the rest) and the other ways taken
    # away, so that the plan shows whether the search indexes match the query's expressions.
    db.session.execute(text(
        "INSERT INTO catalog_product (slug, kind, status, name_en, description_en, "
        "is_featured, min_price_cents, published_at, created_at, updated_at) "
        "SELECT 'other-' || g, 'product', 'published', 'Other tea ' || g, '', false, 100, "
        "now(), now(), now() FROM generate_series(1, 3000) AS g"))
    db.session.execute(text("ANALYZE catalog_product"))
    db.session.execute(text("SET LOCAL enable_seqscan = off"))
    db.session.execute(text("DROP INDEX ix_catalog_product_listing"))
    db.session.execute(text("DROP INDEX ix_catalog_product_newest"))

    def statements(search_for):
        sent = []

        def remember(conn, cursor, statement, parameters, context, executemany):
            if "FROM catalog_product WHERE" in statement:
                sent.append((statement, parameters))

        engine = db.session.get_bind()
        event.listen(engine, "before_cursor_execute", remember)
        try:
            search_for()
        finally:
            event.remove(engine, "before_cursor_execute", remember)
        return sent

    def plan(statement):
        return "\n".join(db.session.connection().exec_driver_sql(
            "EXPLAIN " + statement[0], statement[1]).scalars())

    long_word = statements(lambda: search.search_ids("cinn"))  # trigrams
    short_word = statements(lambda: search.search_ids("tv"))  # whole words (tsvector)
    typo = statements(lambda: search.search("cinamon"))  # the candidates: word similarity
    broad = statements(lambda: search.search_ids("tea", limit=1))  # the best tiers too

    # A broad word's names equal to or starting with it: the name indexes (migration 0028).
    for step in ("exact", "head"):
        assert all(f"ix_catalog_product_search_{column}" in _step(plan(broad[-1]), step)
                   for column in search_sql.SEARCHED), plan(broad[-1])
    # Those partial indexes are a way to read every published product too, which a few
    # thousand are cheap enough for: without them, the other plans show their indexes.
    for column in search_sql.SEARCHED:
        db.session.execute(text(f"DROP INDEX ix_catalog_product_search_{column}"))

    assert "ix_catalog_product_search_trgm" in plan(long_word[0]), plan(long_word[0])
    assert "ix_catalog_product_search_words" in plan(short_word[0]), plan(short_word[0])
    assert any("<%" in s[0] and "ix_catalog_product_search_trgm" in plan(s) for s in typo)
    assert "ix_catalog_product_search_words" in _step(plan(broad[-1]), "word_start")


def _step(plan: str, name: str) -> str:
    """The part of a PostgreSQL plan (EXPLAIN's text) that computes the CTE `name`."""
    lines = plan.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == f"CTE {name}")
    depth = len(lines[start]) - len(lines[start].lstrip())
    end = next((i for i in range(start + 1, len(lines))
                if len(lines[i]) - len(lines[i].lstrip()) <= depth), len(lines))
    return "\n".join(lines[start:end])


@pytest.mark.postgres_only
def test_postgresql_trigrams_keep_sinhala_and_tamil_words_whole(app_ctx, backend):
    """pg_trgm splits words with the database's locale; under plain C it would drop every
    Sinhala and Tamil letter and only the (slower) LIKE recheck would still find them."""
    from app import db

    for word in ["කොළ", "தேயிலை"]:
        trigrams = db.session.scalar(text("SELECT cardinality(show_trgm(:w))"), {"w": word})
        assert trigrams == len(word) + 1, word  # "  x", " xy", … "yz ": whole, not split


# -- pages -------------------------------------------------------------------------------

@pytest.fixture()
def shop(app_ctx):
    make_category("tea-spices", name="Tea & spices")
    make_product("Ceylon black tea leaves", name_si=TEA_SI, name_ta=TEA_TA,
                 category="tea-spices", price_cents=650_00)
    make_product("Green tea", name_si="කොළ තේ", category="tea-spices", price_cents=890_00)
    make_product("Tea cup", price_cents=300_00)
    make_product("Draft tea", status="draft")


def test_results_page_lists_matches_with_filters(client, shop):
    page = client.get("/search?q=tea")

    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Ceylon black tea leaves" in html and "Green tea" in html and "Tea cup" in html
    assert "Draft tea" not in html
    assert 'name="sort"' in html and 'value="relevance"' in html
    assert 'name="q" value="tea"' in html  # the filters keep the query
    assert html.index("Tea cup") < html.index("Ceylon black tea leaves")  # name start first


def test_results_page_of_a_broad_word_says_there_are_more(client, shop, monkeypatch):
    from app.catalog import search_views

    monkeypatch.setattr(search_views, "RESULTS", 2)  # the shop lists ten pages' worth

    everything = client.get("/search?q=tea").get_data(as_text=True)
    in_category = client.get("/search?q=tea&category=tea-spices").get_data(as_text=True)
    narrow = client.get("/search?q=green").get_data(as_text=True)

    assert "More than 2 items" in everything
    assert "Tea cup" in everything and "Green tea" in everything
    assert "Ceylon black tea leaves" not in everything  # the third best
    assert "Only the 2 best matches are listed" in everything
    # Filtered, the count is of what is listed, and the page says what it was chosen from.
    assert "1 item" in in_category and "More than" not in in_category
    assert "Only the 2 best matches are listed" in in_category
    assert "1 item" in narrow
    assert "More than" not in narrow and "best matches are listed" not in narrow


def test_results_page_filters_and_sorts_within_the_matches(client, shop):
    cheap_first = client.get("/search?q=tea&sort=price_asc").get_data(as_text=True)
    in_category = client.get("/search?q=tea&category=tea-spices").get_data(as_text=True)
    under_700 = client.get("/search?q=tea&max_price=700").get_data(as_text=True)

    assert cheap_first.index("Tea cup") < cheap_first.index("Ceylon") < cheap_first.index(
        "Green tea")
    assert "Tea cup" not in in_category and "Green tea" in in_category
    assert "Green tea" not in under_700 and "Ceylon black tea leaves" in under_700


def test_results_page_in_sinhala(client, shop):
    html = client.get("/search", query_string={"q": "තේ කොළ"}).get_data(as_text=True)

    assert "Ceylon black tea leaves" in html


def test_results_page_shows_the_corrected_spelling(client, shop):
    html = client.get("/search?q=grean").get_data(as_text=True)

    assert "Green tea" in html
    assert "green" in html and "Showing results for" in html


@pytest.mark.parametrize("q", ["kettle", "!!!", "%_", "x" * 5000, "' OR 1=1 --", ""])
def test_results_page_without_matches_is_a_friendly_200(client, shop, q):
    page = client.get("/search", query_string={"q": q})

    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Tea cup" not in html
    if q.strip("!%_' ") and q != "' OR 1=1 --":
        assert "No products match" in html
        assert "Tea &amp; spices" in html  # categories to browse instead


def test_results_page_ignores_a_bad_page_number_and_sort(client, shop):
    page = client.get("/search?q=tea&page=abc&sort=nonsense")

    assert page.status_code == 200
    assert "Tea cup" in page.get_data(as_text=True)


def test_suggestions_fragment_is_a_listbox_of_links(client, shop):
    page = client.get("/search/suggest?q=tea", headers={"HX-Request": "true"})

    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'role="listbox"' in html
    assert html.count('href="/p/') == 3  # the three published teas, not the draft
    assert 'href="/p/ceylon-black-tea-leaves"' in html
    assert 'href="/search?q=tea"' in html  # and "All results"
    assert "<html" not in html
    assert "HX-Request" in page.headers.get("Vary", "")


def test_suggestions_fragment_in_the_script_typed(client, shop):
    html = client.get("/search/suggest", query_string={"q": "කොළ"}).get_data(as_text=True)

    assert TEA_SI in html and "කොළ තේ" in html


@pytest.mark.parametrize("q", ["", "!!!", "x" * 5000, "nothing-like-it"])
def test_suggestions_fragment_without_matches_is_empty(client, shop, q):
    page = client.get("/search/suggest", query_string={"q": q})

    assert page.status_code == 200
    assert 'role="option"' not in page.get_data(as_text=True)


def test_header_has_a_search_form_that_works_without_javascript(client, shop):
    html = client.get("/").get_data(as_text=True)

    assert 'role="search"' in html and 'action="/search"' in html
    assert 'hx-get="/search/suggest"' in html


def test_one_letter_is_searched_but_not_suggested(db_session):
    make_product("Tea")
    make_product("Kettle")

    assert found("t") == ["Tea"]  # at the start of a word only
    assert search.suggest("t") == []
    assert search.suggest("te") == [search.Suggestion("Tea", "tea")]


def test_a_name_saved_with_decomposed_vowel_signs_is_found(db_session):
    import unicodedata

    decomposed = unicodedata.normalize("NFD", "කොළ තේ")
    assert decomposed != "කොළ තේ"  # the vowel sign ො really is two code points here
    product = make_product("Green tea leaves", name_si=decomposed)

    assert product.name_si == "කොළ තේ"
    assert product.id in search.search_ids("කොළ")
