"""The one masker (app.security.masking): personal data and tokens in an error or a log line
become marks; everything else in the line stays readable. The worker's logs and the staff
jobs page both use it."""

from __future__ import annotations

import logging
import sys

import pytest

from app.ops import jobs as ops_jobs
from app.security.masking import mask
from jobs.worker import RedactingFilter, redact


@pytest.mark.parametrize("text, masked", [
    # email addresses
    ("smtp: {'sarah@example.lk': (550, b'<sarah@example.lk> rejected')}",
     "smtp: {'[email]': (550, b'<[email]> rejected')}"),
    ("To: nimal.perera+shop@mail.example.co.uk", "To: [email]"),
    # Sri Lankan phone numbers, +94 and 07x forms, spaced or not
    ("to +94771234567 or 94771234567 or 077 123 4567 or 0771234567",
     "to [phone] or [phone] or [phone] or [phone]"),
    ("call +94 77 123 4567 / 077-123-4567 / 011 234 5678",
     "call [phone] / [phone] / [phone]"),
    # NIC numbers: old (9 digits and V or X) and new (12 digits)
    ("NIC 851234567V, 851234567x, 199012345678", "NIC [nic], [nic], [nic]"),
    # card-like runs of digits
    ("card 4111 1111 1111 1111 or 4111-1111-1111-1111 or 4111111111111111",
     "card [card] or [card] or [card]"),
    # tokens: named, bearer, and free-standing random runs
    ("GET /reset?token=AbC123xyz&next=/", "GET /reset?token=[token]&next=/"),
    ("GET /orders/KD-2026-000123?t=Zx9ab.Qr", "GET /orders/KD-2026-000123?t=[token]"),
    ("Authorization: Bearer abc.DEF.123456", "Authorization: Bearer [token]"),
    ('{"password": "hunter2", "api_key": "k-123"}',
     '{"password": "[token]", "api_key": "[token]"}'),
    ("sms link https://kade.lk/o/aZ3kP9qLm2XwT7vB4nR8sY1c sent",
     "sms link https://kade.lk/o/[token] sent"),
])
def test_personal_data_and_tokens_become_marks(text, masked):
    assert mask(text) == masked


@pytest.mark.parametrize("text", [
    "job 5f0d2c1e-0771-4a1b-9c3d-0771234567ab took 0.0771234567s",
    "RuntimeError: 550 mailbox full (order 42, 3 attempts)",
    "Order KD-2026-000123, SKU TEA-BOP-500G, Rs 1,250.00, 10000 units",
    "at 2026-12-06 06:39:33Z, request 3f9a0c1d2e3b4a5f6a7b8c9d0e1f2a3b",
    "redis at 10.0.0.5:6380 refused; smtp port 587; exit code: 1",
    'File "/work/main/app/notifications/services.py", line 120, in deliver_order_paid',
    "dedupe_key=order:KD-2026-000123:order_paid",
    "ඇණවුම KD-2026-000123 ගෙවා ඇත; ஆர்டர் 42 அனுப்பப்பட்டது",
    "SMTPRecipientsRefused ConnectionRefusedError TimeoutError",
])
def test_ordinary_text_stays_readable(text):
    assert mask(text) == text


@pytest.mark.parametrize("empty", [None, ""])
def test_nothing_masks_to_nothing(empty):
    assert mask(empty) == ""


def test_the_worker_and_the_jobs_page_mask_alike():
    text = "550 <sarah@example.lk> refused; call 0771234567; NIC 851234567V; t=Ab12Cd34"

    assert redact(text) == ops_jobs.mask(text) == mask(text)


def test_the_worker_masks_a_log_records_message_traceback_and_extras():
    try:
        raise RuntimeError("mailbox of sarah@example.lk is full")
    except RuntimeError:
        record = logging.LogRecord("kade", logging.ERROR, __file__, 1,
                                   "refused %s", ("+94771234567",), sys.exc_info())
    record.card = "4111 1111 1111 1111"

    RedactingFilter().filter(record)

    assert record.getMessage() == "refused [phone]"
    assert "[email]" in record.exception and "sarah@" not in record.exception
    assert record.card == "[card]"
