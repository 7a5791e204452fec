"""An order's options and delivery name through the API, in the language of Accept-Language
(a product's options: tests/catalog/test_translated_options.py)."""

from __future__ import annotations

from tests.catalog.test_translated_options import _tea
from tests.checkout.factories import customer_order


def test_the_api_gives_an_order_s_options_and_delivery_in_the_accept_language(
        client, db_session, auth_headers, customer):

    _product, small, _big = _tea()
    number = customer_order(customer, (small, 1)).number

    tamil = client.get(f"/api/v1/orders/{number}",
                       headers={**auth_headers, "Accept-Language": "ta"}).get_json()
    english = client.get(f"/api/v1/orders/{number}", headers=auth_headers).get_json()

    assert tamil["lines"][0]["options"] == "பொதி: 250 கிராம்"
    assert tamil["delivery"]["name"] == "தீவு முழுவதும் சாதாரண"
    assert english["lines"][0]["options"] == "pack: 250 g"
    assert english["delivery"]["name"] == "Island-wide standard"


