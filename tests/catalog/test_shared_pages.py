"""The page cache's second level (app/shared_pages.py), on a real Redis: a page one process
rendered serves the others, for the rest of its time and no longer; each visitor still gets
their own token; another shop's pages are never served; and with Redis down, pages are
rendered as if nothing were kept."""

from __future__ import annotations

import logging
import re

import pytest

from app import memo, page_cache, shared_pages as shared_module
from app.catalog import editing, inputs
from app.shared_pages import SharedPages
from tests.catalog.factories import make_product
from tests.statements import statements_sent


@pytest.fixture()
def two_processes(make_app, redis_url):
    """Two apps over the same database and Redis: what two gunicorn workers (or machines)
    are to each other, each with its own first level."""
    apps = [make_app(PAGE_CACHE_SECONDS=300, REDIS_URL=redis_url, WTF_CSRF_ENABLED=True)
            for _ in range(2)]
    yield apps
    for app in apps:
        page_cache.clear(app)
        memo.forget_all(app)


def _rename(product, name: str) -> None:
    editing.update_product(product.id, inputs.ProductDetails(name_en=name, status="published"))


def _queries_during(app, call):
    with statements_sent(app) as statements:
        return call(), statements


def test_a_page_rendered_by_one_process_serves_the_other(two_processes, app_ctx):
    first, second = two_processes
    product = make_product("Kithul treacle")
    assert first.test_client().get("/p/kithul-treacle").status_code == 200
    _rename(product, "Kithul honey")

    response, statements = _queries_during(
        second, lambda: second.test_client().get("/p/kithul-treacle"))

    assert response.status_code == 200
    assert "Kithul treacle" in response.get_data(as_text=True)  # as the first one kept it
    assert statements == []


def test_each_visitor_still_gets_their_own_token(two_processes, app_ctx):
    first, second = two_processes
    make_product("Kettle")
    page_a = first.test_client().get("/p/kettle").get_data(as_text=True)
    page_b = second.test_client().get("/p/kettle").get_data(as_text=True)

    tokens = [re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
              for page in (page_a, page_b)]
    assert tokens[0] != tokens[1]
    assert page_cache.CSRF_MARK not in page_b


def test_a_shared_page_lasts_its_time_and_no_longer(two_processes, app_ctx, monkeypatch):
    first, second = two_processes
    product = make_product("Kettle")
    first.test_client().get("/p/kettle")
    _rename(product, "Copper kettle")

    later = shared_module.time.time() + 301
    monkeypatch.setattr(shared_module.time, "time", lambda: later)
    assert "Copper kettle" in second.test_client().get("/p/kettle").get_data(as_text=True)


def test_api_answers_are_shared_with_their_headers(two_processes, app_ctx):
    first, second = two_processes
    make_product("Tea", name_si="තේ")
    first.test_client().get("/api/v1/products/tea", headers={"Accept-Language": "si"})

    response, statements = _queries_during(second, lambda: second.test_client().get(
        "/api/v1/products/tea", headers={"Accept-Language": "si"}))

    assert statements == []
    assert response.get_json()["name"] == "තේ"
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["Cache-Control"] == "public, max-age=60"


def test_another_shops_pages_are_never_served(redis_url):
    ours = SharedPages(redis_url, "postgresql://db.example/shop")
    theirs = SharedPages(redis_url, "postgresql://db.example/staging")
    key = ("shop.lk", "/p/kettle?", "en", "", None, None)
    ours.put(key, {"body": "ours", "headers": [], "extra": None}, 60)
    try:
        assert theirs.get(key) is None
        assert ours.get(key)[0]["body"] == "ours"
    finally:
        ours.clear()


def test_with_redis_down_pages_are_rendered_and_redis_is_left_alone_a_while(
        make_app, app_ctx, caplog, monkeypatch):
    app = make_app(PAGE_CACHE_SECONDS=300, REDIS_URL="redis://127.0.0.1:9/0")  # nothing there
    make_product("Kettle")
    with caplog.at_level(logging.WARNING, logger="app.shared_pages"):
        assert app.test_client().get("/p/kettle?from=ad").status_code == 200
    shared = shared_module.shared_pages(app)
    calls = []
    monkeypatch.setattr(shared.client, "get", lambda *a, **k: calls.append(a))

    assert app.test_client().get("/search?q=kettle").status_code == 200
    assert calls == []  # paused after the failure: no timeout paid again
    assert "unavailable" in caplog.text
    assert "kettle" not in caplog.text.lower()  # the visited address stays out of the log
    page_cache.clear(app)
