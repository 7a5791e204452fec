"""Catalog facts remembered for PAGE_CACHE_SECONDS (app/memo.py): a search's ranking and a
listing's filter counts, shared by every visitor, signed in or not, and by the API; and the
API's public catalogue answers from the page cache. Off (0) they are always fresh; on, they
lag at most that long, and nothing a shopper must not see (an archived product, another
language's answer, an error) is ever served from them."""

from __future__ import annotations

import pytest

from app import memo, page_cache
from app.catalog import editing, search, services as catalog
from app.catalog.services import ProductFilter
from tests.catalog.factories import make_category, make_product
from tests.statements import statements_sent


@pytest.fixture()
def cached_app(make_app):
    app = make_app(PAGE_CACHE_SECONDS=300)
    yield app
    page_cache.clear(app)
    memo.forget_all(app)


@pytest.fixture()
def cached_ctx(cached_app):
    with cached_app.app_context():
        yield cached_app


def _later(monkeypatch, seconds: float) -> None:
    now = memo.time.monotonic() + seconds
    monkeypatch.setattr(memo.time, "monotonic", lambda: now)


# ---- the store -------------------------------------------------------------------------

def test_a_value_expires_after_its_time(monkeypatch):
    store = memo.TTLCache(4)
    store.put("a", 1, 10)
    assert store.get("a") == 1
    _later(monkeypatch, 11)
    assert store.get("a") is None
    assert len(store) == 0


def test_the_least_recently_used_goes_first_when_full():
    store = memo.TTLCache(2)
    store.put("a", 1, 60)
    store.put("b", 2, 60)
    store.get("a")  # used: b is now the oldest
    store.put("c", 3, 60)
    assert (store.get("a"), store.get("b"), store.get("c")) == (1, None, 3)


def test_off_nothing_is_remembered(app_ctx):
    calls = []
    for _ in range(2):
        memo.remember(("k",), lambda: calls.append(1))
    assert len(calls) == 2


# ---- search and facets -----------------------------------------------------------------

def test_a_search_is_ranked_once_and_shows_new_products_after_its_time(cached_ctx,
                                                                       monkeypatch):
    make_product("Copper kettle")
    first = search.search("kettle").ids
    make_product("Steel kettle")

    assert search.search("Kettle!").ids == first  # the same words: remembered
    assert len(search.search("kettle", limit=50).ids) == 2  # another question
    _later(monkeypatch, 301)
    assert len(search.search("kettle").ids) == 2


def test_facet_counts_are_counted_once_for_every_choice_and_page(cached_ctx, monkeypatch):
    make_category("tea")
    make_product("Green tea", category="tea", attributes={"Origin": "Nuwara Eliya"})
    make_product("Black tea", category="tea", attributes={"Origin": "Kandy"})
    chosen = ProductFilter(category="tea", attributes={"Origin": ("Kandy",)})

    with statements_sent(cached_ctx) as statements:
        before = catalog.attribute_facets(ProductFilter(category="tea"))
        counted = len(statements)
        assert catalog.attribute_facets(chosen) == before  # a choice: the same counts
        assert len(statements) == counted

    make_product("White tea", category="tea", attributes={"Origin": "Kandy"})
    assert dict(catalog.attribute_facets(chosen)["Origin"])["Kandy"] == 1
    _later(monkeypatch, 301)
    assert dict(catalog.attribute_facets(chosen)["Origin"])["Kandy"] == 2


def _reads_of_the_tree(statements) -> int:
    return sum("FROM catalog_category" in " ".join(s.split()) for s in statements)


def test_the_category_tree_is_read_once_and_kept_until_a_staff_save(make_app):
    app = make_app(REFERENCE_CACHE_SECONDS=300)
    with app.app_context():
        make_category("tea")
        make_category("green-tea", parent="tea")
        make_product("Sencha", category="green-tea", attributes={"Origin": "Nuwara Eliya"})
        filters = ProductFilter(category="tea")

        with statements_sent(app) as statements:
            listed = catalog.list_products(filters)
            facets = catalog.attribute_facets(filters)
            again = catalog.list_products(filters)
        assert [p.name_en for p in listed.items] == [p.name_en for p in again.items] == [
            "Sencha"]
        assert facets == {"Origin": [("Nuwara Eliya", 1)]}
        assert _reads_of_the_tree(statements) == 1

        # A staff save shows at once in this process: the new sub-category is listed.
        editing.create_category("white-tea", "White tea", parent_slug="tea")
        make_product("Silver needle", category="white-tea")
        names = {p.name_en for p in catalog.list_products(filters).items}
        assert names == {"Sencha", "Silver needle"}
        memo.forget_all(app)


def test_a_product_archived_since_the_search_is_not_shown(cached_app, cached_ctx, customer,
                                                          login):
    kept = make_product("Copper kettle")
    gone = make_product("Steel kettle")
    client = cached_app.test_client()
    login(customer, c=client)  # signed in: no page cache, only the remembered ranking
    assert "Steel kettle" in client.get("/search?q=kettle").get_data(as_text=True)

    editing.set_status([gone.id], "archived")
    page = client.get("/search?q=kettle").get_data(as_text=True)

    assert kept.name_en in page and "Steel kettle" not in page


# ---- the API's catalogue answers -----------------------------------------------------

def test_a_second_api_call_is_answered_without_a_query(cached_app, cached_ctx):
    make_product("Kithul treacle")
    client = cached_app.test_client()
    first = client.get("/api/v1/products/kithul-treacle")
    with statements_sent(cached_app) as statements:
        second = cached_app.test_client().get("/api/v1/products/kithul-treacle")

    assert first.status_code == second.status_code == 200
    assert second.get_json() == first.get_json()
    assert statements == []
    assert second.headers["Content-Type"] == "application/json"
    assert second.headers["Cache-Control"] == "public, max-age=60"
    assert second.headers["Content-Language"] == "en"


def test_api_answers_are_kept_per_language(cached_app, cached_ctx):
    make_product("Tea", name_si="තේ", name_ta="தேநீர்")
    client = cached_app.test_client()
    names = [client.get("/api/v1/products/tea", headers={"Accept-Language": lang})
             .get_json()["name"] for lang in ("en", "si", "ta", "si")]
    assert names == ["Tea", "තේ", "தேநீர்", "තේ"]


def test_api_listings_and_errors(cached_app, cached_ctx):
    client = cached_app.test_client()
    assert client.get("/api/v1/products/not-yet").status_code == 404
    assert client.get("/api/v1/products?page=0").status_code == 422
    make_product("Not yet")

    assert client.get("/api/v1/products/not-yet").status_code == 200  # the 404 not kept
    assert client.get("/api/v1/products?page=0").status_code == 422
    listed = client.get("/api/v1/products").get_json()
    assert [item["slug"] for item in listed["items"]] == ["not-yet"]
