"""Product pages say how long delivery takes and whether cash on delivery is available,
from the delivery options and the cash-on-delivery limits; a service's page says neither.
The facts cost no query per page once kept (production), and at most two when not."""

from __future__ import annotations

import pytest

from app.checkout import delivery
from app.payments import settings as payment_settings
from tests.catalog.factories import make_product
from tests.checkout.factories import starter_delivery
from tests.statements import statements_sent


@pytest.fixture()
def tea(db_session):
    starter_delivery()
    return make_product("Ceylon tea", price_cents=1_250_00)


def _promise(html: str) -> str:
    start = html.find('class="product-promise"')
    return html[start:html.index("</ul>", start)] if start >= 0 else ""


def test_a_product_says_delivery_days_and_cash_on_delivery(client, tea):
    promise = _promise(client.get(f"/p/{tea.slug}").text)

    assert "Delivery in 2–4 days · same day in Colombo" in promise
    assert "Cash on delivery available" in promise
    assert 'href="/delivery-and-returns"' in promise


def test_in_sinhala_too(client, tea):
    client.post("/language", data={"language": "si", "next": "/"})

    promise = _promise(client.get(f"/p/{tea.slug}").text)

    assert "2–4" in promise and "කොළඹ" in promise  # Colombo, in Sinhala


def test_cash_on_delivery_is_not_promised_above_its_limit(client, tea):
    payment_settings.save_cod_limits(1_000_00, None)

    promise = _promise(client.get(f"/p/{tea.slug}").text)

    assert "Delivery in 2–4 days" in promise and "Cash on delivery" not in promise


def test_cash_on_delivery_in_some_districts_says_so(client, tea):
    payment_settings.save_cod_limits(None, ["colombo", "gampaha"])

    assert "Cash on delivery in some districts" in _promise(client.get(f"/p/{tea.slug}").text)


def test_a_service_promises_no_delivery(client, db_session):
    starter_delivery()
    cleaning = make_product("Home cleaning", kind="service")

    html = client.get(f"/p/{cleaning.slug}").text

    assert _promise(html) == "" and "Cash on delivery" not in html


def test_with_only_collection_nothing_is_promised(client, db_session):
    delivery.save_option(delivery.DeliveryOptionInput(
        code="pickup", name_en="Collect", fee_cents=0, is_pickup=True))
    tea = make_product("Ceylon tea")

    assert _promise(client.get(f"/p/{tea.slug}").text) == ""


def test_once_kept_the_facts_cost_no_query(make_app, tea, customer, login):
    """Production keeps them (PAGE_CACHE_SECONDS, and REFERENCE_CACHE_SECONDS for the shop's
    reference data): a signed-in shopper's product page, which the page cache does not keep,
    reads neither the delivery options, the cash-on-delivery limits nor the shop's details
    for its footer."""
    app = make_app(PAGE_CACHE_SECONDS=10, REFERENCE_CACHE_SECONDS=10)
    shopper = app.test_client()
    login(customer, c=shopper)
    shopper.get(f"/p/{tea.slug}")  # kept now

    with statements_sent(app) as statements:
        html = shopper.get(f"/p/{tea.slug}").text

    assert "Delivery in 2–4 days" in html and "wa.me" not in html
    read = " ".join(statements)
    for table in ("checkout_delivery_option", "payments_settings", "content_shop_details"):
        assert table not in read, table


def test_a_new_cash_on_delivery_limit_shows_at_once_where_the_promise_is_kept(make_app, tea):
    """Kept as reference data (REFERENCE_CACHE_SECONDS), the promise is forgotten by a save
    of the limits: the process that saved shows the new ones on its next page."""
    app = make_app(REFERENCE_CACHE_SECONDS=300)
    shopper = app.test_client()
    assert "Cash on delivery available" in _promise(shopper.get(f"/p/{tea.slug}").text)

    with app.app_context():
        payment_settings.save_cod_limits(1_000_00, None)  # under the tea's Rs. 1,250

    assert "Cash on delivery" not in _promise(shopper.get(f"/p/{tea.slug}").text)
