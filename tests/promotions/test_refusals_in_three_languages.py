"""Every reason a code is refused, on the cart page and through the API, in English, Sinhala
and Tamil: the shopper reads why in their own language."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from flask_babel import force_locale, gettext

from app import db
from app.accounts.districts import district_name
from app.db import utcnow
from app.i18n import format_lkr
from app.promotions.engine import shown_time
from app.promotions.models import VoucherCode
from tests.api.helpers import bearer, sign_in
from tests.checkout.factories import customer_order, starter_delivery, stocked
from tests.factories import make_address, make_customer
from tests.promotions.factories import make_promotion

LANGUAGES = ["en", "si", "ta"]
REASONS = ["not_started", "ended", "minimum_spend", "district", "already_used",
           "first_order", "limit_reached"]
PRICE = 2_000_00


def arrange(reason: str, customer, rice):
    """Make the promotion behind code SAVE refused for `reason`; returns a function giving
    the refusal in a language (call it inside force_locale)."""
    now = utcnow()
    if reason == "not_started":
        starts = now + dt.timedelta(days=3)
        make_promotion("Sale", code="SAVE", starts_at=starts)
        return lambda locale: gettext("This offer starts on %(when)s.",
                                      when=shown_time(starts, locale))
    if reason == "ended":
        ended = now - dt.timedelta(days=3)
        make_promotion("Sale", code="SAVE", ends_at=ended)
        return lambda locale: gettext("This offer ended on %(when)s.",
                                      when=shown_time(ended, locale))
    if reason == "minimum_spend":
        make_promotion("Sale", code="SAVE", min_subtotal_cents=5_000_00)
        return lambda locale: gettext(
            "Spend %(missing)s more to use this offer (minimum spend %(least)s).",
            missing=format_lkr(3_000_00, locale), least=format_lkr(5_000_00, locale))
    if reason == "district":
        make_promotion("Sale", code="SAVE", districts=["colombo"])
        return lambda locale: gettext(
            "This offer is not for %(district)s. It applies in: %(districts)s.",
            district=district_name("galle", locale), districts=district_name("colombo", locale))
    if reason == "already_used":
        make_promotion("Sale", code="SAVE", code_uses=1)
        db.session.query(VoucherCode).update({"uses_count": 1})
        db.session.commit()
        return lambda locale: gettext("This code has already been used.")
    if reason == "first_order":
        customer_order(customer, (rice, 1))
        make_promotion("Sale", code="SAVE", first_order_only=True)
        return lambda locale: gettext("This offer is for a first order only.")
    make_promotion("Sale", code="SAVE", max_uses=5, uses_count=5)
    return lambda locale: gettext("This offer has reached its limit.")


@pytest.fixture()
def shop(db_session):
    starter_delivery()
    rice = stocked("Red rice", units=20, price_cents=PRICE)
    customer = make_customer()
    make_address(customer.id)  # Galle
    return rice, customer


def expected(message, locale: str) -> str:
    with force_locale(locale):
        text = message(locale)
    if locale != "en":
        with force_locale("en"):
            assert text != message("en"), f"no {locale} translation"
    return text


@pytest.mark.parametrize("locale", LANGUAGES)
@pytest.mark.parametrize("reason", REASONS)
def test_on_the_page(client, login, shop, reason, locale):
    rice, customer = shop
    message = arrange(reason, customer, rice)
    login(customer)
    client.post("/language", data={"language": locale, "next": "/"})
    client.post("/cart/items", data={"variant_id": rice.id, "quantity": 1})
    if reason == "district":
        # Known at checkout: the review step for the customer's Galle address says why.
        assert client.post("/cart/voucher", data={"code": "save"}).status_code == 303
        address = make_address(customer.id).id
        client.post("/checkout", data={"step": "address", "address_id": address})
        client.post("/checkout", data={"step": "delivery", "delivery_option": "island-wide"})
        client.post("/checkout", data={"step": "payment", "payment_method": "cod"})
        html = client.get("/checkout?step=review").get_data(as_text=True)
    else:
        answer = client.post("/cart/voucher", data={"code": "save"},
                             headers={"HX-Request": "true", "HX-Target": "cart"})
        assert answer.status_code == 422
        html = answer.get_data(as_text=True)
    assert expected(message, locale) in html


@pytest.mark.parametrize("locale", LANGUAGES)
@pytest.mark.parametrize("reason", REASONS)
def test_through_the_api(client, shop, reason, locale):
    rice, customer = shop
    message = arrange(reason, customer, rice)
    headers = {**bearer(sign_in(client, customer.email)["access_token"]),
               "Accept-Language": locale}
    client.post("/api/v1/cart/items", headers=headers, json={"variant_id": rice.id,
                                                             "quantity": 1})
    if reason == "district":
        assert client.put("/api/v1/cart/voucher", headers=headers,
                          json={"code": "save"}).status_code == 200
        answer = client.post("/api/v1/checkout", headers={
            **headers, "Idempotency-Key": str(uuid.uuid4())}, json={
            "address_id": make_address(customer.id).id, "delivery_option": "island-wide",
            "payment_method": "cod"})
        field = "voucher"
    else:
        answer = client.put("/api/v1/cart/voucher", headers=headers, json={"code": "save"})
        field = "code"
    assert answer.status_code == 422
    [error] = answer.get_json()["errors"]
    assert (error["field"], error["message"]) == (field, expected(message, locale))
