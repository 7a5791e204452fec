"""Lighter pages: brotli or gzip for text that gains from it, content-hashed static URLs
cached for a year, and static files without the page-only headers."""

from __future__ import annotations

import gzip
import re

import brotli
import pytest

GZIP = {"Accept-Encoding": "gzip, deflate"}
BROWSER = {"Accept-Encoding": "gzip, deflate, br, zstd"}


def _stylesheet_url(client) -> str:
    html = client.get("/account/login").get_data(as_text=True)
    return re.search(r'href="(/static/css/kade\.css\?v=[0-9a-f]{10})"', html).group(1)


def test_a_page_is_gzipped_for_a_browser_that_takes_it(client):
    response = client.get("/account/login", headers=GZIP)

    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response.headers["Vary"]
    html = gzip.decompress(response.get_data()).decode()
    assert "<form" in html
    assert int(response.headers["Content-Length"]) == len(response.get_data())


def test_a_browser_that_takes_brotli_gets_brotli(client):
    response = client.get("/account/login", headers=BROWSER)

    assert response.headers["Content-Encoding"] == "br"
    assert "<form" in brotli.decompress(response.get_data()).decode()


def test_gzip_wins_when_the_client_prefers_it(client):
    response = client.get("/account/login", headers={"Accept-Encoding": "br;q=0.5, gzip"})

    assert response.headers["Content-Encoding"] == "gzip"


@pytest.mark.parametrize("accept", [None, "identity", "deflate", "br;q=0, gzip;q=0"])
def test_a_client_that_takes_neither_gets_the_plain_page(client, accept):
    headers = {"Accept-Encoding": accept} if accept else {}

    response = client.get("/account/login", headers=headers)

    assert "Content-Encoding" not in response.headers
    assert "<form" in response.get_data(as_text=True)
    assert "Accept-Encoding" in response.headers["Vary"]  # a cache must not mix the two


def test_small_answers_and_pictures_are_not_compressed(client):
    small = client.get("/healthz", headers=GZIP)
    picture = client.get("/static/img/favicon.svg", headers=GZIP)  # svg, but under 500 bytes

    assert "Content-Encoding" not in small.headers
    assert "Content-Encoding" not in picture.headers


def test_a_stylesheet_is_compressed_and_revalidates_with_its_own_etag(client):
    url = _stylesheet_url(client)
    brotli_one = client.get(url, headers=BROWSER)

    first = client.get(url, headers=GZIP)
    again = client.get(url, headers={**GZIP, "If-None-Match": first.headers["ETag"]})
    plain = client.get(url)

    assert first.headers["Content-Encoding"] == "gzip"
    assert first.headers["ETag"].endswith('-gzip"')
    assert b".site-header" in gzip.decompress(first.get_data())
    assert again.status_code == 304
    assert plain.headers["ETag"] != first.headers["ETag"]  # other bytes, other validator
    assert brotli_one.headers["ETag"].endswith('-br"')
    assert brotli.decompress(brotli_one.get_data()) == plain.get_data()
    assert b".site-header" in plain.get_data()


def test_hashed_static_urls_are_cached_for_a_year_unhashed_briefly(client):
    url = _stylesheet_url(client)

    hashed = client.get(url)
    unhashed = client.get("/static/css/kade.css")
    stale = client.get("/static/css/kade.css?v=0000000000")

    assert hashed.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert unhashed.status_code == stale.status_code == 200
    assert unhashed.headers["Cache-Control"] == "public, max-age=300"
    assert stale.headers["Cache-Control"] == "public, max-age=300"


def test_every_static_url_in_a_page_carries_its_hash(client):
    html = client.get("/account/login").get_data(as_text=True)

    urls = re.findall(r'(?:href|src)="(/static/[^"]+)"', html)

    assert len(urls) >= 4  # stylesheets, scripts, icon
    assert all(re.search(r"\?v=[0-9a-f]{10}$", u) for u in urls), urls


def test_static_files_skip_the_page_only_headers(client):
    page = client.get("/account/login")
    stylesheet = client.get(_stylesheet_url(client))

    assert "Content-Security-Policy" in page.headers
    for name in ("Content-Security-Policy", "Permissions-Policy", "X-Frame-Options",
                 "Cross-Origin-Opener-Policy", "Referrer-Policy"):
        assert name not in stylesheet.headers, name
    assert stylesheet.headers["X-Content-Type-Options"] == "nosniff"


def test_product_pictures_skip_the_page_only_headers_but_a_missing_one_does_not(client,
                                                                              db_session):
    from app.catalog import pictures
    from tests.catalog.factories import make_product
    from tests.catalog.test_images import png

    product = make_product("Clay pot")
    picture = pictures.add_image(product.id, png())
    shown = client.get(f"/media/{picture.key}")
    assert shown.status_code == 200 and shown.mimetype == "image/webp"
    for name in ("Content-Security-Policy", "Permissions-Policy", "X-Frame-Options",
                 "Cross-Origin-Opener-Policy", "Referrer-Policy"):
        assert name not in shown.headers, name
    assert shown.headers["X-Content-Type-Options"] == "nosniff"

    missing = client.get("/media/products/1/nothing.webp")  # an HTML page: all the rules
    assert missing.status_code == 404 and "Content-Security-Policy" in missing.headers


def test_a_missing_static_file_is_a_plain_404(client):
    response = client.get("/static/css/nothing.css", headers=GZIP)

    assert response.status_code == 404
