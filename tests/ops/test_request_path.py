"""The request path every page pays for, made cheap without changing what a page says: its
translations, its links, the shop's details in its footer, its money, its security headers
and the rate limits. Each shortcut is held to the result of the long way round."""

from __future__ import annotations

import re

import babel.support
import pytest
from flask import Flask, render_template_string, url_for
from flask_babel import Babel, force_locale, get_locale

from app import i18n
from app.content import services as content
from app.extensions import RouteLimiter
from tests.statements import statements_sent

# ---- no loading per request -----------------------------------------------------------------


def test_a_page_loads_no_template_and_no_catalog_once_the_process_has(app, client,
                                                                      monkeypatch):
    pages = ["/about", "/products", "/account/login", "/cart"]
    for language in ("en", "si", "ta"):
        client.post("/language", data={"language": language, "next": "/"})
        for page in pages:
            client.get(page)
    loaded = []
    monkeypatch.setattr(app.jinja_env.loader, "get_source",
                        lambda *args: loaded.append(args[-1]) or pytest.fail("loaded"))
    load = babel.support.Translations.load
    monkeypatch.setattr(babel.support.Translations, "load",
                        lambda *args, **kwargs: loaded.append(args) or load(*args, **kwargs))

    for language in ("si", "en", "ta"):
        client.post("/language", data={"language": language, "next": "/"})
        for page in pages:
            assert client.get(page).status_code == 200

    assert loaded == []


# ---- translations in templates --------------------------------------------------------------

SNIPPETS = [
    '{{ _("Sign in") }}',
    '{{ _("%(shop)s support", shop="<b>Kade & Co</b>") }}',
    '{{ ngettext("Cart, %(num)d item", "Cart, %(num)d items", 1) }}',
    '{{ ngettext("Cart, %(num)d item", "Cart, %(num)d items", 3) }}',
    '{{ gettext("Search products") }}',
    "{% trans %}Sign in{% endtrans %}",
    '{% trans n=2 %}Cart, {{ n }} item{% pluralize %}Cart, {{ n }} items{% endtrans %}',
    '{{ pgettext("menu", "Shop") }}',
    '{{ npgettext("menu", "%(num)d item", "%(num)d items", 2) }}',
    '{% autoescape false %}{{ _("%(shop)s support", shop="<b>") }}{% endautoescape %}',
    '{{ _("Up to 50%% off") }}',  # nothing to fill in, yet a format string all the same
]


@pytest.fixture()
def flask_babels_own(app):
    """A bare app with Flask-Babel's own template functions over the same catalogs."""
    plain = Flask(__name__)
    [catalogs] = app.extensions["babel"].translation_directories
    plain.config["BABEL_TRANSLATION_DIRECTORIES"] = catalogs
    Babel(plain, locale_selector=lambda: "en")
    return plain


@pytest.mark.parametrize("language", ["en", "si", "ta"])
def test_template_translations_say_what_flask_babels_own_say(app, flask_babels_own, language):
    with flask_babels_own.test_request_context(), force_locale(language):
        expected = [render_template_string(snippet) for snippet in SNIPPETS]
    with app.test_request_context(), force_locale(language):
        ours = [render_template_string(snippet) for snippet in SNIPPETS]

    assert ours == expected
    assert "&lt;b&gt;Kade &amp; Co&lt;/b&gt;" in ours[1]  # the values escaped, as before
    if language == "si":
        assert ours[0] != "Sign in"  # translated, not the English passed through


def test_a_forced_language_is_followed_and_left(app):
    """A mail rendered in its customer's language in the middle of a page in another."""
    with app.test_request_context():
        before = render_template_string('{{ _("Sign in") }}')
        with force_locale("si"):
            sinhala = render_template_string('{{ _("Sign in") }}')
            with force_locale("ta"):
                tamil = render_template_string('{{ _("Sign in") }}')
        after = render_template_string('{{ _("Sign in") }}')

    assert before == after == "Sign in"
    assert len({before, sinhala, tamil}) == 3


def test_outside_a_request_templates_say_the_english(app):
    with app.app_context():
        assert render_template_string('{{ _("Sign in") }}') == "Sign in"


def test_the_current_language_is_flask_babels_in_and_out_of_forced_languages(app):
    with app.test_request_context("/", headers={"Accept-Language": "ta"}):
        seen = [i18n.current_language(), str(get_locale())]
        with force_locale("si"):
            seen += [i18n.current_language(), str(get_locale())]
        seen += [i18n.current_language(), str(get_locale())]
    with app.app_context():
        seen.append(i18n.current_language())  # outside a request: English

    assert seen == ["ta", "ta", "si", "si", "ta", "ta", "en"]


# ---- money ----------------------------------------------------------------------------------

@pytest.mark.parametrize("language", ["en", "si", "ta", "fr"])
def test_money_reads_exactly_as_babel_writes_it(language):
    amounts = [0, 1, 5, 99, 100, 1_250_00, 1_234_567_89, 10**13 + 7, -1, -45_50, -10**12]

    assert ([i18n.format_lkr(cents, language) for cents in amounts]
            == [i18n._babel_lkr(cents, language) for cents in amounts])


