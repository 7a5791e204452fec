"""The unique-ids check every page the suite renders goes through (tests/html_checks.py): it
finds a repeated id however the attribute is written, and a quick look at the candidates
never hides one the full parse would find."""

from __future__ import annotations

import pytest

from tests.html_checks import _candidate_ids, _Ids, duplicate_ids


def _parsed_ids(html: str) -> list[str]:
    parser = _Ids()
    parser.feed(html)
    return parser.ids


REPEATED = [
    ('<p id="a"></p><p id="a"></p>', "a"),
    ("<p id='a'></p><p id=a></p>", "a"),
    ('<p ID="a"></p><p Id = "a"></p>', "a"),
    ('<p id=="a"></p><p/id="a"></p>', "a"),
    ('<p id="a&amp;b"></p><p id="a&b"></p>', "a&b"),  # equal once the references are read
    ('<p id="\u0dc3\u0dd2"></p><p\nid="\u0dc3\u0dd2"></p>', "\u0dc3\u0dd2"),
    # One attribute's value looks like the start of another: the real id is not hidden.
    ("<p title=' id=' id=\"a\"></p><p id=\"a\"></p>", "a"),
]
UNIQUE = [
    '<p id="a"></p><p id="b"></p><p data-id="a"></p><p aria-labelledby="a"></p>',
    '<p id="a"></p><script>document.write(\'<p id="a">\')</script>',
    '<p id="a"></p><!-- <p id="a"> -->',
    '<p id="a"></p><p title="id=a"></p>',
    '<p id="a"></p><p id=""></p><p id=""></p><p id></p><p id></p>',
]


@pytest.mark.parametrize(("html", "repeated"), REPEATED)
def test_a_repeated_id_is_found_however_it_is_written(html, repeated):
    assert duplicate_ids(html) == [repeated]


@pytest.mark.parametrize("html", UNIQUE)
def test_ids_that_do_not_repeat_pass(html):
    assert duplicate_ids(html) == []


@pytest.mark.parametrize("html", [html for html, _ in REPEATED] + UNIQUE)
def test_every_parsed_id_is_among_the_candidates(html):
    candidates = _candidate_ids(html)
    for id_ in _parsed_ids(html):
        assert candidates[id_] >= _parsed_ids(html).count(id_)
