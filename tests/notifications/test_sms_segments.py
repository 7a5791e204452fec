"""Every SMS fits in one or two segments in English, Sinhala and Tamil. A Sinhala or Tamil SMS
is UCS-2: 70 characters in one segment, 67 a part when split, so an order SMS carries the
short order link (/o/<code>), never the full one with its signed token."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from flask import render_template
from flask_babel import force_locale

from app.links import external_url
from app.notifications.transports import sms_encoding, sms_segments
from app.orders.services import guest_token
from app.orders.short_links import short_link

SMS_TEMPLATES = sorted(p.name for p in (Path(__file__).parents[2] / "templates" / "sms")
                       .glob("*.txt"))
# The longest of each part a real message can have: a long shop address, the biggest order
# number and id, a total in the millions.
PUBLIC_URL = "https://www.kadeshop.lk"
NUMBER = "KD-2026-999999"
BIG = 1_234_567_00
PRODUCT_NAMES = {"en": "Handloom bedsheet, king size, hand-dyed in Kandy (two pillow covers)",
                 "si": "අත්යන්ත්‍ර ඇඳ ඇතිරිල්ල, මහනුවර අතින් සායම් කළ, කොට්ට උර දෙකක් සමඟ",
                 "ta": "கைத்தறி படுக்கை விரிப்பு, கண்டியில் கையால் சாயமிடப்பட்டது"}


def _worst_case_data() -> dict:
    order = SimpleNamespace(id=2**31 - 1, link_version=99, number=NUMBER)
    return {"number": NUMBER, "name": "Tharindu Wickramasinghe",
            "link": external_url("orders.guest_detail", number=NUMBER, t=guest_token(NUMBER)),
            "short_link": short_link(order), "total_cents": BIG, "amount_cents": BIG,
            "refunded_cents": BIG, "status": "processing", "payment_method": "bank_transfer",
            "account": False, "fully": False, "manual": False, "can_upload": True,
            "reason": "The amount on the slip does not match the order total.",
            "expires": "2026-12-31 23:59", "balance_cents": BIG, "points": 99_999,
            "date": "2026-12-31", "kind": "payment_failed", "period_end": "2026-12-31",
            "grace_until": "2026-12-31",
            "plan_names": {"en": "Kade Plus Family Yearly", "si": "කඩේ ප්ලස් පවුල් වාර්ෂික",
                           "ta": "கடை பிளஸ் குடும்ப ஆண்டு"}}


def _rendered(template: str, language: str, data: dict) -> str:
    with force_locale(language):
        text = render_template(f"sms/{template}", **data)
    return " ".join(text.split())  # as the sender sends it (app/notifications/services.py)


@pytest.mark.parametrize("language", ["en", "si", "ta"])
@pytest.mark.parametrize("template", SMS_TEMPLATES)
def test_each_sms_fits_two_segments_in_every_language(make_app, template, language):
    app = make_app(PUBLIC_URL=PUBLIC_URL)
    with app.app_context(), app.test_request_context(base_url=PUBLIC_URL):
        data = _worst_case_data()
        if template == "support_reply.txt":
            data["number"] = "2147483647"
            data["link"] = external_url("support.ticket_detail", ticket_id=2**31 - 1)
        if template in ("credit_added.txt", "points_expiring.txt"):
            data["link"] = external_url("wallet.credit_page")  # the account's page
        if template == "plan_update.txt":
            data["link"] = external_url("plans.my_plan")
        if template == "personal_offer.txt":  # a long product name, a voucher code
            data.update(product=PRODUCT_NAMES[language], code="FOR-ABCDEFGH", percent=None,
                        until="2026-12-31")
        text = _rendered(template, language, data)

    assert sms_encoding(text) == ("gsm7" if language == "en" else "unicode"), text
    assert sms_segments(text) <= 2, (sms_segments(text), len(text), text)
    assert "?t=" not in text  # an order link in an SMS is the short one


def test_the_short_link_is_what_keeps_a_sinhala_order_sms_in_two_segments(make_app):
    """The same SMS with the full link would cost more: the measure is not idle."""
    app = make_app(PUBLIC_URL=PUBLIC_URL)
    with app.app_context(), app.test_request_context(base_url=PUBLIC_URL):
        data = _worst_case_data()
        short = _rendered("order_placed.txt", "si", data)
        full = _rendered("order_placed.txt", "si", {**data, "short_link": data["link"]})

    assert sms_segments(short) <= 2 < sms_segments(full)


@pytest.mark.parametrize(("text", "segments"), [
    ("a" * 160, 1), ("a" * 161, 2), ("a" * 306, 2), ("a" * 307, 3),
    ("€" * 80, 1), ("€" * 81, 2),                      # two septets each
    ("ක" * 70, 1), ("ක" * 71, 2), ("ක" * 134, 2), ("ක" * 135, 3),
    ("ශ්‍රී" * 14, 1), ("ශ්‍රී" * 14 + "ක", 2),        # the virama and ZWJ count too
    ("😀" * 35, 1), ("😀" * 36, 2),                     # beyond the BMP: two units each
])
def test_segments_are_counted_by_gsm7_and_ucs2_rules(text, segments):
    assert sms_segments(text) == segments
