"""Taking an erased customer's words out of the shop's replies to them.

Staff replies outlive the customer's erasure (they are the shop's record of what it told
someone about an order the law on accounts keeps), but a reply may carry the customer's
words: an e-mail style "> " quote, a sentence pasted back ("You wrote: ..."), the phone
number they gave, their name in the greeting. Each is replaced by a mark, so the reply still
reads as a reply and says nothing of the person.

Matching is by whole words, ignoring case and spacing, so a quote re-wrapped by the staff
member's editor is still found. What counts as the customer's: each clause of theirs of three
words or more, or holding a number ("Call 0771234567."), and any five words in a row of
theirs, so part of a long sentence quoted is found too. Shorter runs ("Thank you.") are
everyone's words, and removing them would only garble the shop's side. Numbers of seven
digits or more (phones, NICs, account numbers) are found however they are spaced, a Sri
Lankan mobile with or without +94 or the leading 0.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

MARK = "[…]"
MIN_WORDS = 3
RUN_WORDS = 5
MIN_NAME_PART = 3  # initials and particles ("A.", "de") are not a name on their own
MIN_DIGITS = 7  # shorter: quantities, years, order lines; not a number that identifies

_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+|\n")
_CLAUSE_BREAK = re.compile(r"(?<=[.!?,;:])\s+|\n")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_NUMBER = re.compile(r"\+?\d[\d ().-]{5,}\d")
_SEPARATOR = r"[\s().-]?"


def _phrase(words: list[str]) -> re.Pattern[str]:
    body = r"\s+".join(re.escape(word) for word in words)
    return re.compile(rf"(?<!\w){body}(?!\w)", re.IGNORECASE)


def _digits(digits: str) -> re.Pattern[str]:
    if len(digits) >= 9:
        # A Sri Lankan number is nine digits after the country code or the trunk 0; match
        # those nine with any prefix, so +94 77 123 4567 and 0771234567 are one number.
        prefix = rf"(?:(?:\+\s?)?94{_SEPARATOR}|0)?"
        digits = digits[-9:]
    else:
        prefix = ""
    return re.compile(rf"(?<![\d+]){prefix}{_SEPARATOR.join(digits)}(?!\d)")


def patterns_for(texts: Iterable[str | None], *,
                 names: Iterable[str | None] = ()) -> list[re.Pattern[str]]:
    """What to look for: the sentences, e-mail addresses and numbers of `texts` (the
    customer's messages and subjects, their e-mail and phone), and each part of `names`.
    Matches may overlap: the scrubber marks the stretch they cover together."""
    phrases: set[tuple[str, ...]] = set()
    numbers: set[str] = set()
    for text in filter(None, texts):
        phrases.update((email,) for email in _EMAIL.findall(text))
        for found in _NUMBER.findall(text):
            digits = re.sub(r"\D", "", found)
            if len(digits) >= MIN_DIGITS:
                numbers.add(digits)
        for clause in _CLAUSE_BREAK.split(text):
            words = clause.split()
            if len(words) >= MIN_WORDS or any(c.isdigit() for c in clause):
                phrases.add(tuple(words))
        for sentence in _SENTENCE_BREAK.split(text):
            words = sentence.split()
            phrases.update(tuple(words[i:i + RUN_WORDS])
                           for i in range(len(words) - RUN_WORDS + 1))
    for name in filter(None, names):
        phrases.add(tuple(name.split()))
        phrases.update((part,) for part in name.split() if len(part) >= MIN_NAME_PART)
    phrases.discard(())
    return ([_phrase(list(words)) for words in sorted(phrases)]
            + [_digits(digits) for digits in sorted(numbers)])


def scrubber(patterns: list[re.Pattern[str]]) -> Callable[[str], str]:
    """`scrub(body)`: the body with each quoted block, and each stretch the patterns cover,
    replaced by MARK; empty when nothing but marks and punctuation is left."""

    def scrub(body: str) -> str:
        lines: list[str] = []
        for line in body.splitlines():
            if line.lstrip().startswith(">"):
                if not lines or lines[-1] != MARK:  # one mark for a whole quoted block
                    lines.append(MARK)
            else:
                lines.append(line)
        text = "\n".join(lines)
        spans = sorted(match.span() for pattern in patterns for match in pattern.finditer(text))
        merged: list[list[int]] = []
        for start, end in spans:
            if merged and start <= merged[-1][1]:  # overlapping or touching: one stretch
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        for start, end in reversed(merged):
            text = text[:start] + MARK + text[end:]
        text = text.strip()
        return text if re.search(r"\w", text.replace(MARK, "")) else ""

    return scrub
