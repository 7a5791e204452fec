"""A customer's notification choices on /account/notifications, and the one-click unsubscribe
link of marketing mail (RFC 8058): the page with its button, the mail client's POST, and
links that are not ours. And the SMS texts: one segment each in English."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import render_template
from flask_babel import force_locale
from sqlalchemy import select

from app.accounts import privacy
from app.links import external_url, serializer
from app.notifications import links, services as notifications
from app.notifications.models import OutboxMessage
from app.notifications.transports import sms_encoding, sms_segments
from app.orders.services import guest_token
from tests.factories import PASSWORD, make_customer

CHOICES = ("sms_updates", "marketing_email", "marketing_sms")
ONE_CLICK = {"List-Unsubscribe": "One-Click"}
OFFER = {"number": "KD-2026-000042", "name": "Nimal", "link": "http://x/o/42",
         "total_cents": 1250_00, "payment_method": "cod", "status": "shipped"}


def _ticked(html: str) -> set[str]:
    inputs = {name: re.search(rf'<input[^>]*name="{name}"[^>]*>', html) for name in CHOICES}
    return {name for name, found in inputs.items() if found and " checked" in found.group(0)}


def _choices(user_id: int) -> tuple[bool, bool, bool]:
    from app import db

    db.session.commit()  # a fresh snapshot: the request wrote from its own session
    prefs = notifications.preferences(user_id)
    return prefs.sms_updates, prefs.marketing_email, prefs.marketing_sms


def _opted_in(user_id: int) -> None:
    notifications.set_preferences(user_id, sms_updates=False, marketing_email=True,
                                  marketing_sms=True)


def _path(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


# ---- the choices page --------------------------------------------------------------------------

def test_the_page_needs_a_signed_in_customer(client, app_ctx):
    response = client.get("/account/notifications")

    assert response.status_code == 302
    assert "/account/login" in response.location


def test_the_defaults_are_sms_updates_on_and_no_offers(client, customer, login):
    login(customer)

    page = client.get("/account/notifications")

    assert page.status_code == 200
    assert _ticked(page.text) == {"sms_updates"}
    for label in ("Order updates by SMS", "Offers by email", "Offers by SMS"):
        assert label in page.text
    assert "We always email you about your orders and your account" in page.text


def test_choices_are_saved_and_shown_again(client, customer, login):
    login(customer)

    response = client.post("/account/notifications",
                           data={"marketing_email": "y", "marketing_sms": "y"})

    assert response.status_code == 303 and response.location == "/account/notifications"
    assert _choices(customer.id) == (False, True, True)
    page = client.get("/account/notifications").text
    assert _ticked(page) == {"marketing_email", "marketing_sms"}
    assert "Your choices are saved." in page


def test_a_form_without_its_csrf_token_changes_nothing(make_app, customer, login):
    app = make_app(WTF_CSRF_ENABLED=True)
    c = app.test_client()
    # Signing in needs the token too: take it from the form, as a browser does.
    html = c.get("/account/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    c.post("/account/login", data={"email": customer.email, "password": PASSWORD,
                                   "csrf_token": token})

    response = c.post("/account/notifications", data={"marketing_email": "y"})

    assert response.status_code == 400
    assert _choices(customer.id) == (True, False, False)


# ---- the unsubscribe link ----------------------------------------------------------------------

def test_the_link_is_absolute_and_leads_to_a_page_with_a_button(client, customer):
    _opted_in(customer.id)
    url = links.unsubscribe_url(customer.id)

    page = client.get(_path(url))

    assert url.startswith("http") and "/unsubscribe/" in url
    assert page.status_code == 200
    assert "Stop offers by email?" in page.text
    assert f'action="{_path(url)}"' in page.text
    assert _choices(customer.id) == (False, True, True)  # opening the link changes nothing


def test_the_button_stops_offers_by_email_only(client, customer):
    _opted_in(customer.id)

    response = client.post(_path(links.unsubscribe_url(customer.id)))

    assert response.status_code == 200
    assert "You will get no more offers by email" in response.text
    assert _choices(customer.id) == (False, False, True)


def test_the_mail_clients_one_click_post_needs_no_csrf_token(make_app, customer):
    _opted_in(customer.id)
    app = make_app(WTF_CSRF_ENABLED=True)

    response = app.test_client().post(_path(links.unsubscribe_url(customer.id)),
                                      data=ONE_CLICK)

    assert response.status_code == 200
    assert _choices(customer.id) == (False, False, True)


def test_unsubscribing_twice_is_fine(client, customer):
    url = _path(links.unsubscribe_url(customer.id))

    assert client.post(url).status_code == 200
    assert client.post(url, data=ONE_CLICK).status_code == 200
    assert _choices(customer.id) == (True, False, False)


@pytest.mark.parametrize("token", [
    "nonsense",
    "eyJ1IjoxfQ.aaaaaa.bbbbbbbbbbbbbbbbbbbbbbbbbbb",
    "x" * 500,
])
def test_a_link_that_is_not_ours_gets_a_friendly_404(client, customer, token):
    _opted_in(customer.id)

    page = client.get(f"/unsubscribe/{token}")
    posted = client.post(f"/unsubscribe/{token}", data=ONE_CLICK)

    assert page.status_code == 404 and posted.status_code == 404
    assert "This link does not work" in page.text
    assert _choices(customer.id) == (False, True, True)


def test_a_token_signed_for_something_else_is_refused(client, customer):
    _opted_in(customer.id)
    other = serializer("order").dumps({"u": customer.id})

    assert client.post(f"/unsubscribe/{other}").status_code == 404
    assert _choices(customer.id) == (False, True, True)


def test_the_link_of_an_erased_account_leads_nowhere(client, customer):
    url = _path(links.unsubscribe_url(customer.id))
    privacy.erase_account(customer.id, password=PASSWORD)

    assert client.get(url).status_code == 404
    assert client.post(url, data=ONE_CLICK).status_code == 404


# ---- the mail -----------------------------------------------------------------------------------

def test_marketing_mail_carries_the_link_in_its_headers_and_footer(app, db_session, outbox):
    customer = make_customer()
    notifications.set_preferences(customer.id, sms_updates=True, marketing_email=True,
                                  marketing_sms=False)
    url = links.unsubscribe_url(customer.id)

    notifications.queue_email("order_shipped", to=customer.email, user_id=customer.id,
                              dedupe_key="offer:test:1", purpose="marketing",
                              unsubscribe_url=url, **OFFER)
    db_session.commit()

    [mail] = outbox.to(customer.email, "offer")
    assert mail["List-Unsubscribe"] == f"<{url}>"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    html = mail.get_body(("html",)).get_content()
    assert f'href="{url}"' in html and "Unsubscribe from offers" in html
    # Recorded as sent, so the next sweep does not send it again.
    db_session.rollback()
    sent = db_session.scalar(select(OutboxMessage.status)
                             .where(OutboxMessage.dedupe_key == "offer:test:1"))
    assert sent == "sent"


def test_order_mail_has_no_unsubscribe_link(app, db_session, outbox):
    customer = make_customer()

    notifications.queue_email("order_shipped", to=customer.email, user_id=customer.id,
                              dedupe_key="order:test:1", **OFFER)
    db_session.commit()

    [mail] = outbox.to(customer.email, "order")
    assert mail["List-Unsubscribe"] is None
    html = mail.get_body(("html",)).get_content()
    assert "Unsubscribe" not in html and "because of your Kade account" in html


# ---- the SMS texts ------------------------------------------------------------------------------

SMS_TEMPLATES = sorted(p.name for p in (Path(__file__).parents[2] / "templates" / "sms")
                       .glob("*.txt"))


@pytest.mark.parametrize("template", SMS_TEMPLATES)
def test_each_sms_fits_one_gsm_segment_in_english(make_app, template):
    """With the longest parts an order has: a guest's tracking link with its token, and a
    total in the millions."""
    app = make_app(PUBLIC_URL="https://kade.lk")
    with app.app_context():
        number = "KD-2026-123456"
        link = external_url("orders.guest_detail", number=number, t=guest_token(number))
        # Messages about the account rather than an order link to the account's page.
        extra = {
            "credit_added.txt": {"amount_cents": 9_999_999_99, "balance_cents": 9_999_999_99,
                                 "link": external_url("wallet.credit_page")},
            "points_expiring.txt": {"points": 99_999, "date": "2026-12-31",
                                    "link": external_url("wallet.credit_page")},
            "personal_offer.txt": {
                "product": "Handloom bedsheet, king size, hand-dyed in Kandy (two pillow covers)",
                "code": "FOR-ABCDEFGH", "percent": None, "amount_cents": 9_999_999_99,
                "until": "2026-12-31"},
            "plan_update.txt": {"kind": "payment_failed", "amount_cents": 9_999_999_99,
                                "plan_names": {"en": "Kade Plus Family Yearly"},
                                "grace_until": "2026-12-31", "period_end": "2026-12-31",
                                "link": external_url("plans.my_plan")},
        }.get(template, {})
        with force_locale("en"):
            text = " ".join(render_template(f"sms/{template}", **{
                "number": number, "link": link, "total_cents": 9_999_999_99, "name": "Nimal",
                **extra}).split())

    assert sms_encoding(text) == "gsm7"
    assert sms_segments(text) == 1, (len(text), text)
