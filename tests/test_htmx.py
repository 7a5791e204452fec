"""`request.htmx`: what htmx says about a request, read from its HX-* headers
(app/extensions.py, in place of the htmx-flask package)."""

import pytest
from flask import render_template_string, request


@pytest.mark.parametrize(("headers", "is_htmx", "boosted"), [
    ({}, False, False),
    ({"HX-Request": "true"}, True, False),
    ({"HX-Request": "TRUE "}, True, False),
    ({"HX-Request": "true", "HX-Boosted": "true"}, True, True),
    ({"HX-Request": "false"}, False, False),
    ({"HX-Request": "1"}, False, False),  # htmx sends "true"; nothing else counts
    ({"HX-Request": ""}, False, False),
    ({"HX-Boosted": "true"}, False, True),
])
def test_htmx_request_and_boosted_come_from_their_headers(app, headers, is_htmx, boosted):
    with app.test_request_context("/", headers=headers):
        assert bool(request.htmx) is is_htmx
        assert request.htmx.boosted is boosted


def test_the_named_headers_are_read_as_given_and_none_when_absent(app):
    headers = {"HX-Request": "true", "HX-Target": "cart", "HX-Trigger": "add-1",
               "HX-Trigger-Name": "quantity", "HX-Current-URL": "http://shop.test/cart",
               "HX-Prompt": "yes", "HX-History-Restore-Request": "true"}

    with app.test_request_context("/", headers=headers):
        seen = request.htmx
        assert (seen.target, seen.trigger, seen.trigger_name, seen.current_url, seen.prompt) == (
            "cart", "add-1", "quantity", "http://shop.test/cart", "yes")
        assert seen.history_restore_request is True
    with app.test_request_context("/"):
        seen = request.htmx
        assert (seen.target, seen.trigger, seen.trigger_name, seen.current_url, seen.prompt) == (
            None, None, None, None, None)
        assert seen.history_restore_request is False


def test_templates_see_request_htmx(app):
    template = "{{ 'fragment' if request.htmx else 'page' }}"

    with app.test_request_context("/", headers={"HX-Request": "true"}):
        assert render_template_string(template) == "fragment"
    with app.test_request_context("/"):
        assert render_template_string(template) == "page"


def test_an_htmx_request_gets_the_fragment_and_a_boosted_one_the_page(client):
    whole = client.get("/products").get_data(as_text=True)
    fragment = client.get("/products", headers={"HX-Request": "true"}).get_data(as_text=True)
    boosted = client.get("/products", headers={"HX-Request": "true", "HX-Boosted": "true"})

    assert "<html" in whole
    assert "<html" not in fragment
    assert "<html" in boosted.get_data(as_text=True)


def test_a_history_restore_asks_for_the_whole_page_not_a_fragment(client):
    import json
    import re

    page = client.get("/products").get_data(as_text=True)
    config = json.loads(re.search(r'name="htmx-config" content=\'([^\']*)\'', page).group(1))
    # What htmx sends for it then: no HX-Request, so the route answers the page.
    restored = client.get("/products", headers={"HX-History-Restore-Request": "true"})

    assert config["historyRestoreAsHxRequest"] is False
    assert "<html" in restored.get_data(as_text=True)
