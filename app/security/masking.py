"""One masker for personal data and secrets in free text: log lines and the errors the worker
keeps, and the errors the staff jobs page shows. An SMTP server's refusal tends to quote the
recipient, a gateway's the number, a stack trace the URL with its token.

Each kind becomes a mark that says what was there ("[email]", "[phone]", "[nic]", "[card]",
"[token]"), so the error still reads as an error. Ordinary text stays as it was: order
numbers, SKUs, ids, amounts, dates, times, addresses of servers, Sinhala and Tamil words.
"""

from __future__ import annotations

import re

_EMAIL = re.compile(r"[\w.%+-]+@[\w-]+(?:\.[\w-]+)+")
# A card-like run: 13 to 19 digits, in groups or not (4111 1111 1111 1111).
_CARD = re.compile(r"(?<![\w+.-])\d(?:[ -]?\d){12,18}(?![\w.-])")
# National identity card numbers: the new 12 digits (year first), the old 9 digits and V or X.
_NIC_NEW = re.compile(r"(?<![\w+.-])(?:19|20)\d{10}(?![\w.-])")
_NIC_OLD = re.compile(r"(?<![\w+.-])\d{9}[VvXx](?!\w)")
# Sri Lankan numbers in any common form: +94 77 123 4567, 94771234567, 077-123-4567.
_PHONE = re.compile(r"(?<![\w+])(?:\+?94|0)(?:[\s-]?\d){9}(?!\w)")
# A secret named as one: token=…, "password": "…", Bearer … (the name stays, to read).
_NAMED_SECRET = re.compile(
    r"""(?ix)
    (?P<name>\b(?:(?:access|refresh|api|auth|csrf|client)_)?
              (?:token|t|key|secret|password|passwd|signature|sig|otp)
    (?:["']?\s*:\s*["']|=))
    (?P<value>[^\s&'",;}]+)""")
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[\w.~+/=-]{8,}")
# A free-standing random-looking run: long, with digits and both cases (URL-safe base64);
# words, module paths, hexadecimal request ids and order numbers are not that.
_RUN = re.compile(r"(?<![\w-])[A-Za-z0-9_-]{20,}(?![\w-])")


def _random_looking(match: re.Match[str]) -> str:
    run = match.group()
    looks_random = (any(c.isdigit() for c in run) and any(c.islower() for c in run)
                    and any(c.isupper() for c in run))
    return "[token]" if looks_random else run


def mask(text: str | None) -> str:
    """`text` with email addresses, phone numbers, NIC numbers, card numbers and tokens
    replaced by marks ("" for None)."""
    if not text:
        return ""
    text = _EMAIL.sub("[email]", text)
    text = _BEARER.sub(lambda m: f"{m.group(1)} [token]", text)
    text = _NAMED_SECRET.sub(lambda m: f"{m.group('name')}[token]", text)
    text = _CARD.sub("[card]", text)
    text = _NIC_NEW.sub("[nic]", text)
    text = _NIC_OLD.sub("[nic]", text)
    text = _PHONE.sub("[phone]", text)
    return _RUN.sub(_random_looking, text)
