"""Taking an erased customer's words out of a staff reply: what is found (quotes, sentences
re-wrapped, part of a long sentence, numbers however spaced, e-mail, name) and what is left
alone (everyone's short phrases, the shop's own words). Pure functions: no database."""

from __future__ import annotations

import pytest

from app.support.redaction import MARK, patterns_for, scrubber

THEIRS = ("Please deliver after 5pm because I work at the Galle Face hotel until then. "
          "Call 0771234567 or write to nimal@example.lk. Thank you.")


def _scrub(reply: str, texts=(THEIRS,), names=("Nimal Perera",)) -> str:
    return scrubber(patterns_for(texts, names=names))(reply)


@pytest.mark.parametrize(("reply", "left"), [
    ("Noted.\n> Please deliver after 5pm\n> because I work\nDone.", f"Noted.\n{MARK}\nDone."),
    ("You wrote: please deliver after 5PM because I work at the Galle\nFace hotel until "
     "then. We will.", f"You wrote: {MARK} We will."),
    ("Sure, as I work at the Galle Face hotel we wait.", f"Sure, as {MARK} we wait."),
    ("We will ring +94 77 123 4567.", f"We will ring {MARK}."),
    ("We will ring 077-123-4567.", f"We will ring {MARK}."),
    ("Mail sent to NIMAL@example.lk today.", f"Mail sent to {MARK} today."),
    ("Dear Nimal, it ships today.", f"Dear {MARK}, it ships today."),
])
def test_the_customers_words_become_a_mark(reply, left):
    assert _scrub(reply) == left


@pytest.mark.parametrize("reply", [
    "Thank you. Your parcel ships today.",  # "Thank you." is everyone's
    "Order KD-2026-000123 ships in 5 days.",  # short numbers are not theirs
    "We deliver after 6pm on weekdays.",
    "Call us on 0112345678.",  # the shop's number, not theirs
])
def test_the_shops_own_words_stay(reply):
    assert _scrub(reply) == reply


def test_a_reply_that_was_only_their_words_is_left_empty():
    assert _scrub("> Call 0771234567\n\nCall 0771234567 or write to nimal@example.lk.") == ""


def test_with_nothing_of_theirs_nothing_changes():
    assert scrubber(patterns_for([None, ""], names=[None]))("Hello > there") == "Hello > there"