@pytest.mark.parametrize("language", ["en", "si", "ta"])
def test_the_money_filter_writes_in_the_pages_language(app, language):
    with app.test_request_context(), force_locale(language):
        through_flask = render_template_string("{{ 1234567 | money }}")  # the page's context
        bare = app.jinja_env.from_string("{{ 1234567 | money }}").render()  # no context
    assert through_flask == bare == i18n._babel_lkr(1234567, language)


def test_money_is_integer_cents():
    assert i18n.format_lkr(1_250_00) == "Rs. 1,250.00"
    assert i18n.format_lkr(1_250_00, "si") == "රු.1,250.00"
    with pytest.raises(TypeError):
        i18n.format_lkr(12.5)


# ---- the layout's links ---------------------------------------------------------------------

@pytest.mark.parametrize(("endpoint", "values"), [
    ("static", {"filename": "css/kade.css"}),
    ("static", {"filename": "no/such/file.css"}),
    ("pages.home", {}),
    ("content.about", {}),
    ("accounts.login", {"next": "/cart"}),
    ("catalog.product", {"slug": "ceylon-tea"}),
    ("catalog.product", {"slug": "Tea-2"}),
    ("catalog.product", {"slug": "tea leaf/ඒ?"}),  # quoted by Flask, never kept
    ("catalog.category", {"slug": "tea"}),
    ("catalog.product_list", {"page": "2"}),  # a query string
    ("catalog.product_list", {"_anchor": "top"}),
    ("orders.order_link", {}),
    ("checkout.update_line", {"line_id": "12"}),  # an int converter: built by Flask
    ("static", {"filename": "css/kade.css", "_external": True}),
])
def test_the_layouts_links_are_flasks_own_under_any_root(app, endpoint, values):
    layout_url_for = app.jinja_env.globals["url_for"]
    for base in ("http://localhost/", "http://shop.example.lk/kade/", "http://localhost/"):
        with app.test_request_context("/", base_url=base):
            for _ in range(2):  # made, then kept
                assert layout_url_for(endpoint, **values) == url_for(endpoint, **values)


def test_a_static_link_carries_its_files_hash(app, client):
    html = client.get("/about").get_data(as_text=True)

    assert re.search(r'href="/static/css/kade\.css\?v=[0-9a-f]{10}"', html)


def test_outside_a_request_layout_links_are_absolute_and_not_kept(make_app):
    """A mail rendered by a job links absolutely; a page's links stay relative."""
    named = make_app(SERVER_NAME="kade.example.lk")
    layout_url_for = named.jinja_env.globals["url_for"]

    with named.app_context():
        assert layout_url_for("pages.home") == "http://kade.example.lk/"
    with named.test_request_context("/"):
        assert layout_url_for("pages.home") == "/"
    with named.app_context():
        assert layout_url_for("pages.home") == "http://kade.example.lk/"


# ---- the shop's details and pages as reference data -----------------------------------------

@pytest.fixture()
def kept_app(make_app):
    """Production's keeping of reference data (REFERENCE_CACHE_SECONDS)."""
    return make_app(REFERENCE_CACHE_SECONDS=10)


def test_kept_details_and_pages_cost_a_page_no_query(kept_app, app_ctx):
    client = kept_app.test_client()
    client.get("/about")

    with statements_sent(kept_app) as statements:
        html = client.get("/about").get_data(as_text=True)

    assert "<h1>About us</h1>" in html and 'href="tel:+94112345678"' in html
    assert statements == []


def test_a_staff_save_shows_at_once_where_it_was_made(kept_app, app_ctx):
    client = kept_app.test_client()
    client.get("/about")
    client.get("/contact")

    with kept_app.test_request_context():
        content.save_details({"name": "Perera & Sons", "hotline": "011 765 4321"})
        content.save_page("about", content.PageInput(titles={"en": "Our story"},
                                                     bodies={"en": "Since 2009."}))
    about = client.get("/about").get_data(as_text=True)

    assert "<h1>Our story</h1>" in about and "Since 2009." in about
    assert "<title>Our story · Perera &amp; Sons</title>" in about
    assert 'href="tel:+94117654321"' in about and "0117 654 321" in about


def test_the_details_are_made_once_per_language(kept_app, app_ctx):
    with kept_app.test_request_context():
        english = content.shop_details("en")
        assert content.shop_details("en") is english
        assert english.hotline_display == kept_app.config["SHOP_PHONE"]  # as it is spelt
        assert english.hotline_href == "tel:+94112345678"
        assert content.shop_details("si") is not english


# ---- security headers -----------------------------------------------------------------------

