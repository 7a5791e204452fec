"""Reading catalog pages in tests as a shopper sees them: the text of elements by class or
id, links by rel, attributes by selector. Standard library only (html.parser)."""

from __future__ import annotations

from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}


class _Collector(HTMLParser):
    def __init__(self, match):
        super().__init__(convert_charrefs=True)
        self.match = match
        self.found: list[dict] = []  # {"attrs": {...}, "text": str}
        self.open: list[tuple[str, dict | None]] = []  # (tag, record being filled or None)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        record = None
        if self.match(tag, attrs):
            record = {"tag": tag, "attrs": attrs, "text": ""}
            self.found.append(record)
        if tag not in VOID:
            self.open.append((tag, record))

    def handle_startendtag(self, tag, attrs):
        attrs = dict(attrs)
        if self.match(tag, attrs):
            self.found.append({"tag": tag, "attrs": attrs, "text": ""})

    def handle_endtag(self, tag):
        for i in range(len(self.open) - 1, -1, -1):
            if self.open[i][0] == tag:
                del self.open[i:]
                break

    def handle_data(self, data):
        for _tag, record in self.open:
            if record is not None:
                record["text"] += data


def find(html: str, /, *, cls: str | None = None, id: str | None = None, tag: str | None = None,
         **attrs) -> list[dict]:
    """Elements with that class (one of theirs), id, tag and attribute values."""

    def match(t, a):
        if tag and t != tag:
            return False
        if cls and cls not in (a.get("class") or "").split():
            return False
        if id and a.get("id") != id:
            return False
        return all(a.get(k.replace("_", "-")) == v for k, v in attrs.items())

    collector = _Collector(match)
    collector.feed(html)
    return collector.found


def texts(html: str, /, **query) -> list[str]:
    """The whitespace-normalised text of each matching element, in document order."""
    return [" ".join(e["text"].split()) for e in find(html, **query)]


def text(html: str, /, **query) -> str:
    found = texts(html, **query)
    assert len(found) == 1, f"expected one element for {query}, found {len(found)}"
    return found[0]


def attr(html: str, attribute: str, /, **query) -> str | None:
    """The value of `attribute` on the one element matching the query."""
    found = find(html, **query)
    assert len(found) == 1, f"expected one element for {query}, found {len(found)}"
    return found[0]["attrs"].get(attribute)
