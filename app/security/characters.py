"""The characters no text Kade takes in may hold: one definition, used by the request guard
(paths and queries), the web forms, the API's schemas and the catalog's inputs.

- Control characters (Unicode category Cc: C0, DEL, C1): no one types them, PostgreSQL cannot
  store NUL at all, and the others garble mail, SMS, PDFs and CSV files. Tab and line breaks
  are fine where text may span lines (a message, a description), nowhere else.
- Lone surrogates (Cs): they cannot be encoded, so they cannot be stored or sent.
- Bidirectional overrides, embeddings, isolates and marks: they make a name or an address
  read differently from what it holds ("Trojan Source"), in the back office, on a packing slip
  or in a mail. Sinhala and Tamil never need them. The zero-width joiner and non-joiner stay
  allowed: Sinhala needs them (ශ්‍රී).
"""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l

# ALM, LRM, RLM, LRE, RLE, PDF, LRO, RLO, LRI, RLI, FSI, PDI.
BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_C0_BUT_LINE_BREAKS = r"\x00-\x08\x0b\x0c\x0e-\x1f"
_DEL_AND_C1 = r"\x7f-\x9f"
_SURROGATES = r"\ud800-\udfff"
_BIDI_CLASS = re.escape(BIDI_CONTROLS)

# What a request's path and query may not hold (the request guard): the controls. Bidi
# characters there are not refused: a path or a search holding one finds nothing, harmlessly.
URL_CONTROLS = re.compile(f"[{_C0_BUT_LINE_BREAKS}{_DEL_AND_C1}]")
# Text over several lines (a message, a description) may hold tabs and line breaks; one line
# (a name, an address line, a phone) may not.
FORBIDDEN_IN_TEXT = re.compile(
    f"[{_C0_BUT_LINE_BREAKS}{_DEL_AND_C1}{_SURROGATES}{_BIDI_CLASS}]")
FORBIDDEN_IN_LINE = re.compile(
    f"[\\t\\n\\r{_C0_BUT_LINE_BREAKS}{_DEL_AND_C1}{_SURROGATES}{_BIDI_CLASS}]")

# The same rule for documents (the OpenAPI patterns: ECMA-262 syntax, which Python's re reads
# too): a one-line text holds none of these; text over several lines none but its breaks.
_BIDI_ESCAPED = "".join(f"\\u{ord(char):04x}" for char in BIDI_CONTROLS)
PATTERN_CLASS = r"\x00-\x1f\x7f-\x9f" + _BIDI_ESCAPED
MULTILINE_PATTERN_CLASS = _C0_BUT_LINE_BREAKS + _DEL_AND_C1 + _BIDI_ESCAPED

MESSAGE = _l("Remove the invisible control characters.")


def has_forbidden_characters(value: str | None, *, multiline: bool = False) -> bool:
    """True when `value` holds a character no text may hold; with `multiline`, tabs and
    line breaks are allowed."""
    if not value:
        return False
    return (FORBIDDEN_IN_TEXT if multiline else FORBIDDEN_IN_LINE).search(value) is not None


def has_url_controls(value: str) -> bool:
    return URL_CONTROLS.search(value) is not None
