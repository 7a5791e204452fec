"""Promotions, customers, the funnel and VAT against the hand-computed shop of conftest.py,
and their pages and CSV files."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest

from app.reports.customers import customers_report
from app.reports.database import reading
from app.reports.days import Period
from app.reports.funnel import funnel_report
from app.reports.promotions import promotions_report
from app.reports.vat import month_of, vat_report
from tests.factories import make_staff

MARCH = Period(dt.date(2026, 3, 1), dt.date(2026, 3, 3))


def read(report, period=MARCH):
    with reading() as reads:
        return report(reads, period, locale="en")


def test_promotions_give_their_discount_and_the_revenue_of_their_orders(shop):
    table = read(promotions_report)
    rows = {row["promotion"]: row for row in table.rows}

    # A and B used both; C (unpaid) and D (cancelled) are no sales.
    assert {name: (r["orders"], r["voucher_orders"], r["discount"], r["revenue"])
            for name, r in rows.items()} == {
        "Ten off everything": (2, 0, 278_00 + 84_00, 2_752_00 + 1_006_00),
        "Rs 100 off": (2, 0, 200_00, 2_752_00 + 1_006_00)}
    assert (table.total["orders"], table.total["discount"]) == (2, 562_00)


def test_new_and_returning_customers_and_their_cohort(shop):
    table = read(customers_report)
    summary = {str(label): value for label, value, _kind in table.summary}

    # Every guest order of the fixture gave the same phone number: one customer, whose
    # first sale (B, 1 March) is in the period, with two sales.
    assert summary == {"New customers": 1, "Returning customers": 0,
                       "Sales to new customers": 3_758_00, "Sales to returning customers": 0}
    (march,) = table.rows
    assert (march["cohort"], march["customers"], march["returned"], march["repeat_rate"],
            march["orders"], march["orders_per_customer"]) == (
        "March 2026", 1, 1, Decimal("100.0"), 2, Decimal("2.00"))


def test_a_customer_who_bought_before_the_period_is_returning(shop):
    later = Period(dt.date(2026, 3, 2), dt.date(2026, 3, 3))
    summary = {str(label): value for label, value, _kind in read(customers_report, later).summary}
    assert (summary["New customers"], summary["Returning customers"]) == (0, 1)
    assert summary["Sales to returning customers"] == 2_752_00


def test_the_vat_return_of_a_month(shop, app):
    app.config["SHOP_VAT_NUMBER"] = "123456789-7000"
    try:
        table = read(vat_report, month_of(dt.date(2026, 3, 15)))
    finally:
        app.config["SHOP_VAT_NUMBER"] = None
    summary = {str(label): value for label, value, _kind in table.summary}

    assert summary == {"Supplies, VAT included": 2_758_00, "VAT (output tax)": 420_71,
                       "Supplies without VAT": 2_337_29, "Exempt supplies": 0}
    assert [row["key"] for row in table.rows] == ["2026-03-01", "2026-03-02", "2026-03-03"]
    third = next(row for row in table.rows if row["key"] == "2026-03-03")
    assert (third["refunds"], third["supplies"], third["vat"]) == (1_000_00, -1_000_00,
                                                                   -152_54)


def test_vat_is_nil_when_the_shop_is_not_registered(shop):
    table = read(vat_report, month_of(dt.date(2026, 3, 1)))
    assert table.total["vat"] == 0
    assert any("not registered for VAT" in str(note) for note in table.notes)


def test_the_funnel_from_carts_to_orders(shop):
    march = {row["step"]: row["count"] for row in read(funnel_report).rows}
    # The fixture's orders were moved to March; their carts stayed on today.
    assert march == {"Carts started": 0, "Items in the cart": 0, "Checkout started": 0,
                     "Orders placed": 4, "Orders confirmed": 2}
    from app.reports import days

    today = Period(days.today(), days.today())
    rows = read(funnel_report, today).rows
    assert [(row["count"], row["of_first"]) for row in rows][:3] == [
        (4, Decimal("100.0")), (4, Decimal("100.0")), (4, Decimal("100.0"))]


@pytest.mark.parametrize("name", ["promotions", "customers", "funnel", "vat"])
def test_each_report_page_and_its_csv(client, sign_in_staff, shop, name):
    staff = sign_in_staff(make_staff("marketing"))
    query = {"month": "2026-03"} if name == "vat" else {"first": "2026-03-01",
                                                        "last": "2026-03-03"}
    page = staff.get(f"/staff/reports/{name}", query_string=query)
    assert page.status_code == 200
    assert 'aria-current="page"' in page.get_data(as_text=True)

    response = staff.get(f"/staff/reports/{name}.csv", query_string=query, buffered=True)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert len(rows) >= 2


def test_an_unknown_report_is_404_and_bad_choices_422(client, sign_in_staff, db_session):
    staff = sign_in_staff(make_staff("admin"))
    assert staff.get("/staff/reports/profits").status_code == 404
    page = staff.get("/staff/reports/vat", query_string={"month": "March"})
    assert page.status_code == 422
    assert "Choose a month, like 2026-11." in page.get_data(as_text=True)
    assert staff.get("/staff/reports/vat.csv", query_string={"month": "20-1"}).status_code \
        == 422


def test_a_month_in_other_digits_is_explained(client, sign_in_staff, db_session):
    # A regular expression's \d takes every script's digits (Arabic-Indic ٢٠٢٦ here); a date
    # is read in ASCII digits only.
    staff = sign_in_staff(make_staff("admin"))
    for path in ("/staff/reports/vat", "/staff/reports/vat.csv"):
        page = staff.get(path, query_string={"month": "٢٠٢٦-03"})
        assert page.status_code == 422
        assert "Choose a month, like 2026-11." in page.get_data(as_text=True)


def test_a_role_without_reports_gets_403(client, sign_in_staff, db_session):
    staff = sign_in_staff(make_staff("support_agent"))
    for name in ("promotions", "customers", "funnel", "stock", "vat"):
        assert staff.get(f"/staff/reports/{name}").status_code == 403
        assert staff.get(f"/staff/reports/{name}.csv").status_code == 403


def test_stock_at_cost_where_known_with_days_of_cover(shop):
    from sqlalchemy import update

    from app.catalog.models import Variant
    from app.db import transaction
    from app.reports.stock import stock_report

    with transaction():
        from app import db

        db.session.execute(update(Variant).where(Variant.id == shop.tea.id)
                           .values(cost_cents=800_00))
    table = read(stock_report)
    rows = {row["sku"]: row for row in table.rows}
    summary = {str(label): value for label, value, _kind in table.summary}

    # Tea: 20 on hand, 3 held for A and C; 2 sold in the 3 days (A): 17 / (2/3 a day).
    assert (rows["TEA-1"]["on_hand"], rows["TEA-1"]["available"], rows["TEA-1"]["sold"],
            rows["TEA-1"]["value_at_cost"], rows["TEA-1"]["days_of_cover"]) == (
        20, 17, 2, 16_000_00, Decimal("25.5"))
    # Soap: no cost given; 4 held (A and B) and 4 sold: 16 / (4/3 a day).
    assert (rows["SOAP-1"]["value_at_cost"], rows["SOAP-1"]["days_of_cover"]) == (
        None, Decimal("12.0"))
    assert summary == {"Stock value at cost": 16_000_00, "Items without a cost": 1,
                       "Stock value at price": 20 * 1_250_00 + 20 * 280_00,
                       "Slow movers (nothing sold in the period)": 0}
    from app.reports import days

    quiet = read(stock_report, Period(days.today(), days.today()))
    assert {row["sku"]: row["flag"] for row in quiet.rows} == {"TEA-1": "slow",
                                                               "SOAP-1": "slow"}


def test_the_stock_page(client, sign_in_staff, shop):
    page = sign_in_staff(make_staff("order_manager")).get("/staff/reports/stock")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Slow mover" in html  # nothing sold in the last 30 days: March is long gone
