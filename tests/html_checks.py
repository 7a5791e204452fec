"""Checks every HTML answer the suite's test client receives must pass, whatever the test:
ids unique on the page (a label, aria-describedby or fragment link pointing at the first of
two equal ids reaches the wrong element)."""

from __future__ import annotations

import gzip
import re
from collections import Counter
from html import unescape
from html.parser import HTMLParser

import brotli


class _Ids(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name == "id" and value:
                self.ids.append(value)

    handle_startendtag = handle_starttag


# Every place an id attribute could start, as html.parser's attribute pattern reads one
# (after a quote, a space or a slash; `=` may repeat; quoted or bare value), searched by
# lookahead so that no match hides the next: a superset of the ids the parser finds, which
# also holds values in scripts, comments and other attributes.
_ID_CANDIDATE = re.compile(
    r"""(?<=['"\s/])(?=id\s*=+\s*(?:'([^']*)'|"([^"]*)"|(?!['"])([^>\s]*)))""", re.I)


def _candidate_ids(html: str) -> Counter:
    return Counter(unescape(v) for m in _ID_CANDIDATE.finditer(html) for v in m.groups() if v)


def duplicate_ids(html: str) -> list[str]:
    # The parser takes ~10% of a request's time in the suite; when no candidate repeats,
    # no real id can (fewer, and each among them), so most pages need no parsing.
    if all(n == 1 for n in _candidate_ids(html).values()):
        return []
    parser = _Ids()
    parser.feed(html)
    return sorted(id_ for id_, n in Counter(parser.ids).items() if n > 1)


def check_page(response, path: str) -> None:
    """Raise AssertionError for an HTML page whose ids repeat."""
    if response.mimetype != "text/html":
        return
    body = response.get_data()
    encoding = response.headers.get("Content-Encoding")
    if encoding == "gzip":
        body = gzip.decompress(body)
    elif encoding == "br":
        body = brotli.decompress(body)
    repeated = duplicate_ids(body.decode())
    assert not repeated, f"{path} repeats the ids {repeated}"