def test_every_page_gets_the_headers_and_its_own_nonce(client):
    first, second = client.get("/about"), client.get("/about")

    policy = first.headers["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
    assert policy == (
        f"default-src 'self'; script-src 'self' 'nonce-{nonce}'; "
        "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; "
        "connect-src 'self'; form-action 'self' https://sandbox.payhere.lk "
        "https://www.payhere.lk; frame-ancestors 'none'; base-uri 'self'; object-src 'none'")
    assert f'nonce="{nonce}"' in first.get_data(as_text=True)
    assert nonce not in second.headers["Content-Security-Policy"]
    for name, value in [("X-Content-Type-Options", "nosniff"), ("X-Frame-Options", "DENY"),
                        ("Referrer-Policy", "strict-origin-when-cross-origin"),
                        ("Cross-Origin-Opener-Policy", "same-origin")]:
        assert first.headers.getlist(name) == [value]


# ---- rate limits ----------------------------------------------------------------------------

def _limited_app(**limits) -> Flask:
    plain = Flask(__name__)
    plain.config.update(RATELIMIT_STORAGE_URI="memory://")
    limiter = RouteLimiter(key_func=lambda: "everyone", **limits)
    limiter.init_app(plain)

    @plain.get("/free")
    def free():
        return "free"

    @plain.get("/limited")
    @limiter.limit("2 per minute")
    def limited():
        return "limited"

    return plain


def test_a_routes_own_limit_holds_and_other_routes_have_none():
    client = _limited_app().test_client()

    assert [client.get("/limited").status_code for _ in range(3)] == [200, 200, 429]
    assert {client.get("/free").status_code for _ in range(5)} == {200}


def test_an_app_wide_limit_counts_every_route():
    client = _limited_app(default_limits=["3 per minute"]).test_client()

    assert [client.get("/free").status_code for _ in range(4)] == [200, 200, 200, 429]


# ---- templates' globals -----------------------------------------------------------------------

def _environment(app, templates: dict[str, str]):
    from jinja2 import DictLoader

    from app.flask_app import TemplateEnvironment

    return TemplateEnvironment(app, loader=DictLoader(templates))


def test_a_global_added_after_a_template_loaded_reaches_it(app):
    env = _environment(app, {"page.html": "{{ shown | default('nothing') }}",
                             "outer.html": "{% include 'page.html' %}"})
    assert env.get_template("outer.html").render() == "nothing"

    env.globals["shown"] = "now"
    assert env.get_template("outer.html").render() == "now"
    env.globals.update(shown="updated")
    assert env.get_template("page.html").render() == "updated"
    del env.globals["shown"]
    assert env.get_template("page.html").render() == "nothing"


def test_a_templates_own_globals_come_before_the_environments(app):
    env = _environment(app, {"page.html": "{{ shown }}"})
    env.globals["shown"] = "everyone's"

    assert env.get_template("page.html", globals={"shown": "its own"}).render() == "its own"
    assert env.from_string("{{ shown }}").render() == "everyone's"


def test_the_apps_templates_see_every_global_the_app_registered(app):
    with app.test_request_context("/"):
        template = app.jinja_env.get_template("base.html")
        for name in ("url_for", "csrf_token", "kept", "return_to", "shop_details", "_"):
            assert name in template.globals, name


# ---- small pieces of every answer -------------------------------------------------------------

@pytest.mark.parametrize(("before", "name", "after"), [
    (None, "HX-Request", "HX-Request"),
    ("HX-Request", "Accept-Encoding", "HX-Request, Accept-Encoding"),
    ("HX-Request, Accept-Encoding", "hx-request", "HX-Request, Accept-Encoding"),
    ("Cookie,HX-Request", "Accept-Encoding", "Cookie,HX-Request, Accept-Encoding"),
])
def test_vary_adds_a_name_once_as_werkzeug_would(before, name, after):
    from flask import Response

    from app.headers import vary

    ours, werkzeugs = Response(), Response()
    for response in (ours, werkzeugs):
        if before:
            response.headers["Vary"] = before
    vary(ours, name)
    werkzeugs.vary.add(name)

    assert ours.headers["Vary"] == after
    assert {v.strip().lower() for v in ours.headers["Vary"].split(",")} == {
        v.strip().lower() for v in werkzeugs.headers["Vary"].split(",")}


@pytest.mark.parametrize("public", [None, "https://kade.lk", "https://kade.lk/",
                                    "https://shop.example.lk/kade/"])
@pytest.mark.parametrize("path", ["/p/ceylon-tea", "/media/products/1/a.webp",
                                  "https://bucket.example.lk/products/1/a.webp",
                                  "p/relative", "//other.example.lk/x"])
def test_absolute_urls_are_what_urljoin_gives(make_app, public, path):
    from urllib.parse import urljoin

    from app.catalog.views import absolute_url

    app = make_app(PUBLIC_URL=public)
    with app.test_request_context("/", base_url="http://127.0.0.1:5000/"):
        base = public or "http://127.0.0.1:5000/"
        assert absolute_url(path) == urljoin(base.rstrip("/") + "/", path)


@pytest.mark.parametrize("order", [("en", "si", "ta"), ("ta", "en", "si")])
def test_attribute_labels_say_what_their_lazy_strings_say_in_each_language(app, order):
    from app.catalog.views import ATTRIBUTE_LABELS, attribute_label

    with app.test_request_context("/"):
        for language in order:
            with force_locale(language):
                for name, label in ATTRIBUTE_LABELS.items():
                    assert attribute_label(name) == str(label), (language, name)
                assert attribute_label("shelf_life") == "Shelf life"
