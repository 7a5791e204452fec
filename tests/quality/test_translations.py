"""The catalogs' strings format as the pages format them: a template's _() always runs its
string through %-formatting (app/i18n.py), so a bare "%" there is a 500 page in every
language; and a translation must carry the same placeholders as its English, or the page
breaks (or loses the amount) in that language only."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOGS = sorted((ROOT / "app" / "translations").glob("*/LC_MESSAGES/messages.po"))
PLACEHOLDER = re.compile(r"%\((\w+)\)[-+ #0]*\d*[sdif]")


class _Anything(dict):
    def __missing__(self, key):
        return 0  # formats as %s, %d and %+d alike


def _messages(path: Path):
    with path.open("rb") as po:
        for message in read_po(po):
            if message.id:
                ids = message.id if isinstance(message.id, tuple) else (message.id,)
                strings = (message.string if isinstance(message.string, tuple)
                           else (message.string,))
                yield message, ids, [s for s in strings if s]


def _formats(text: str) -> bool:
    try:
        text % _Anything()
    except (TypeError, ValueError, KeyError):
        return False
    return True


@pytest.mark.parametrize("path", CATALOGS, ids=lambda p: p.parts[-3])
def test_template_strings_and_their_translations_are_format_strings(path):
    broken = []
    for message, ids, strings in _messages(path):
        if any(where.startswith("templates/") for where, _line in message.locations):
            broken += [text for text in (*ids, *strings) if not _formats(text)]
    assert broken == [], "a bare % in a template string: write %% for a percent sign"


@pytest.mark.parametrize("path", CATALOGS, ids=lambda p: p.parts[-3])
def test_translations_carry_the_placeholders_of_their_english(path):
    wrong = []
    for _message, ids, strings in _messages(path):
        wanted = {frozenset(PLACEHOLDER.findall(i)) for i in ids}
        wrong += [(ids[0], s) for s in strings
                  if frozenset(PLACEHOLDER.findall(s)) not in wanted]
    assert wrong == []
