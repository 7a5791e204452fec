"""A small shop of hand-priced orders around Colombo midnights, for the report tests.

    A  2 Mar 00:15 Colombo (1 Mar 18:45 UTC), cash on delivery to Galle, collected:
       tea × 2 at Rs 1,250 and soap × 1 at Rs 280 = gross Rs 2,780; 10 % off every line
       (Rs 278) and Rs 100 off the order: discounts Rs 378; delivery Rs 350; total Rs 2,752.
       Refunded Rs 1,000 for one tea on 3 Mar (09:30 Colombo).
    B  1 Mar 23:50 Colombo (18:20 UTC), bank transfer to Colombo, paid: soap × 3 = gross
       Rs 840; discounts Rs 84 + Rs 100; delivery Rs 350; total Rs 1,006.
    C  a bank transfer not paid (2 Mar) and D a cash order cancelled unpaid (2 Mar): no sales.
"""

from __future__ import annotations

import datetime as dt

import pytest

from app.orders import services as orders
from app.payments import services as payments
from tests.backoffice.conftest import sign_in_staff  # noqa: F401  (a fixture)
from tests.catalog.factories import make_category
from tests.checkout.factories import place_guest_order, stocked
from tests.promotions.factories import make_promotion
from tests.reports.factories import COLOMBO_ADDRESS, at, cod_sale, refunded, transfer_paid

UTC = dt.UTC
TEA, SOAP = 1_250_00, 280_00


class Shop:
    def __init__(self):
        make_category("tea", name="Tea")
        self.tea = stocked("Ceylon tea", units=20, price_cents=TEA, sku="TEA-1",
                           category="tea", name_si="ලංකා තේ")
        self.soap = stocked("Herbal soap", units=20, price_cents=SOAP, sku="SOAP-1")
        make_promotion("Ten off everything", benefit="line_percent", percent=10)
        make_promotion("Rs 100 off", benefit="order_fixed", amount_cents=100_00)
        self.a = cod_sale((self.tea, 2), (self.soap, 1),
                          when=dt.datetime(2026, 3, 1, 18, 45, tzinfo=UTC))
        payments.mark_collected(self.a.number, self.a.total_cents)
        tea_line = next(line for line in orders.find_by_number(self.a.number).lines
                        if line.sku == "TEA-1")
        self.refund = refunded(self.a, 1_000_00, lines={tea_line.id: 1},
                               when=dt.datetime(2026, 3, 3, 4, 0, tzinfo=UTC))
        self.b = transfer_paid((self.soap, 3), address=COLOMBO_ADDRESS,
                               when=dt.datetime(2026, 3, 1, 18, 20, tzinfo=UTC))
        self.c = at(place_guest_order((self.tea, 1), payment_method="bank_transfer"),
                    dt.datetime(2026, 3, 2, 6, 0, tzinfo=UTC))
        self.d = cod_sale((self.tea, 1), when=dt.datetime(2026, 3, 2, 7, 0, tzinfo=UTC))
        orders.change_status(self.d.number, "cancelled")


@pytest.fixture()
def shop(db_session):
    return Shop()
