"""Read the mails the live server wrote to its outbox folder."""

from __future__ import annotations

import email
import email.policy
import re
import time
from pathlib import Path


def wait_for_mail(outbox: Path, to: str, kind: str, timeout: float = 10.0):
    """The newest mail of `kind` to `to`: a dedupe-key prefix (verify, reset …) or a whole
    dedupe key (order:KD-2026-000001:order_shipped)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = []
        for path in sorted(outbox.glob("*.eml"), key=lambda p: p.stat().st_mtime):
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            key = message["X-Kade-Dedupe-Key"]
            if message["To"] == to and (key == kind or key.startswith(kind + ":")):
                found.append(message)
        if found:
            return found[-1]
        time.sleep(0.2)
    raise AssertionError(f"no {kind} mail to {to} within {timeout}s")


def first_link(message) -> str:
    text = message.get_body(("plain",)).get_content()
    match = re.search(r"https?://\S+", text)
    assert match, "mail without a link"
    return match.group(0)
