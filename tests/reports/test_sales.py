"""Sales figures against the hand-computed shop of conftest.py: each order on its Colombo
day whatever the server's or the database session's zone, in its district and payment
method, and net = gross − discounts − refunds on every row."""

from __future__ import annotations

import datetime as dt
import os
import time

import pytest
from sqlalchemy import text

from app.reports.database import reading
from app.reports.days import Period
from app.reports.sales import REFUND_ONLY, sales, share_out

MARCH = Period(dt.date(2026, 3, 1), dt.date(2026, 3, 3))


def figures(row):
    return {"orders": row.orders, "gross": row.gross_cents, "discounts": row.discount_cents,
            "refunds": row.refund_cents, "net": row.net_cents,
            "delivery": row.delivery_cents, "total": row.total_cents}


def report(**kwargs):
    with reading() as reads:
        return sales(reads, MARCH, **{"locale": "en", **kwargs})


@pytest.fixture()
def far_from_colombo():
    """The server's own zone far from Colombo (New York): days must not follow it."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "America/New_York"
    time.tzset()
    yield
    if before is None:
        os.environ.pop("TZ")
    else:
        os.environ["TZ"] = before
    time.tzset()


def test_each_order_lands_on_its_colombo_day_with_refunds_on_theirs(shop, far_from_colombo):
    days = {row.key: figures(row) for row in report().rows}

    assert days == {
        "2026-03-01": {"orders": 1, "gross": 840_00, "discounts": 184_00, "refunds": 0,
                       "net": 656_00, "delivery": 350_00, "total": 1_006_00},
        "2026-03-02": {"orders": 1, "gross": 2_780_00, "discounts": 378_00, "refunds": 0,
                       "net": 2_402_00, "delivery": 350_00, "total": 2_752_00},
        "2026-03-03": {"orders": 0, "gross": 0, "discounts": 0, "refunds": 1_000_00,
                       "net": -1_000_00, "delivery": 0, "total": -1_000_00},
    }


def test_the_database_sessions_zone_does_not_move_a_day(shop, backend):
    with reading() as reads:
        if backend == "postgresql":
            reads.execute(text("SET TIME ZONE 'America/Los_Angeles'"))
        rows = sales(reads, MARCH, locale="en").rows
    assert [(row.key, row.orders) for row in rows] == [
        ("2026-03-01", 1), ("2026-03-02", 1), ("2026-03-03", 0)]


def test_a_period_ends_at_colombo_midnight(shop):
    with reading() as reads:
        first_day = sales(reads, Period(dt.date(2026, 3, 1), dt.date(2026, 3, 1)))
    # B at 23:50 Colombo is in; A at 00:15 the next morning (still 1 March in UTC) is not.
    assert (first_day.total.orders, first_day.total.gross_cents) == (1, 840_00)


def test_the_totals_add_up_and_carry_the_vat_inside_them(shop, app):
    app.config["SHOP_VAT_NUMBER"] = "123456789-7000"
    try:
        total = report().total
    finally:
        app.config["SHOP_VAT_NUMBER"] = None

    assert figures(total) == {"orders": 2, "gross": 3_620_00, "discounts": 562_00,
                              "refunds": 1_000_00, "net": 2_058_00, "delivery": 700_00,
                              "total": 2_758_00}
    # 18 % included: Rs 2,758.00 × 18 / 118 = Rs 420.71.
    assert total.vat_cents == 420_71
    assert total.average_order_cents == (3_620_00 - 562_00 + 700_00) // 2


def test_no_vat_is_shown_when_the_shop_is_not_registered(shop):
    assert report().total.vat_cents is None


def test_by_district_and_by_payment_method(shop):
    districts = {row.key: figures(row) for row in report(dimension="district").rows}
    methods = {row.key: figures(row) for row in report(dimension="payment_method").rows}

    galle = {"orders": 1, "gross": 2_780_00, "discounts": 378_00, "refunds": 1_000_00,
             "net": 1_402_00, "delivery": 350_00, "total": 1_752_00}
    colombo = {"orders": 1, "gross": 840_00, "discounts": 184_00, "refunds": 0,
               "net": 656_00, "delivery": 350_00, "total": 1_006_00}
    assert districts == {"galle": galle, "colombo": colombo}
    assert methods == {"cod": galle, "bank_transfer": colombo}
    assert [row.label for row in report(dimension="district").rows] == ["Galle", "Colombo"]
    assert [row.label for row in report(dimension="payment_method").rows] == [
        "Cash on delivery", "Bank transfer"]


def test_by_week_and_by_month(shop):
    weeks = report(grouping="week").rows
    # Sunday 1 March is in the week of Monday 23 February; 2 and 3 March in the next.
    assert [(row.key, row.orders, row.total_cents) for row in weeks] == [
        ("2026-02-23", 1, 1_006_00), ("2026-03-02", 1, 1_752_00)]
    assert weeks[0].label == "Week of 23 Feb 2026"
    (month,) = report(grouping="month").rows
    assert (month.key, month.label, month.total_cents) == ("2026-03-01", "March 2026",
                                                           2_758_00)


def test_by_product_shares_the_order_discount_and_the_refund_to_the_cent(shop):
    by_product = report(dimension="product")
    rows = {row.label: row for row in by_product.rows}

    tea, soap = rows["Ceylon tea"], rows["Herbal soap"]
    # A's Rs 100 off is shared by the lines' value after their own discount (Rs 2,250 and
    # Rs 252): Rs 89.93 and Rs 10.07.
    assert (tea.units, tea.orders, tea.gross_cents, tea.discount_cents, tea.refund_cents,
            tea.net_cents) == (2, 1, 2_500_00, 250_00 + 89_93, 1_000_00, 1_160_07)
    assert (soap.units, soap.orders, soap.gross_cents, soap.discount_cents,
            soap.refund_cents, soap.net_cents) == (4, 2, 1_120_00, 38_07 + 184_00, 0, 897_93)
    assert tea.net_cents + soap.net_cents == report().total.net_cents
    assert by_product.total.orders == 2  # an order with both products counts once
    assert [row.label for row in report(dimension="product", locale="si").rows][0] == "ලංකා තේ"


def test_by_category_puts_unfiled_products_in_no_category(shop):
    rows = {row.label: row.net_cents for row in report(dimension="category").rows}
    assert rows == {"Tea": 1_160_07, "No category": 897_93}


def test_a_refund_of_money_alone_is_a_row_of_its_own(shop):
    from tests.reports.factories import refunded

    refunded(shop.b, 50_00, when=dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC))
    rows = report(dimension="product").rows
    assert (rows[-1].key, rows[-1].refund_cents, rows[-1].net_cents) == (
        REFUND_ONLY, 50_00, -50_00)
    assert sum(row.net_cents for row in rows) == report().total.net_cents


def test_unknown_choices_are_refused():
    with pytest.raises(ValueError):
        sales(None, MARCH, dimension="colour")
    with pytest.raises(ValueError):
        sales(None, MARCH, grouping="fortnight")


@pytest.mark.parametrize(("amount", "weights", "parts"), [
    (100_00, [2_250_00, 252_00], [89_93, 10_07]),
    (1, [1, 1, 1], [1, 0, 0]),
    (10, [0, 0], [5, 5]),
    (0, [5, 7], [0, 0]),
    (7, [], []),
])
def test_share_out_adds_up_to_the_amount(amount, weights, parts):
    assert share_out(amount, weights) == parts
    assert sum(share_out(amount, weights)) == (amount if weights else 0)
